"""``goldset query``: SQL over the live rows, in the sandbox."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import (
    GoldsetContext,
    command,
    limit_options,
    output_options,
    present,
    rev_option,
)
from goldset.cli.render import ROW_FORMATS


@command("query")
@rev_option
@click.argument("sql")
@limit_options
@output_options(ROW_FORMATS)
def query_cmd(g: GoldsetContext, sql: str, timeout_s: float | None, memory_limit: str | None, fmt: str, output: Path | None) -> None:
    """Run one SELECT over the live rows, available as table `examples` (read-only, no file
    access), within a time and a memory limit.

    \b
    goldset query "SELECT tier, count(*) AS n FROM examples GROUP BY tier"
    goldset query "SELECT s, count(*) FROM (SELECT unnest(scenarios) s FROM examples) GROUP BY s" -f csv
    """
    from goldset.query import run_query

    present(run_query(g.dataset(), sql, timeout_s=timeout_s, memory_limit=memory_limit), fmt, output)
