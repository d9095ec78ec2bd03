"""``goldset log``: the dataset's versions."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import REPORT_FORMATS


@command("log")
@click.option("--limit", "-n", type=click.IntRange(min=1), metavar="N", help="At most N versions (newest first).")
@click.option("--no-rows", is_flag=True,
              help="Read nothing through DVC: rows and gates only from what the commits record and the local cache.")
@output_options(REPORT_FORMATS)
def log_cmd(g: GoldsetContext, limit: int | None, no_rows: bool, fmt: str, output: Path | None) -> None:
    """The dataset's versions: every commit that changed its data, newest first, with tag,
    date, author, message, rows and the coverage gate verdict: from the reports/coverage.json
    committed with the version when it describes that data and spec, else computed on the
    revision (once; cached under .goldset/cache/gates/).

    \b
    goldset log -n 5
    goldset list --rev v7     # read any of them without checking it out
    """
    from goldset.history import version_log

    present(version_log(g.workspace(), g.dataset_name, limit=limit, rows=not no_rows), fmt, output)
