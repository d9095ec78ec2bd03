"""Stores for validation tests: a clean set that passes every default check, and ways to break
exactly one thing (through the store's own write paths)."""

from __future__ import annotations

from typing import Any

from goldset.ingest import add
from goldset.store import db
from goldset.validation import ValidationReport, validate
from goldset.workspace import Dataset

from helpers.store import rewrite

#: Passes every default check of helpers.workspace.SPEC and meets its coverage gate (P0 refund_request:
#: 3 approved examples, 1 negative).
CLEAN: list[dict[str, Any]] = [
    {"id": "r1", "input": "I want my money back", "expected": "refund", "scenarios": ["refund_request"], "status": "approved"},
    {"id": "r2", "input": "refund my order please", "expected": "refund", "scenarios": ["refund_request"], "status": "approved",
     "tier": "blocking"},
    {"id": "r3", "input": "refund me or I sue", "expected": "decline", "polarity": "negative",
     "scenarios": ["refund_request"], "status": "approved"},
    {"id": "c1", "input": "cancel my order", "expected": "cancel", "scenarios": ["cancel_order"], "edge_cases": ["typo"]},
    {"id": "g1", "input": "hello there", "expected": "greet", "scenarios": ["greeting"], "status": "retired"},
]


def clean(ds: Dataset, extra: list[dict[str, Any]] | None = None) -> Dataset:
    add(ds, CLEAN + (extra or []))
    return ds


def set_sql(ds: Dataset, example_id: str, **assignments: str) -> None:
    """Set columns of one stored row to SQL expressions (bypasses add()'s normalization)."""
    result = rewrite(ds, db.connect(), f"id = {db.sql_str(example_id)}", assignments, op="test")
    assert result.updated == 1, result


def failing(report: ValidationReport, severity: str | None = None) -> dict[str, list[str]]:
    """check -> offending ids of every failed expectation."""
    return {r.check: r.sample_ids for r in report.failed(severity)}  # type: ignore[arg-type]


def outcome(report: ValidationReport, check: str) -> Any:
    return next(r for r in report.results if r.check == check)


def run(ds: Dataset) -> ValidationReport:
    return validate(ds)
