"""The taxonomy in goldset.yaml: scenario and edge-case lists, one scenario (``scenario show``),
and what an add / edit / remove did."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import as_json, lines, render_model, render_rows, rich_table

if TYPE_CHECKING:
    from goldset.curation import ScenarioReport, TaxonomyResult

SCENARIO_COLUMNS = ["id", "priority", "group", "owner", "examples", "negatives", "counted", "description"]
EDGE_CASE_COLUMNS = ["id", "examples", "description"]


def render_scenarios(rows: Sequence[dict[str, Any]], fmt: str, *, color: bool = False, **_: Any) -> str:
    return render_rows(rows, fmt, SCENARIO_COLUMNS, color=color)


def render_edge_cases(rows: Sequence[dict[str, Any]], fmt: str, *, color: bool = False, **_: Any) -> str:
    return render_rows(rows, fmt, EDGE_CASE_COLUMNS, color=color)


def _show_table(r: ScenarioReport) -> list[Any]:
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


def render_scenario(r: ScenarioReport, fmt: str, *, color: bool = False, **_: Any) -> str:
    return render_model(r, fmt, table=_show_table, color=color)


def done(r: TaxonomyResult) -> str:
    """What a taxonomy edit did, in one line."""
    untagged = f" (untagged {r.untagged} example(s))" if r.untagged else ""
    if r.op == "edge-case-add":
        return f"edge case {r.id} added to {r.dataset}"
    if r.op == "edge-case-remove":
        return f"edge case {r.id} removed from {r.dataset}{untagged}"
    return f"{r.op.replace('-', ' ')} {r.id} in {r.dataset}{untagged}"


def render_done(r: TaxonomyResult, fmt: str, **_: Any) -> str:
    return as_json(r) if fmt == "json" else lines(done(r))


def _count(rows: Sequence[Any]) -> str:
    return f"{len(rows):,} row(s)"


KINDS = {
    "TaxonomyResult": Kind(render_done, done, message=True),
    "ScenarioReport": Kind(render_scenario, lambda r: f"scenario {r.id}: {r.examples:,} examples"),
    "scenarios": Kind(render_scenarios, _count),
    "edge_cases": Kind(render_edge_cases, _count),
}
