"""The reports of a version: ``reports/`` describes exactly the data and spec beside it.

:func:`write_reports` computes the coverage report and the validation report of a dataset's
current data and writes, each atomically (temp file, then replace):

* ``reports/coverage.json`` and ``reports/coverage.html``: the coverage report and its page;
* ``reports/validation.json``: the validation report (without its run's timings);
* ``reports/metrics.json``: the numbers a reviewer compares between versions
  (``dvc metrics diff``): counts, the gate, validation failures, per scenario its examples and
  verdict. No timing, timestamp or path.

``goldset snapshot`` calls it under the store's lock, so the committed reports describe the
committed data; ``goldset reports`` (the ``dvc.yaml`` stage) calls it on the working data.
Every report names the dataset, the data (manifest digest) and the spec (hash of
``goldset.yaml``) it describes, and measures freshness as of the data's last write
(:func:`goldset.coverage.data_time`): the same data and spec always give the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from goldset.errors import ReadOnly, StoreError
from goldset.store import write_atomic

if TYPE_CHECKING:
    from goldset.coverage import CoverageReport
    from goldset.validation import ValidationReport
    from goldset.workspace import Dataset

REPORTS_DIR = "reports"
COVERAGE_JSON = "coverage.json"
COVERAGE_HTML = "coverage.html"
VALIDATION_JSON = "validation.json"
METRICS_JSON = "metrics.json"
#: Attempts to read one generation for both reports when writers commit meanwhile (a snapshot
#: holds the lock, so it needs one).
_ATTEMPTS = 3


class ReportsResult(BaseModel):
    """What :func:`write_reports` wrote, and the verdicts the reports record."""

    dataset: str
    data: str | None = Field(default=None, description="digest of the manifest the reports describe")
    spec: str | None = Field(default=None, description="SHA-256 of the goldset.yaml the reports used")
    as_of: datetime = Field(description="the data's last write: the reports' freshness clock")
    files: list[str] = Field(default_factory=list, description="paths written, relative to the workspace")
    gate_passed: bool
    gate_failing: list[str] = Field(default_factory=list)
    validation_passed: bool
    validation_errors: int = 0
    validation_warnings: int = 0
    metrics: dict[str, Any] = Field(default_factory=dict)


def version_metrics(coverage: CoverageReport, validation: ValidationReport) -> dict[str, Any]:
    """The numbers of ``reports/metrics.json``: only what means something to a reviewer."""
    return {
        "rows": coverage.rows,
        "approved": coverage.statuses.get("approved", 0),
        "drafts": coverage.statuses.get("draft", 0),
        "negatives": coverage.negatives,
        "gate": {"pass": int(coverage.gate.passed), "blocking_failures": len(coverage.gate.failing)},
        "validation": {"pass": int(validation.success), "errors": validation.errors_failed,
                       "warnings": validation.warnings_failed},
        "scenarios": {s.id: {"examples": s.counted, "pass": int(s.verdict == "ok")} for s in coverage.scenarios},
    }


def build_reports(ds: Dataset) -> tuple[CoverageReport, ValidationReport]:
    """The coverage and validation reports of one generation of ``ds``, as of its last write."""
    from goldset.coverage import compute_coverage, data_time
    from goldset.validation import validate

    for _ in range(_ATTEMPTS):
        manifest = ds.manifest()
        now = data_time(manifest)
        coverage = compute_coverage(ds, now=now)
        validation = validate(ds, now=now)
        if coverage.data == validation.data == manifest.digest:
            return coverage, validation
    raise StoreError(f"{ds.name}: the store changed {_ATTEMPTS} times while its reports were made; run again")


def write_reports(ds: Dataset, directory: Path | None = None) -> ReportsResult:
    """Compute and write the four reports of ``ds``'s current data into ``directory``
    (default: ``<workspace>/reports``). A failing gate or validation is recorded in them,
    never raised."""
    from goldset.coverage import page

    ws = ds.workspace
    if ws.read_only and directory is None:
        raise ReadOnly(f"{ws.label} is read-only: its reports are the ones committed with it; "
                       "write them into another directory (--dir)")
    coverage, validation = build_reports(ds)
    metrics = version_metrics(coverage, validation)
    out = directory or ws.root / REPORTS_DIR
    texts = {
        COVERAGE_JSON: coverage.model_dump_json(indent=2) + "\n",
        COVERAGE_HTML: page.html(coverage),
        # The run's timings change every run: the committed report holds what describes the data.
        VALIDATION_JSON: validation.model_dump_json(indent=2, exclude={"timings"}) + "\n",
        METRICS_JSON: json.dumps(metrics, indent=2) + "\n",
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        write_atomic(out / name, text)
    files = [_relative(out / name, ws.root) for name in texts]
    return ReportsResult(
        dataset=ds.name, data=coverage.data, spec=coverage.spec, as_of=coverage.generated_at, files=files,
        gate_passed=coverage.gate.passed, gate_failing=list(coverage.gate.failing),
        validation_passed=validation.success, validation_errors=validation.errors_failed,
        validation_warnings=validation.warnings_failed, metrics=metrics,
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
