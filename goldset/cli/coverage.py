from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, color, command, deliver, rev_option

_FORMATS = ("table", "json", "markdown", "html")  # = coverage_render.COVERAGE_FORMATS (no import here)


def _priorities(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    given = [p.strip() for p in value.split(",") if p.strip()]
    bad = [p for p in given if p.upper() not in ("P0", "P1", "P2")]
    items = [p.upper() for p in given]
    if bad or not items:
        raise click.BadParameter(f"{bad[0] if bad else value!r} is not a priority; give a comma list of P0, P1, P2")
    return items


@command("coverage")
@rev_option
@click.option("--gate", is_flag=True, help="Exit 1 when a blocking scenario misses its bar (after the report is written).")
@click.option("--fail-on", callback=_priorities, metavar="P0,P1",
              help="Blocking priorities for this run (default: the spec's gate.blocking_priorities).")
@click.option("--traffic", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Production traffic per scenario (CSV/JSON of scenario,share or scenario,count).")
@click.option("--format", "-f", "fmt", type=click.Choice(_FORMATS), default="table", show_default=True,
              help="Output format; html needs --output.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the report to FILE instead of stdout.")
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
    from goldset.errors import UsageError

    if fmt == "html" and output is None:
        raise UsageError("--format html needs --output FILE (e.g. --output reports/coverage.html)")
    from goldset.coverage import check_gate, compute_coverage
    from goldset.coverage_render import gate_line, render
    from goldset.traffic import read_traffic

    ds = g.dataset()
    report = compute_coverage(ds, fail_on=fail_on, traffic=read_traffic(traffic) if traffic else None)
    text = render(report, fmt, color=color() and output is None)
    deliver(text, output, gate_line(report))
    if gate:
        check_gate(report)
