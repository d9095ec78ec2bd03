"""``goldset scenario add|list|show|edit|remove``: the scenario taxonomy in goldset.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from goldset.cli.context import GoldsetContext, command, common_options, output_options, present
from goldset.cli.render import RESULT_FORMATS, ROW_FORMATS
from goldset.vocab import PRIORITIES

_PRIORITY = click.Choice(PRIORITIES)


@click.group("scenario", context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def scenario_cmd() -> None:
    """The scenario taxonomy (PM): add, list, show, edit, remove.

    Edits goldset.yaml in place, keeping your comments and key order.
    """


def _field_options(f: Any) -> Any:
    for opt in reversed([
        click.option("--description", help="What users ask or do in this scenario."),
        click.option("--group", help="Group for reports (e.g. billing)."),
        click.option("--owner", help="Who answers for it (an email)."),
        click.option("--min-examples", type=click.IntRange(min=0), help="Requirement: at least N counted examples."),
        click.option("--min-negatives", type=click.IntRange(min=0), help="Requirement: at least N negatives."),
        click.option("--min-edge-case-examples", type=click.IntRange(min=0), help="Requirement: at least N examples with an edge case."),
        click.option("--require-edge-case", "required_edge_cases", multiple=True, metavar="E", help="Requirement: edge case E must appear. Repeatable."),
        click.option("--min-fresh-share", type=click.FloatRange(0, 1), help="Requirement: share of examples reviewed recently enough."),
        click.option("--note", help="Why (kept in the audit log)."),
    ]):
        f = opt(f)
    return f


def _fields(priority: str | None, kw: dict[str, Any]) -> Any:
    from goldset.curation import ScenarioFields

    req = list(kw.pop("required_edge_cases")) or None
    return ScenarioFields(priority=priority, required_edge_cases=req, **kw)


@command("add")
@click.argument("scenario_id", metavar="ID")
@click.option("--priority", type=_PRIORITY, required=True, help="P0 is launch-blocking by default.")
@_field_options
@output_options(RESULT_FORMATS)
def _add(g: GoldsetContext, scenario_id: str, priority: str, note: str | None, fmt: str, output: Path | None,
         **kw: Any) -> None:
    """Add scenario ID.

    \b
    goldset scenario add refund_request --priority P0 --group billing --min-examples 50
    """
    from goldset.curation import add_scenario

    present(add_scenario(g.dataset(), scenario_id, _fields(priority, kw), note=note), fmt, output)


@command("edit")
@click.argument("scenario_id", metavar="ID")
@click.option("--priority", type=_PRIORITY)
@_field_options
@output_options(RESULT_FORMATS)
def _edit(g: GoldsetContext, scenario_id: str, priority: str | None, note: str | None, fmt: str,
          output: Path | None, **kw: Any) -> None:
    """Change fields or requirements of scenario ID (others stay as they are).

    \b
    goldset scenario edit refund_request --priority P1 --min-negatives 5
    """
    from goldset.curation import edit_scenario

    present(edit_scenario(g.dataset(), scenario_id, _fields(priority, kw), note=note), fmt, output)


@command("remove")
@click.argument("scenario_id", metavar="ID")
@click.option("--untag", is_flag=True, help="Also remove the tag from the examples that carry it.")
@click.option("--note", help="Why (kept in the audit log).")
@output_options(RESULT_FORMATS)
def _remove(g: GoldsetContext, scenario_id: str, untag: bool, note: str | None, fmt: str, output: Path | None) -> None:
    """Remove scenario ID (refused while examples carry it, unless --untag)."""
    from goldset.curation import remove_scenario

    present(remove_scenario(g.dataset(), scenario_id, untag=untag, note=note), fmt, output)


@command("list")
@output_options(ROW_FORMATS)
def _list(g: GoldsetContext, fmt: str, output: Path | None) -> None:
    """Every scenario with its example counts (counted = statuses in count_status)."""
    from goldset.curation import list_scenarios

    present(list_scenarios(g.dataset()), fmt, output, kind="scenarios")


@command("show")
@click.argument("scenario_id", metavar="ID")
@output_options(RESULT_FORMATS)
def _show(g: GoldsetContext, scenario_id: str, fmt: str, output: Path | None) -> None:
    """One scenario: its fields, effective requirements and example counts."""
    from goldset.curation import show_scenario

    present(show_scenario(g.dataset(), scenario_id), fmt, output)


for _cmd in (_add, _list, _show, _edit, _remove):
    scenario_cmd.add_command(_cmd)
