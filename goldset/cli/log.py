"""``goldset log``: the dataset's versions."""

from __future__ import annotations

from typing import Any

import click

from goldset.cli.context import GoldsetContext, color, command, emit, format_option, say
from goldset.render import REPORT_FORMATS


@command("log")
@click.option("--limit", "-n", type=click.IntRange(min=1), metavar="N", help="At most N versions (newest first).")
@click.option("--no-rows", is_flag=True, help="Skip row counts (they may need the DVC remote for versions not cached here).")
@format_option(REPORT_FORMATS)
def log_cmd(g: GoldsetContext, limit: int | None, no_rows: bool, fmt: str) -> None:
    """The dataset's versions: every commit that changed its data, newest first, with tag,
    date, author, message, rows and the coverage gate verdict (when reports/coverage.json
    was committed with it).

    \b
    goldset log -n 5
    goldset list --rev v7     # read any of them without checking it out
    """
    from goldset.render import markdown_table, render_model, rich_table
    from goldset.versions import Version, version_log

    log = version_log(g.workspace(), g.dataset_name, limit=limit, rows=not no_rows)
    columns = ["commit", "tags", "date", "author", "rows", "gate", "message"]

    def cells(v: Version) -> list[Any]:
        return [v.short, ", ".join(v.tags), v.date.strftime("%Y-%m-%d %H:%M"), v.author, v.rows, v.gate, v.message]

    emit(render_model(
        log, fmt,
        table=lambda m: [rich_table(columns, [cells(v) for v in m.versions], title=f"versions of {m.dataset}", max_width=50)],
        markdown=lambda m: markdown_table(columns, [cells(v) for v in m.versions]),
        color=color(),
    ))
    for problem in log.problems:
        say(f"warning: {problem}")
