"""``goldset log``: the dataset's versions."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import REPORT_FORMATS


@command("log")
@click.option("--limit", "-n", type=click.IntRange(min=1), metavar="N", help="At most N versions (newest first).")
@click.option("--no-rows", is_flag=True, help="Skip row counts (they may need the DVC remote for versions not cached here).")
@output_options(REPORT_FORMATS)
def log_cmd(g: GoldsetContext, limit: int | None, no_rows: bool, fmt: str, output: Path | None) -> None:
    """The dataset's versions: every commit that changed its data, newest first, with tag,
    date, author, message, rows and the coverage gate verdict (when reports/coverage.json
    was committed with it).

    \b
    goldset log -n 5
    goldset list --rev v7     # read any of them without checking it out
    """
    from goldset.history import version_log

    present(version_log(g.workspace(), g.dataset_name, limit=limit, rows=not no_rows), fmt, output)
