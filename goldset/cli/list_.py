"""``goldset list``: examples, filtered, in any row format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from goldset.cli.context import (
    GoldsetContext,
    command,
    deliver,
    limit_options,
    output_options,
    present,
    rev_option,
    say,
)
from goldset.cli.render import ROW_FORMATS
from goldset.cli.render.rows import EXAMPLE_COLUMNS, stream_rows
from goldset.vocab import POLARITIES, STATUSES

if TYPE_CHECKING:
    import pyarrow as pa


#: Rows a table or Markdown listing shows unless --limit or --all says otherwise.
DEFAULT_ROWS = 100


class RowCount(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A number of rows: a whole number from 0 to 2**63 - 1 (what DuckDB's LIMIT takes)."""

    name = "N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            n = value
        else:
            try:
                n = int(str(value).strip().replace("_", ""), 10)
            except ValueError:
                self.fail(f"{value!r} is not a whole number of rows", param, ctx)
        if not 0 <= n <= 2**63 - 1:
            self.fail(f"{value!r} is out of range (0 to {2**63 - 1:,}); use --all for every row", param, ctx)
        return n


@command("list")
@rev_option
@click.option("--scenario", "scenarios", multiple=True, metavar="S", help="Only examples tagged with S (any of, if repeated).")
@click.option("--tier", "tiers", multiple=True, metavar="T", help="Only this tier. Repeatable.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only this status. Repeatable.")
@click.option("--polarity", type=click.Choice(POLARITIES))
@click.option("--where", metavar="EXPR", help="DuckDB boolean expression, e.g. \"input ILIKE '%refund%'\".")
@click.option("--limit", type=RowCount(), help=f"At most N rows (default: {DEFAULT_ROWS} in a table or Markdown, all in json/jsonl/csv).")
@click.option("--all", "all_rows", is_flag=True, help="Every row, also in a table or Markdown.")
@click.option("--all-columns", is_flag=True, help="Every column, provenance included (always so for json/jsonl/csv).")
@limit_options
@output_options(ROW_FORMATS)
def list_cmd(
    g: GoldsetContext, scenarios: tuple[str, ...], tiers: tuple[str, ...], statuses: tuple[str, ...],
    polarity: str | None, where: str | None, limit: int | None, all_rows: bool, all_columns: bool,
    timeout_s: float | None, memory_limit: str | None, fmt: str, output: Path | None,
) -> None:
    """List examples, oldest first: the first 100 in a table or Markdown (--limit N, --all),
    every row in json, jsonl or csv, streamed as DuckDB reads them (memory stays bounded).

    \b
    goldset list --scenario refund_request --status approved
    goldset list --where "input ILIKE '%refund%' AND tier = 'blocking'" --format jsonl
    goldset list --format csv -o refunds.csv
    """
    from goldset.query import Filters, open_listing

    if all_rows and limit is not None:
        raise click.UsageError("--limit and --all: give one of them")
    human = fmt in ("table", "markdown")
    if human and not all_rows and limit is None:
        limit = DEFAULT_ROWS
    filters = Filters(scenarios=list(scenarios), tiers=list(tiers), statuses=list(statuses), polarity=polarity, where=where, limit=limit)
    with open_listing(g.dataset(), filters, count=human, timeout_s=timeout_s, memory_limit=memory_limit) as listing:
        if fmt == "table":
            import pyarrow as pa

            rows = pa.Table.from_batches(list(listing.batches), schema=listing.schema)
            present(rows, fmt, output, kind="examples", all_columns=all_columns)
            shown = rows.num_rows
        else:
            columns = listing.schema.names if (all_columns or not human) else EXAMPLE_COLUMNS
            counter = _Counter()
            deliver(stream_rows(counter.counting(listing.batches), fmt, columns), output, lambda: f"{counter.rows:,} row(s)")
            shown = counter.rows
    if human and listing.total > shown:
        say(f"showing {shown:,} of {listing.total:,} (--limit N, --all)")


class _Counter:
    def __init__(self) -> None:
        self.rows = 0

    def counting(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            self.rows += batch.num_rows
            yield batch
