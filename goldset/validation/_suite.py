"""The Great Expectations suite of a dataset: ``expectations/<dataset>.json``.

The file is a plain GX 1.x suite (``{"name", "expectations": [...], "meta", ...}``). goldset
generates the default expectations from the spec and marks each with
``meta: {"goldset": "generated", "severity": "error"|"warning", "check": KEY, "batch": B}``.
The generated ones always follow the *current* spec: :func:`load_suite` derives them from
goldset.yaml at every validation and ignores the generated copies in the file (which
``goldset expectations generate`` refreshes for reading), so a scenario added with
``goldset scenario add`` or by hand is known at once. Every other expectation in the file is
the user's own and runs as written. Nothing here imports great_expectations: generating and merging are plain
JSON; full validation of each expectation happens in :mod:`goldset.validation.run`.

Batches an expectation can target (``meta.batch``, default ``examples``):

* ``examples``: one row per example; the list columns are left out (they validate as
  ``taxonomy``), timestamps are naive UTC ``datetime64[ns]``, and three derived columns are
  added: ``review_age_days`` (approved examples only), ``repeated_input`` (the group's input,
  on true duplicates: same input, polarity and expected) and ``label_conflict`` (on positives
  sharing their input with a positive that expects something else).
* ``taxonomy``: the long form of the list columns, one row per (example, tag): ``id`` and
  either ``scenario`` or ``edge_case``.
* ``schema``: one row per column of the store: ``column``, ``expected_type``, ``actual_type``.
* ``scenario_freshness``: one row per blocking scenario with counted examples: ``scenario``,
  ``counted``, ``fresh``, ``fresh_share``.

Expectation parameter ``{"$PARAMETER": "now"}`` is the validation time (UTC, plus a small
clock-skew allowance).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, Field

from goldset.errors import SpecError
from goldset.store import write_atomic
from goldset.validation import _pii as pii
from goldset.vocab import POLARITIES, STATUSES
from goldset.workspace import guarding

if TYPE_CHECKING:
    from goldset.spec import DatasetSpec
    from goldset.workspace import Dataset

Severity = Literal["error", "warning"]
BATCHES: Final = ("examples", "taxonomy", "schema", "scenario_freshness")
#: The column whose values name an offending row, per batch.
BATCH_KEYS: Final = {"examples": "id", "taxonomy": "id", "schema": "column", "scenario_freshness": "scenario"}
GENERATED: Final = "generated"
_NS = uuid.UUID("6f1c2a34-9d2e-4c55-8a0e-0c0ffee0d5e7")


def suite_path(ds: Dataset) -> Path:
    return ds.workspace.root / "expectations" / f"{ds.name}.json"


def _exp(
    key: str, type_: str, kwargs: dict[str, Any], description: str, *, severity: Severity = "error",
    batch: str = "examples",
) -> dict[str, Any]:
    return {
        "type": type_,
        "kwargs": kwargs,
        "meta": {"goldset": GENERATED, "check": key, "severity": severity, "batch": batch},
        "description": description,
        "severity": "critical" if severity == "error" else "warning",
        # Stable ids: regenerating the same spec gives the same file (clean git diffs).
        "id": str(uuid.uuid5(_NS, key)),
    }


def default_expectations(spec: DatasetSpec) -> list[dict[str, Any]]:
    """The expectations goldset owns, derived from the dataset's spec."""
    now = {"$PARAMETER": "now"}
    exps = [
        _exp("columns-present", "expect_column_values_to_not_be_null", {"column": "actual_type"},
             "every goldset column is in the store", batch="schema"),
        _exp("column-types", "expect_column_pair_values_to_be_equal",
             {"column_A": "actual_type", "column_B": "expected_type", "ignore_row_if": "either_value_is_missing"},
             "every column has its goldset type", batch="schema"),
        _exp("id-not-null", "expect_column_values_to_not_be_null", {"column": "id"}, "every example has an id"),
        _exp("id-unique", "expect_column_values_to_be_unique", {"column": "id"}, "ids are unique"),
        _exp("tier-known", "expect_column_values_to_be_in_set", {"column": "tier", "value_set": list(spec.tiers)},
             "tier is one of the spec's tiers"),
        _exp("status-known", "expect_column_values_to_be_in_set", {"column": "status", "value_set": list(STATUSES)},
             "status is draft, approved or retired"),
        _exp("polarity-known", "expect_column_values_to_be_in_set", {"column": "polarity", "value_set": list(POLARITIES)},
             "polarity is positive or negative"),
        _exp("scenario-known", "expect_column_values_to_be_in_set", {"column": "scenario", "value_set": list(spec.scenarios)},
             "every scenario tag is in the taxonomy", batch="taxonomy"),
        _exp("edge-case-known", "expect_column_values_to_be_in_set", {"column": "edge_case", "value_set": list(spec.edge_cases)},
             "every edge-case tag is in the catalogue", batch="taxonomy"),
    ]
    for col in ("created_at", "updated_at", "reviewed_at"):
        exps.append(_exp(f"{col.removesuffix('_at')}-not-future", "expect_column_values_to_be_between",
                         {"column": col, "max_value": now}, f"{col} is not in the future"))
    exps.append(_exp("created-before-updated", "expect_column_pair_values_a_to_be_greater_than_b",
                     {"column_A": "updated_at", "column_B": "created_at", "or_equal": True}, "created_at <= updated_at"))
    max_age = spec.freshness.max_review_age_days
    exps.append(_exp("review-fresh", "expect_column_values_to_be_between", {"column": "review_age_days", "max_value": max_age},
                     f"approved examples reviewed in the last {max_age} days", severity="warning"))
    if spec.freshness.min_fresh_share is not None:
        share = spec.freshness.min_fresh_share
        exps.append(_exp("fresh-share", "expect_column_values_to_be_between", {"column": "fresh_share", "min_value": share},
                         f"blocking scenarios have at least {share:.0%} fresh examples", batch="scenario_freshness"))
    pats = pii.patterns(spec)
    if pats:
        exempt = f"; examples tagged {', '.join(spec.pii.exempt_edge_cases)} may hold it" if spec.pii.exempt_edge_cases else ""
        for col in pii.PII_COLUMNS:
            # The derived column names the validated hits, masked (goldset.validation._pii).
            exps.append(_exp(f"pii-{col}", "expect_column_values_to_be_null", {"column": f"pii_{col}"},
                             f"no PII in {col} ({', '.join(pats)}; validated){exempt}", severity=spec.pii.severity))
    exps += [
        _exp("repeated-input", "expect_column_values_to_be_null", {"column": "repeated_input"},
             "no duplicate: the same input with the same polarity and expected", severity="warning"),
        _exp("label-conflict", "expect_column_values_to_be_null", {"column": "label_conflict"},
             "positives sharing an input expect the same output"),
        _exp("negative-has-expected", "expect_column_values_to_not_be_null",
             {"column": "expected", "row_condition": 'polarity=="negative"', "condition_parser": "pandas"},
             "negatives state the expected behaviour"),
    ]
    return exps


