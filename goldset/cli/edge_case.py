"""``goldset edge-case add|list|remove``: the edge-case catalogue in goldset.yaml."""

from __future__ import annotations

import click

from goldset.cli.context import (
    GoldsetContext,
    color,
    command,
    common_options,
    emit,
    format_option,
    say,
)
from goldset.render import ROW_FORMATS


@click.group("edge-case", context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def edge_case_cmd() -> None:
    """The edge-case catalogue: add, list, remove (edits goldset.yaml, comments kept)."""


@command("add")
@click.argument("edge_case_id", metavar="ID")
@click.option("--description", default="", help="What makes an input this edge case.")
@click.option("--note", help="Why (kept in the audit log).")
def _add(g: GoldsetContext, edge_case_id: str, description: str, note: str | None) -> None:
    """Add edge case ID.

    \b
    goldset edge-case add sarcasm --description "Says the opposite of what it means"
    """
    from goldset.taxonomy import add_edge_case

    r = add_edge_case(g.dataset(), edge_case_id, description, note=note)
    say(f"edge case {r.id} added to {r.dataset}")


@command("remove")
@click.argument("edge_case_id", metavar="ID")
@click.option("--untag", is_flag=True, help="Also remove the tag from the examples that carry it.")
@click.option("--note", help="Why (kept in the audit log).")
def _remove(g: GoldsetContext, edge_case_id: str, untag: bool, note: str | None) -> None:
    """Remove edge case ID (refused while examples carry it, unless --untag)."""
    from goldset.taxonomy import remove_edge_case

    r = remove_edge_case(g.dataset(), edge_case_id, untag=untag, note=note)
    say(f"edge case {r.id} removed from {r.dataset}" + (f" (untagged {r.untagged} example(s))" if r.untagged else ""))


@command("list")
@format_option(ROW_FORMATS)
def _list(g: GoldsetContext, fmt: str) -> None:
    """Every edge case with the number of examples carrying it."""
    from goldset.render import render_rows
    from goldset.taxonomy import list_edge_cases

    emit(render_rows(list_edge_cases(g.dataset()), fmt, ["id", "examples", "description"], color=color()))


for _cmd in (_add, _list, _remove):
    edge_case_cmd.add_command(_cmd)
