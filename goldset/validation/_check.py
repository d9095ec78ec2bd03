"""``goldset check``: validation and the coverage gate in one run, one verdict, one document.

For CI jobs: the JSON holds both full reports, so a job needs one command and one exit code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from goldset.coverage import CoverageReport
from goldset.validation._report import ValidationReport

if TYPE_CHECKING:
    from goldset.workspace import Dataset


class CheckReport(BaseModel):
    dataset: str
    passed: bool
    validation_passed: bool
    coverage_gate_passed: bool
    #: One line per reason the check fails (empty when it passes).
    failures: list[str] = Field(default_factory=list)
    validation: ValidationReport
    coverage: CoverageReport


def run_check(ds: Dataset, *, sample: int = 20) -> CheckReport:
    """Validate ``ds`` and compute its coverage; passed = no error-severity expectation failed
    and every blocking scenario meets its bar."""
    from goldset.coverage import compute_coverage
    from goldset.validation._validate import validate

    validation = validate(ds, sample=sample)
    coverage = compute_coverage(ds)
    failures = [f"validation: {line}" for line in validation.problems()]
    failures += [f"coverage gate: {sid} is below its bar" for sid in coverage.gate.failing]
    return CheckReport(
        dataset=ds.name,
        passed=validation.success and coverage.gate.passed,
        validation_passed=validation.success,
        coverage_gate_passed=coverage.gate.passed,
        failures=failures,
        validation=validation,
        coverage=coverage,
    )
