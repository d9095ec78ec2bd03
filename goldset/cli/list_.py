"""``goldset list``: examples, filtered, in any row format."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present, rev_option
from goldset.cli.render import ROW_FORMATS
from goldset.vocab import POLARITIES, STATUSES


@command("list")
@rev_option
@click.option("--scenario", "scenarios", multiple=True, metavar="S", help="Only examples tagged with S (any of, if repeated).")
@click.option("--tier", "tiers", multiple=True, metavar="T", help="Only this tier. Repeatable.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only this status. Repeatable.")
@click.option("--polarity", type=click.Choice(POLARITIES))
@click.option("--where", metavar="EXPR", help="DuckDB boolean expression, e.g. \"input ILIKE '%refund%'\".")
@click.option("--limit", type=click.IntRange(min=0), help="At most N rows.")
@click.option("--all-columns", is_flag=True, help="Every column, provenance included (always so for json/jsonl/csv).")
@output_options(ROW_FORMATS)
def list_cmd(
    g: GoldsetContext, scenarios: tuple[str, ...], tiers: tuple[str, ...], statuses: tuple[str, ...],
    polarity: str | None, where: str | None, limit: int | None, all_columns: bool, fmt: str, output: Path | None,
) -> None:
    """List examples.

    \b
    goldset list --scenario refund_request --status approved
    goldset list --where "input ILIKE '%refund%' AND tier = 'blocking'" --format jsonl
    goldset list --format csv -o refunds.csv
    """
    from goldset.query import Filters, list_examples

    filters = Filters(scenarios=list(scenarios), tiers=list(tiers), statuses=list(statuses), polarity=polarity, where=where, limit=limit)
    present(list_examples(g.dataset(), filters), fmt, output, kind="examples", all_columns=all_columns)
