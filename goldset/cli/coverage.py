"""``goldset coverage``: per scenario, is it represented well enough to launch? (--gate for CI)"""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import (
    GoldsetContext,
    command,
    output_options,
    parse_priorities,
    present,
    rev_option,
)
from goldset.cli.render import COVERAGE_FORMATS


@command("coverage")
@rev_option
@click.option("--gate", is_flag=True, help="Exit 1 when a blocking scenario misses its bar (after the report is written).")
@click.option("--fail-on", callback=parse_priorities, metavar="P0,P1",
              help="Blocking priorities for this run (default: the spec's gate.blocking_priorities).")
@click.option("--traffic", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Production traffic per scenario (CSV/JSON of scenario,share or scenario,count).")
@output_options(COVERAGE_FORMATS)
def coverage_cmd(
    g: GoldsetContext, gate: bool, fail_on: list[str] | None, traffic: Path | None, fmt: str, output: Path | None
) -> None:
    """Are the priority scenarios represented well enough to launch?

    Per scenario: counted examples (statuses in count_status), negatives, edge cases, tiers,
    freshness, and a verdict (ok / gap / missing) with one reason per unmet requirement.

    \b
    goldset coverage
    goldset coverage --gate --fail-on P0,P1
    goldset coverage --traffic traffic.csv --format markdown > comment.md
    goldset coverage --format html --output reports/coverage.html
    """
    from goldset.coverage import check_gate, compute_coverage, read_traffic

    report = compute_coverage(g.dataset(), fail_on=fail_on, traffic=read_traffic(traffic) if traffic else None)
    present(report, fmt, output)
    if gate:
        check_gate(report)
