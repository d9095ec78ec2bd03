"""``goldset edge-case add|list|remove``: the edge-case catalogue in goldset.yaml."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, common_options, output_options, present
from goldset.cli.render import RESULT_FORMATS, ROW_FORMATS


@click.group("edge-case", context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def edge_case_cmd() -> None:
    """The edge-case catalogue: add, list, remove (edits goldset.yaml, comments kept)."""


@command("add")
@click.argument("edge_case_id", metavar="ID")
@click.option("--description", default="", help="What makes an input this edge case.")
@click.option("--note", help="Why (kept in the audit log).")
@output_options(RESULT_FORMATS)
def _add(g: GoldsetContext, edge_case_id: str, description: str, note: str | None, fmt: str, output: Path | None) -> None:
    """Add edge case ID.

    \b
    goldset edge-case add sarcasm --description "Says the opposite of what it means"
    """
    from goldset.curation import add_edge_case

    present(add_edge_case(g.dataset(), edge_case_id, description, note=note), fmt, output)


@command("remove")
@click.argument("edge_case_id", metavar="ID")
@click.option("--untag", is_flag=True, help="Also remove the tag from the examples that carry it.")
@click.option("--note", help="Why (kept in the audit log).")
@output_options(RESULT_FORMATS)
def _remove(g: GoldsetContext, edge_case_id: str, untag: bool, note: str | None, fmt: str, output: Path | None) -> None:
    """Remove edge case ID (refused while examples carry it, unless --untag)."""
    from goldset.curation import remove_edge_case

    present(remove_edge_case(g.dataset(), edge_case_id, untag=untag, note=note), fmt, output)


@command("list")
@output_options(ROW_FORMATS)
def _list(g: GoldsetContext, fmt: str, output: Path | None) -> None:
    """Every edge case with the number of examples carrying it."""
    from goldset.curation import list_edge_cases

    present(list_edge_cases(g.dataset()), fmt, output, kind="edge_cases")


for _cmd in (_add, _list, _remove):
    edge_case_cmd.add_command(_cmd)
