"""Runs: one system's outputs over the golden set, scored, reported and compared against the
launch bar.

Owns: the run files under ``runs/<dataset>/`` and their records (``_files``), ``run add`` and
``run remove`` (``_add``), the scorers (``_score``), the report per scenario x tier, edge case
and polarity with its verdicts and staleness (``_report``), the paired comparison of two runs
(``_compare``), the statistics both use (``_stats``, statsmodels, imported only there) and the
report's self-contained HTML page (``_page``). ``goldset launch`` (validation + gate + launch
bar) is :func:`goldset.validation.launch`, which builds on this.
"""

from __future__ import annotations

from goldset.runs._add import FIELDS, add_run, remove_run
from goldset.runs._compare import Comparison, Delta, compare_runs, regression_gate
from goldset.runs._files import RunInfo, find_run, list_runs, lock_path, runs_dir
from goldset.runs._page import run_report_page
from goldset.runs._report import (
    Cell,
    Failure,
    GroupResult,
    RunReport,
    ScenarioResult,
    Staleness,
    TierResult,
    judge,
    launch_metrics,
    report_file,
    run_report,
    staleness,
)

__all__ = [
    "FIELDS",
    "Cell",
    "Comparison",
    "Delta",
    "Failure",
    "GroupResult",
    "RunInfo",
    "RunReport",
    "ScenarioResult",
    "Staleness",
    "TierResult",
    "add_run",
    "compare_runs",
    "find_run",
    "judge",
    "launch_metrics",
    "list_runs",
    "lock_path",
    "regression_gate",
    "remove_run",
    "report_file",
    "run_report",
    "run_report_page",
    "runs_dir",
    "staleness",
]
