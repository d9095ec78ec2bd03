"""``goldset compact``: merge small parts."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import RESULT_FORMATS


@command("compact")
@click.option("--dry-run", is_flag=True, help="Say how many parts would merge; write nothing.")
@click.option("--note", help="Why (kept in the audit log).")
@output_options(RESULT_FORMATS)
def compact_cmd(g: GoldsetContext, dry_run: bool, note: str | None, fmt: str, output: Path | None) -> None:
    """Merge parts smaller than 100,000 rows; every row is kept as it is."""
    from goldset.workspace import compact

    present(compact(g.dataset(), dry_run=dry_run, note=note), fmt, output)
