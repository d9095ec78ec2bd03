"""``goldset tag``: scenarios, edge cases, tier and polarity for many examples at once."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, limit_options, output_options, present
from goldset.cli.render import RESULT_FORMATS


@command("tag")
@click.argument("ids", nargs=-1)
@click.option("--where", metavar="EXPR", help="DuckDB boolean expression over the example columns, e.g. \"input ILIKE '%refund%'\".")
@click.option("--scenario", "scenarios", multiple=True, metavar="S", help="Add scenario S. Repeatable.")
@click.option("--remove-scenario", "remove_scenarios", multiple=True, metavar="S", help="Remove scenario S. Repeatable.")
@click.option("--edge-case", "edge_cases", multiple=True, metavar="E", help="Add edge case E. Repeatable.")
@click.option("--remove-edge-case", "remove_edge_cases", multiple=True, metavar="E", help="Remove edge case E. Repeatable.")
@click.option("--tier", metavar="T", help="Set the tier.")
@click.option("--negative/--positive", "negative", default=None,
              help="Set the polarity. An approved example whose polarity changes goes back to draft.")
@click.option("--keep-approval", is_flag=True,
              help="With --negative/--positive: approved examples stay approved, you as reviewer (needs the review right).")
@click.option("--dry-run", is_flag=True, help="Count and show the rows that would change; write nothing.")
@click.option("--note", help="Why (kept in the audit log).")
@limit_options
@output_options(RESULT_FORMATS)
def tag_cmd(
    g: GoldsetContext, ids: tuple[str, ...], where: str | None, scenarios: tuple[str, ...],
    remove_scenarios: tuple[str, ...], edge_cases: tuple[str, ...], remove_edge_cases: tuple[str, ...],
    tier: str | None, negative: bool | None, keep_approval: bool, dry_run: bool, note: str | None,
    timeout_s: float | None, memory_limit: str | None, fmt: str, output: Path | None,
) -> None:
    """Tag examples given by IDS and/or --where (both: ids that also match).

    \b
    goldset tag ex-1 ex-2 --scenario refund_request
    goldset tag --where "input ILIKE '%credit card%'" --edge-case card --dry-run
    goldset tag --where "source = 'adversarial'" --negative --tier blocking
    """
    from goldset.curation import TagChange, tag

    change = TagChange(
        add_scenarios=list(scenarios), remove_scenarios=list(remove_scenarios), add_edge_cases=list(edge_cases),
        remove_edge_cases=list(remove_edge_cases), tier=tier,
        polarity=None if negative is None else ("negative" if negative else "positive"),
    )
    result = tag(g.dataset(), change, ids=list(ids), where=where, dry_run=dry_run, note=note,
                 timeout_s=timeout_s, memory_limit=memory_limit, keep_approval=keep_approval)
    present(result, fmt, output)
