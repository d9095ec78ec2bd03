"""``goldset launch RUN``: may this model ship? One verdict from the golden set's validation,
its coverage gate and the run's launch bar, all on the same golden set revision.

The run must have been evaluated on the examples the store holds now: if any counted example
was added, removed or changed since (by fingerprint; provenance does not count), the run is
refused, naming them, unless ``allow_stale`` (then the report says so). A ``--partial`` run
that left counted examples out never launches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from goldset.errors import StaleRun
from goldset.runs import RunReport, run_report
from goldset.validation._check import CheckReport, run_check

if TYPE_CHECKING:
    from goldset.workspace import Dataset


class LaunchReport(BaseModel):
    dataset: str
    run: str
    passed: bool
    validation_passed: bool
    coverage_gate_passed: bool
    #: The run's launch-bar verdict: pass, fail or insufficient ("not enough evidence").
    run_verdict: str
    stale: bool = False
    allowed_stale: bool = False
    #: One line per reason the launch is refused (empty when it passes).
    failures: list[str] = Field(default_factory=list)
    check: CheckReport
    report: RunReport


def launch(ds: Dataset, run: str, *, allow_stale: bool = False, sample: int = 20) -> LaunchReport:
    """The launch verdict of ``run`` on the dataset as it is now."""
    report = run_report(ds, run)
    stale = report.staleness
    if report.staleness_error is not None:
        raise StaleRun(f"run {run!r}: cannot compare it with the golden set here: {report.staleness_error}")
    is_stale = stale is not None and stale.stale
    if is_stale and not allow_stale:
        assert stale is not None
        raise StaleRun(f"run {run!r} was evaluated on other data than the golden set now holds: {stale.summary()}; "
                       "evaluate the model again and add a new run, or accept it with --allow-stale",
                       problems=[f"{i}" for i in stale.ids])
    check = run_check(ds, sample=sample)
    failures = list(check.failures)
    failures += [f"launch bar: {line}" for line in report.reasons]
    if is_stale:
        assert stale is not None
        failures.append(f"stale run accepted with --allow-stale: {stale.summary()}")
    # A partial run is evidence about part of the set: fine to report and compare, never a
    # launch of the whole (its missing examples would otherwise pass unseen).
    info = report.run
    missing = info.counted - info.answered
    if info.partial and missing:
        failures.append(f"run {run!r} is partial: {missing:,} of {info.counted:,} counted examples have no output; "
                        "a launch needs a run over the whole set")
    passed = check.passed and report.verdict == "pass" and not (info.partial and missing)
    return LaunchReport(
        dataset=ds.name, run=run, passed=passed, validation_passed=check.validation_passed,
        coverage_gate_passed=check.coverage_gate_passed, run_verdict=report.verdict, stale=is_stale,
        allowed_stale=is_stale and allow_stale, failures=failures, check=check, report=report,
    )
