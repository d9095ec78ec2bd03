"""``goldset stats``: counts by status, polarity, tier and scenario."""

from __future__ import annotations

from pathlib import Path

from goldset.cli.context import GoldsetContext, command, output_options, present, rev_option
from goldset.cli.render import REPORT_FORMATS


@command("stats")
@rev_option
@output_options(REPORT_FORMATS)
def stats_cmd(g: GoldsetContext, fmt: str, output: Path | None) -> None:
    """Counts by status, polarity, tier and scenario."""
    from goldset.query import stats

    present(stats(g.dataset()), fmt, output)
