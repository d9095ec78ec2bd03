"""Coverage: is every priority scenario covered well enough to launch?

Owns: the per-scenario verdicts and the launch gate computed in one DuckDB scan
(``_compute``), traffic shares to compare the set with real usage (``_traffic``), what a report
describes (dataset, data digest, spec hash: ``_subject``), and the report's self-contained HTML
page with the layout pieces every rendering shares (``page``), which a snapshot commits. The
table and Markdown renderings are the CLI's business (:mod:`goldset.cli.render`).
"""

from __future__ import annotations

from goldset.coverage import _page as page
from goldset.coverage._compute import (
    CoverageReport,
    EdgeCaseMatrix,
    GateResult,
    ScenarioCoverage,
    TrafficSummary,
    check_gate,
    compute_coverage,
)
from goldset.coverage._subject import ReportSubject, data_time, spec_digest
from goldset.coverage._traffic import Traffic, parse_traffic, read_traffic

__all__ = [
    "CoverageReport",
    "EdgeCaseMatrix",
    "GateResult",
    "ReportSubject",
    "ScenarioCoverage",
    "Traffic",
    "TrafficSummary",
    "check_gate",
    "compute_coverage",
    "data_time",
    "page",
    "parse_traffic",
    "read_traffic",
    "spec_digest",
]
