from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from goldset.cli.context import GoldsetContext, color, command, emit, format_option, rev_option
from goldset.render import REPORT_FORMATS, ROW_FORMATS

if TYPE_CHECKING:
    from goldset.read import Stats

_LIST_COLUMNS = ["id", "input", "expected", "polarity", "scenarios", "edge_cases", "tier", "status"]


@command("list")
@rev_option
@click.option("--scenario", "scenarios", multiple=True, metavar="S", help="Only examples tagged with S (any of, if repeated).")
@click.option("--tier", "tiers", multiple=True, metavar="T", help="Only this tier. Repeatable.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(["draft", "approved", "retired"]), help="Only this status. Repeatable.")
@click.option("--polarity", type=click.Choice(["positive", "negative"]))
@click.option("--where", metavar="EXPR", help="DuckDB boolean expression, e.g. \"input ILIKE '%refund%'\".")
@click.option("--limit", type=click.IntRange(min=0), help="At most N rows.")
@click.option("--all-columns", is_flag=True, help="Every column, provenance included (always so for json/jsonl/csv).")
@format_option(ROW_FORMATS)
def list_cmd(
    g: GoldsetContext, scenarios: tuple[str, ...], tiers: tuple[str, ...], statuses: tuple[str, ...],
    polarity: str | None, where: str | None, limit: int | None, all_columns: bool, fmt: str,
) -> None:
    """List examples.

    \b
    goldset list --scenario refund_request --status approved
    goldset list --where "input ILIKE '%refund%' AND tier = 'blocking'" --format jsonl
    """
    from goldset.read import Filters, list_examples
    from goldset.render import render_rows

    filters = Filters(scenarios=list(scenarios), tiers=list(tiers), statuses=list(statuses), polarity=polarity, where=where, limit=limit)
    table = list_examples(g.dataset(), filters)
    columns = None if (all_columns or fmt in ("json", "jsonl", "csv")) else _LIST_COLUMNS
    emit(render_rows(table.to_pylist(), fmt, columns, color=color()))


@command("show")
@rev_option
@click.argument("example_id", metavar="ID")
@format_option(("table", "json"))
def show_cmd(g: GoldsetContext, example_id: str, fmt: str) -> None:
    """Show every field of one example."""
    from goldset.read import show
    from goldset.render import jsonable, render_rows

    row = show(g.dataset(), example_id)
    if fmt == "json":
        import json

        emit(json.dumps(jsonable(row), ensure_ascii=False, indent=2))
    else:
        emit(render_rows([{"field": k, "value": v} for k, v in row.items()], "table", color=color()))


@command("stats")
@rev_option
@format_option(REPORT_FORMATS)
def stats_cmd(g: GoldsetContext, fmt: str) -> None:
    """Counts by status, polarity, tier and scenario."""
    from goldset.read import stats
    from goldset.render import render_model

    emit(render_model(stats(g.dataset()), fmt, table=_stats_table, markdown=_stats_markdown, color=color()))


def _stats_sections(s: Stats) -> Iterator[tuple[str, list[str], list[Any]]]:
    yield "status", ["status", "examples"], list(s.by_status.items())
    yield "polarity", ["polarity", "examples"], list(s.by_polarity.items())
    yield "tier", ["tier", "examples"], list(s.by_tier.items())
    yield "scenario", ["scenario", "total", "positive", "negative", "approved"], [
        [k, v["total"], v["positive"], v["negative"], v["approved"]] for k, v in s.by_scenario.items()
    ]


def _stats_table(s: Stats) -> list[object]:
    from goldset.render import rich_table

    out: list[object] = [f"[bold]{s.dataset}[/]: {s.rows:,} examples in {s.parts} part(s); {s.untagged:,} without a scenario"]
    out += [rich_table(cols, rows, title=f"by {name}") for name, cols, rows in _stats_sections(s)]
    return out


def _stats_markdown(s: Stats) -> str:
    from goldset.render import markdown_table

    text = f"**{s.dataset}**: {s.rows:,} examples in {s.parts} part(s); {s.untagged:,} without a scenario\n\n"
    return text + "\n".join(f"### by {name}\n\n" + markdown_table(cols, rows) for name, cols, rows in _stats_sections(s))


@command("query")
@rev_option
@click.argument("sql")
@format_option(ROW_FORMATS)
def query_cmd(g: GoldsetContext, sql: str, fmt: str) -> None:
    """Run SQL over the live rows, available as table `examples` (read-only, no file access).

    \b
    goldset query "SELECT tier, count(*) AS n FROM examples GROUP BY tier"
    goldset query "SELECT s, count(*) FROM (SELECT unnest(scenarios) s FROM examples) GROUP BY s" -f csv
    """
    from goldset.read import run_query
    from goldset.render import render_rows

    emit(render_rows(run_query(g.dataset(), sql).to_pylist(), fmt, color=color()))
