"""``goldset reports``: write reports/ for the dataset's current data (the dvc.yaml stage)."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present, rev_option
from goldset.cli.render import RESULT_FORMATS


@command("reports")
@rev_option
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write them into DIR instead of the workspace's reports/ (needed with --rev).")
@output_options(RESULT_FORMATS)
def reports_cmd(g: GoldsetContext, directory: Path | None, fmt: str, output: Path | None) -> None:
    """Write the reports of the dataset's current data: reports/coverage.json,
    reports/coverage.html, reports/validation.json and reports/metrics.json, exactly what
    `goldset snapshot` commits with a version (the dvc.yaml stage runs this).

    Each report names the dataset, data (manifest digest) and spec (hash of goldset.yaml) it
    describes; freshness is measured as of the data's last write, so the same data and spec
    give the same files. metrics.json holds only the numbers `dvc metrics diff` should show.
    A failing gate or validation is recorded in the reports: the exit code stays 0.

    \b
    goldset reports
    goldset reports --rev v6 --dir /tmp/v6-reports
    dvc repro && dvc metrics diff v6
    """
    from goldset.history import write_reports

    present(write_reports(g.dataset(), directory), fmt, output)
