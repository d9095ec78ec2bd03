"""The result of a validation run: one line per expectation, as pydantic models; like every
report, it names the dataset, data digest and spec hash it describes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from goldset.coverage import ReportSubject

Severity = Literal["error", "warning"]


class Offender(BaseModel):
    """One offending row of a failed expectation (from the sample GX returns)."""

    id: str
    value: Any = None
    #: Extra explanation, e.g. which PII kinds matched.
    note: str | None = None


class ExpectationOutcome(BaseModel):
    check: str
    description: str
    type: str
    batch: str
    column: str | None = None
    severity: Severity
    generated: bool
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    #: First offending rows (ids from the batch's key column: example id, scenario, column).
    offenders: list[Offender] = Field(default_factory=list)
    #: Set when GX could not evaluate the expectation (e.g. a column that does not exist).
    exception: str | None = None
    #: For a failed "values in set" check: each value not in the set and how many rows carry
    #: it, most frequent first (unknown scenario ids and their example counts).
    unexpected_values: dict[str, int] = Field(default_factory=dict)
    #: What those values are, for messages: "scenario", "edge case", "tier", or "value".
    unexpected_kind: str = "value"

    @property
    def sample_ids(self) -> list[str]:
        return [o.id for o in self.offenders]

    def unexpected_text(self, shown: int = 10) -> str:
        """``unknown scenarios: mystery (2), tpyo (1)``; empty when there are none."""
        if not self.unexpected_values:
            return ""
        items = list(self.unexpected_values.items())
        text = ", ".join(f"{v} ({n:,})" for v, n in items[:shown])
        more = f", ... ({len(items)} in all)" if len(items) > shown else ""
        noun = "values not in the set" if self.unexpected_kind == "value" else f"unknown {self.unexpected_kind}s"
        return f"{noun}: {text}{more}"


class ValidationReport(ReportSubject):
    #: The suite file, relative to the workspace when it is inside it.
    suite: str
    suite_source: Literal["file", "default"]
    validated_at: datetime
    rows: int
    success: bool
    errors_failed: int
    warnings_failed: int
    results: list[ExpectationOutcome]
    gx_version: str
    #: check -> failing rows, numbers only (the DVC metrics of a version are reports/metrics.json).
    metrics: dict[str, int] = Field(default_factory=dict)
    #: Seconds per step of this run; left out of the report a snapshot commits.
    timings: dict[str, float] = Field(default_factory=dict)

    def failed(self, severity: Severity | None = None) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and (severity is None or r.severity == severity)]

    def only(self, severity: Severity | None) -> ValidationReport:
        """The same report restricted to one severity (counts and verdict follow)."""
        if severity is None:
            return self
        results = [r for r in self.results if r.severity == severity]
        errors = sum(1 for r in results if not r.success and r.severity == "error")
        warnings = sum(1 for r in results if not r.success and r.severity == "warning")
        return self.model_copy(update={"results": results, "errors_failed": errors,
                                       "warnings_failed": warnings, "success": errors == 0})

    def problems(self) -> list[str]:
        """One line per failed error-severity expectation."""
        return [
            f"{r.check}: {r.exception or (format(r.unexpected_count or 0, ',') + ' failing')}"
            + (f"; {r.unexpected_text()}" if r.unexpected_values else "")
            + (f": {', '.join(r.sample_ids[:5])}" if r.sample_ids and not r.unexpected_values else "")
            for r in self.failed("error")
        ]

    def summary(self) -> str:
        verdict = "passed" if self.success else "FAILED"
        return (f"validation {verdict}: {self.dataset}, {self.rows:,} rows, {len(self.results)} expectations, "
                f"{self.errors_failed} error(s), {self.warnings_failed} warning(s)")