def is_generated(exp: dict[str, Any]) -> bool:
    meta = exp.get("meta")
    return isinstance(meta, dict) and meta.get("goldset") == GENERATED


def read_suite(path: Path) -> dict[str, Any] | None:
    """The suite file as JSON, checked for shape; None when it does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read the suite file ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
                        "fix it, or delete it and run 'goldset expectations generate'") from None
    except RecursionError:
        raise SpecError(f"{path}: nested too deeply to be a suite file; fix it, or delete it and run 'goldset expectations generate'") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a suite file is a JSON object with an 'expectations' list")
    exps = data.get("expectations", [])
    if not isinstance(exps, list):
        raise SpecError(f"{path}: 'expectations' must be a list")
    for i, exp in enumerate(exps, 1):
        where = f"{path}: expectation {i}"
        if not isinstance(exp, dict):
            raise SpecError(f"{where}: must be an object with 'type' and 'kwargs'")
        if not isinstance(exp.get("type"), str) or not exp["type"]:
            raise SpecError(f"{where}: missing 'type' (e.g. \"expect_column_values_to_not_be_null\")")
        where = f"{where} ({exp['type']})"
        if not isinstance(exp.get("kwargs", {}), dict):
            raise SpecError(f"{where}: 'kwargs' must be an object")
        meta = exp.get("meta") or {}
        if not isinstance(meta, dict):
            raise SpecError(f"{where}: 'meta' must be an object")
        if meta.get("severity") not in (None, "error", "warning"):
            raise SpecError(f"{where}: meta.severity must be \"error\" or \"warning\", not {meta['severity']!r}")
        if meta.get("batch", "examples") not in BATCHES:
            raise SpecError(f"{where}: meta.batch {meta['batch']!r} is not one of {', '.join(BATCHES)}")
    return data


class LoadedSuite(BaseModel):
    """The expectations to run and where they came from."""

    path: str
    source: Literal["file", "default"]
    name: str
    expectations: list[dict[str, Any]]
    #: Each expectation's number in the suite file (1-based), None for one generated from the spec.
    positions: list[int | None] = Field(default_factory=list)


def load_suite(ds: Dataset, path: Path | None = None) -> LoadedSuite:
    """The expectations to run: those generated from the current spec, then the user's own
    from the suite file (its generated copies are left out: they may be stale)."""
    path = path or suite_path(ds)
    data = read_suite(path)
    generated = default_expectations(ds.spec)
    if data is None:
        return LoadedSuite(path=str(path), source="default", name=ds.name, expectations=generated,
                           positions=[None] * len(generated))
    own = [(i, e) for i, e in enumerate(data.get("expectations", []), 1) if not is_generated(e)]
    return LoadedSuite(path=str(path), source="file", name=str(data.get("name") or ds.name),
                       expectations=generated + [e for _, e in own],
                       positions=[None] * len(generated) + [i for i, _ in own])


class GenerateResult(BaseModel):
    path: str
    created: bool
    generated: int
    replaced: int
    kept: int


def generate_suite(ds: Dataset, path: Path | None = None, *, note: str | None = None) -> GenerateResult:
    """Write the default expectations into the suite file, keeping the user's own ones.

    A write like any other: refused on a past revision, needs a role that may configure the
    workspace, audited."""
    with guarding(ds, "configure", op="expectations-generate", note=note):
        return write_default_suite(ds, path)


def write_default_suite(ds: Dataset, path: Path | None = None) -> GenerateResult:
    """The file work of :func:`generate_suite`, for ``init`` (which creates the workspace the
    write path guards, so it has nothing to guard yet)."""
    path = path or suite_path(ds)
    data = read_suite(path)
    created = data is None
    data = data or {"name": ds.name}
    old = data.get("expectations", [])
    kept = [e for e in old if not is_generated(e)]
    fresh = default_expectations(ds.spec)
    meta: dict[str, Any] = data["meta"] if isinstance(data.get("meta"), dict) else {}
    out = {
        "name": data.get("name") or ds.name,
        "expectations": fresh + kept,
        "meta": {**meta, "goldset": "add your own expectations freely; those with meta.goldset == "
                 "'generated' are derived from goldset.yaml at every validation (the copies here are "
                 "for reading, refreshed by 'goldset expectations generate'); all others are kept"},
        **{k: v for k, v in data.items() if k not in ("name", "expectations", "meta")},
    }
    write_atomic(path, json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return GenerateResult(path=str(path), created=created, generated=len(fresh), replaced=len(old) - len(kept), kept=len(kept))
