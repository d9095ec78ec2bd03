"""Coverage: is every priority scenario covered well enough to launch?

Owns: the per-scenario verdicts and the launch gate computed in one DuckDB scan
(``_compute``), and traffic shares to compare the set with real usage (``_traffic``).
Rendering the report is the CLI's business (:mod:`goldset.cli.render`).
"""

from __future__ import annotations

from goldset.coverage._compute import (
    CoverageReport,
    EdgeCaseMatrix,
    GateResult,
    ScenarioCoverage,
    TrafficSummary,
    check_gate,
    compute_coverage,
)
from goldset.coverage._traffic import Traffic, parse_traffic, read_traffic

__all__ = [
    "CoverageReport",
    "EdgeCaseMatrix",
    "GateResult",
    "ScenarioCoverage",
    "Traffic",
    "TrafficSummary",
    "check_gate",
    "compute_coverage",
    "parse_traffic",
    "read_traffic",
]
