"""``goldset expectations generate``: write the default suite, keeping the user's expectations."""

from __future__ import annotations

import click

from goldset.cli.context import GoldsetContext, command, common_options, emit, format_option, say


@click.group("expectations", context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def expectations_cmd() -> None:
    """The dataset's Great Expectations suite (expectations/<dataset>.json)."""


@command("generate")
@format_option(("table", "json"))
def generate_cmd(g: GoldsetContext, fmt: str) -> None:
    """Write goldset's default expectations into expectations/<dataset>.json.

    Expectations goldset owns carry meta.goldset = "generated" and are rewritten from
    goldset.yaml; every other expectation in the file (yours) is kept as it is.

    \b
    goldset expectations generate
    """
    from goldset.validation import generate_suite

    result = generate_suite(g.dataset())
    if fmt == "json":
        emit(result.model_dump_json(indent=2))
        return
    verb = "created" if result.created else "updated"
    say(f"{verb} {result.path}: {result.generated} generated expectation(s)"
        f"{f' (replacing {result.replaced})' if result.replaced else ''}, {result.kept} of yours kept")


expectations_cmd.add_command(generate_cmd)
