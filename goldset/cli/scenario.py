"""``goldset scenario add|list|show|edit|remove``: the scenario taxonomy in goldset.yaml."""

from __future__ import annotations

from typing import Any

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

_PRIORITY = click.Choice(["P0", "P1", "P2"])


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
    from goldset.taxonomy import ScenarioFields

    req = list(kw.pop("required_edge_cases")) or None
    return ScenarioFields(priority=priority, required_edge_cases=req, **kw)


def _done(result: Any) -> None:
    extra = f" (untagged {result.untagged} example(s))" if result.untagged else ""
    say(f"{result.op.replace('-', ' ')} {result.id} in {result.dataset}{extra}")


@command("add")
@click.argument("scenario_id", metavar="ID")
@click.option("--priority", type=_PRIORITY, required=True, help="P0 is launch-blocking by default.")
@_field_options
def _add(g: GoldsetContext, scenario_id: str, priority: str, note: str | None, **kw: Any) -> None:
    """Add scenario ID.

    \b
    goldset scenario add refund_request --priority P0 --group billing --min-examples 50
    """
    from goldset.taxonomy import add_scenario

    _done(add_scenario(g.dataset(), scenario_id, _fields(priority, kw), note=note))


@command("edit")
@click.argument("scenario_id", metavar="ID")
@click.option("--priority", type=_PRIORITY)
@_field_options
def _edit(g: GoldsetContext, scenario_id: str, priority: str | None, note: str | None, **kw: Any) -> None:
    """Change fields or requirements of scenario ID (others stay as they are).

    \b
    goldset scenario edit refund_request --priority P1 --min-negatives 5
    """
    from goldset.taxonomy import edit_scenario

    _done(edit_scenario(g.dataset(), scenario_id, _fields(priority, kw), note=note))


@command("remove")
@click.argument("scenario_id", metavar="ID")
@click.option("--untag", is_flag=True, help="Also remove the tag from the examples that carry it.")
@click.option("--note", help="Why (kept in the audit log).")
def _remove(g: GoldsetContext, scenario_id: str, untag: bool, note: str | None) -> None:
    """Remove scenario ID (refused while examples carry it, unless --untag)."""
    from goldset.taxonomy import remove_scenario

    _done(remove_scenario(g.dataset(), scenario_id, untag=untag, note=note))


@command("list")
@format_option(ROW_FORMATS)
def _list(g: GoldsetContext, fmt: str) -> None:
    """Every scenario with its example counts (counted = statuses in count_status)."""
    from goldset.render import render_rows
    from goldset.taxonomy import list_scenarios

    cols = ["id", "priority", "group", "owner", "examples", "negatives", "counted", "description"]
    emit(render_rows(list_scenarios(g.dataset()), fmt, cols, color=color()))


@command("show")
@click.argument("scenario_id", metavar="ID")
@format_option(("table", "json"))
def _show(g: GoldsetContext, scenario_id: str, fmt: str) -> None:
    """One scenario: its fields, effective requirements and example counts."""
    from goldset.render import render_model
    from goldset.taxonomy import show_scenario

    emit(render_model(show_scenario(g.dataset(), scenario_id), fmt, table=_show_table, color=color()))


def _show_table(r: Any) -> list[Any]:
    from goldset.render import rich_table

    req = {k: v for k, v in r.requirements.model_dump().items() if v not in (None, [], {})}
    head = [
        ("id", r.id), ("priority", r.priority), ("group", r.group), ("owner", r.owner),
        ("description", r.description), ("requirements", ", ".join(f"{k}={v}" for k, v in req.items()) or "none"),
        ("examples", r.examples), ("positive", r.positive), ("negative", r.negative),
        ("with an edge case", r.edge_case_examples),
    ]
    out: list[Any] = [rich_table(["field", "value"], head)]
    for title, d in (("by status", r.by_status), ("by tier", r.by_tier), ("by edge case", r.by_edge_case)):
        if d:
            out.append(rich_table([title.removeprefix("by "), "examples"], sorted(d.items()), title=title))
    return out


for _cmd in (_add, _list, _show, _edit, _remove):
    scenario_cmd.add_command(_cmd)
