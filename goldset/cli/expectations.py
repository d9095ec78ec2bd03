"""``goldset expectations generate``: write the default suite, keeping the user's expectations."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, common_options, output_options, present
from goldset.cli.render import RESULT_FORMATS


@click.group("expectations", context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def expectations_cmd() -> None:
    """The dataset's Great Expectations suite (expectations/<dataset>.json)."""


@command("generate")
@output_options(RESULT_FORMATS)
def generate_cmd(g: GoldsetContext, fmt: str, output: Path | None) -> None:
    """Write goldset's default expectations into expectations/<dataset>.json.

    Expectations goldset owns carry meta.goldset = "generated" and are rewritten from
    goldset.yaml; every other expectation in the file (yours) is kept as it is.

    \b
    goldset expectations generate
    """
    from goldset.validation import generate_suite

    present(generate_suite(g.dataset()), fmt, output)


expectations_cmd.add_command(generate_cmd)
