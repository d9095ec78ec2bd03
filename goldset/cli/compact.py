"""``goldset compact``: merge small parts."""

from __future__ import annotations

import click

from goldset.cli.context import GoldsetContext, command, emit, format_option


@command("compact")
@click.option("--dry-run", is_flag=True, help="Say how many parts would merge; write nothing.")
@click.option("--note", help="Why (kept in the audit log).")
@format_option(("table", "json"))
def compact_cmd(g: GoldsetContext, dry_run: bool, note: str | None, fmt: str) -> None:
    """Merge parts smaller than 100,000 rows; every row is kept as it is."""
    from goldset.compact import compact

    r = compact(g.dataset(), dry_run=dry_run, note=note)
    if fmt == "json":
        emit(r.model_dump_json(indent=2))
    elif not r.parts_replaced:
        emit(f"compact {r.dataset}: nothing to merge")
    else:
        verb = "would merge" if r.dry_run else "merged"
        emit(f"compact {r.dataset}: {verb} {r.parts_replaced} part(s) ({r.unchanged:,} rows) into {r.parts_written}"
             + ("" if r.dry_run else f", {r.bytes_written:,} bytes written"))
