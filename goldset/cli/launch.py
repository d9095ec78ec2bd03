"""``goldset launch RUN``: validation + coverage gate + the run's launch bar: one verdict, one exit code."""

from __future__ import annotations

import json
from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import REPORT_FORMATS


@command("launch")
@click.argument("run", required=False)
@click.option("--latest", is_flag=True, help="Use the run added last.")
@click.option("--allow-stale", is_flag=True, help="Accept a run evaluated on other data (the report says so).")
@click.option("--metrics", "metrics_path", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Also write DVC metrics (verdicts, pass rate per scenario) to PATH, for 'dvc metrics diff'.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 whatever the verdict (the dvc.yaml stage: metrics record it).")
@output_options(REPORT_FORMATS)
def launch_cmd(g: GoldsetContext, run: str | None, latest: bool, allow_stale: bool, metrics_path: Path | None,
               exit_zero: bool, fmt: str, output: Path | None) -> None:
    """May RUN's model ship? Exit 0 (go) or 1 (no-go), on the same golden set revision.

    Go needs: no error-severity validation failure, every blocking scenario above its coverage
    bar, and RUN meeting the launch bar (every blocking scenario and every tier with a bar
    passes; "not enough evidence" is not a pass). A run evaluated on data that has changed
    since is refused, naming the examples that changed (--allow-stale accepts it).

    \b
    goldset launch cand-v2
    goldset launch --latest --metrics reports/launch.json --exit-zero   # the dvc.yaml stage
    """
    from goldset.errors import UsageError
    from goldset.validation import launch

    if metrics_path is not None:
        from goldset.errors import BadInput
        from goldset.workspace import managed_path

        if (why := managed_path(metrics_path)) is not None:
            raise BadInput(f"--metrics: refusing to write {metrics_path}: {why}; write it under reports/")
    ds = g.dataset()
    if latest == (run is not None):
        raise UsageError("launch: name a RUN or give --latest (not both)")
    if latest:
        from goldset.runs import list_runs

        runs = list_runs(ds)
        if not runs:
            raise UsageError(f"launch --latest: dataset {ds.name!r} has no run; add one with 'goldset run add'")
        run = runs[-1].name
    assert run is not None
    report = launch(ds, run, allow_stale=allow_stale)
    if metrics_path is not None:
        from goldset.runs import launch_metrics
        from goldset.store import write_atomic

        write_atomic(metrics_path, json.dumps(launch_metrics(report.report, passed=report.passed), indent=1, sort_keys=True) + "\n")
    present(report, fmt, output)
    if not report.passed and not exit_zero:
        from goldset.errors import LaunchBlocked

        raise LaunchBlocked(f"launch refused for run {run}: {len(report.failures)} reason(s)", report.failures)
