"""Run a dataset's suite through Great Expectations and turn the results into a report.

GX runs in an ephemeral context (nothing on disk, analytics and progress bars off) on pandas
frames from :mod:`goldset.validation.prepare`. Two things keep it fast at 1M rows (measured,
see docs/architecture.md and bench/bench_validate.py):

* batch fingerprinting off (``pandas_execution_engine.HASH_THRESHOLD = 0``);
* each expectation of the ``examples`` batch sees only the columns it reads: GX copies the
  whole batch frame whenever it drops null rows or offending rows, so a narrow frame (a free
  column selection under pandas' copy-on-write) costs 2-3x less than the full one;
* frames keep their default RangeIndex: GX then returns offending rows as positions in one
  vectorized step (its per-row lookup for ``unexpected_index_column_names`` takes ~70 us a
  row, 20+ s when a check fails on a third of a million rows); positions map to ids here.
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldset.coverage import spec_digest
from goldset.errors import SpecError
from goldset.validation import _pii as pii
from goldset.validation._prepare import Prepared, columns_used
from goldset.validation._report import (
    ExpectationOutcome,
    Offender,
    Severity,
    ValidationReport,
)
from goldset.validation._suite import BATCH_KEYS, is_generated, load_suite

if TYPE_CHECKING:
    import pandas as pd

    from goldset.store import Manifest
    from goldset.workspace import Dataset

#: Allowance for clocks of machines that wrote rows running a little ahead.
CLOCK_SKEW = timedelta(minutes=5)
_VALUE_CHARS = 200
#: Rows from which expectations of ``examples`` run on frames of only the columns they read.
NARROW_ROWS = 50_000
_READ_RETRIES = 5


def import_gx() -> Any:
    """``import great_expectations`` (~3 s), configured for goldset: no analytics, no batch
    fingerprinting, GX's own logging quiet (goldset reports every problem itself)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)
    return gx


def _context(gx: Any) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def check_expectations(
    expectations: list[dict[str, Any]], path: str, positions: list[int | None] | None = None
) -> list[dict[str, Any]]:
    """Build every expectation with GX once, so a bad one fails with a message naming the file
    and the expectation (``gx.ExpectationSuite`` would log it and drop it silently).
    ``positions`` are the expectations' numbers in the file (None: generated from the spec)."""
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    out = []
    for n, exp in enumerate(expectations, 1):
        i = positions[n - 1] if positions else n
        # A fresh id in memory maps results back (ids in the file may be missing or copied).
        exp = {**exp, "id": str(uuid.uuid4())}
        try:
            ExpectationConfiguration(**exp).to_domain_obj()
        except Exception as exc:  # GX raises many types (pydantic, its own, KeyError)
            msg = " ".join(str(exc).split())[:300]
            which = f"expectation {i}" if i is not None else f"generated expectation {n}"
            raise SpecError(f"{path}: {which} ({exp.get('type')}) is invalid: {msg}; fix or remove it") from None
        out.append(exp)
    return out


def _batch_of(exp: dict[str, Any]) -> str:
    return str((exp.get("meta") or {}).get("batch", "examples"))


def severity_of(exp: dict[str, Any]) -> Severity:
    """meta.severity when set, else GX's own severity (critical = error, else warning)."""
    meta = exp.get("meta") or {}
    if meta.get("severity") == "warning":
        return "warning"
    if meta.get("severity") == "error":
        return "error"
    return "error" if str(exp.get("severity", "critical")).lower().endswith("critical") else "warning"


def validate(
    ds: Dataset, *, suite_file: Path | None = None, sample: int = 20, now: datetime | None = None
) -> ValidationReport:
    """Validate ``ds`` against its suite file (or the default suite when there is none)."""
    t_start = time.perf_counter()
    loaded = load_suite(ds, suite_file)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    timings: dict[str, float] = {}

    t = time.perf_counter()
    gx = import_gx()
    timings["gx_import_s"] = time.perf_counter() - t
    t_work = time.perf_counter()
    exps = check_expectations(loaded.expectations, loaded.path, loaded.positions)
    by_id = {e["id"]: e for e in exps}
    by_batch: dict[str, list[dict[str, Any]]] = {}
    for e in exps:
        by_batch.setdefault(_batch_of(e), []).append(e)

    frames, manifest = _frames(ds, now, by_batch)
    timings["prepare_s"] = time.perf_counter() - t_work

    t = time.perf_counter()
    source = _context(gx).data_sources.add_pandas("goldset")
    params = {"now": (now + CLOCK_SKEW).replace(tzinfo=None)}
    rf = {"result_format": "SUMMARY", "partial_unexpected_count": max(sample, 1)}
    outcomes: dict[str, ExpectationOutcome] = {}
    for batch_name, batch_exps in by_batch.items():
        frame = frames[batch_name]
        # One asset and batch definition per batch: GX re-serializes its whole config (YAML)
        # on every add, ~15 ms each; batches of any frame then come from the one definition.
        definition = source.add_dataframe_asset(batch_name).add_batch_definition_whole_dataframe("all")
        for n, (cols, group) in enumerate(_groups(batch_name, batch_exps, frame), 1):
            sub = frame if cols is None else frame[[c for c in frame.columns if c in cols]]
            batch = definition.get_batch(batch_parameters={"dataframe": sub})
            suite = gx.ExpectationSuite(name=f"{loaded.name}-{batch_name}-{n}", expectations=group)
            result = batch.validate(suite, result_format=rf, expectation_parameters=params)
            for r in result.results:
                exp = by_id[r.expectation_config.id]
                outcomes[exp["id"]] = _outcome(exp, r, frame, batch_name, sample)
    timings["validate_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - t_start

    results = [outcomes[e["id"]] for e in exps]
    seen: dict[str, int] = {}
    for o in results:  # unique names: several user expectations may share a type
        seen[o.check] = seen.get(o.check, 0) + 1
        if seen[o.check] > 1:
            o.check = f"{o.check}#{seen[o.check]}"
    results += _hygiene(ds, sample)  # near-duplicates and leakage, when the spec asks for them
    errors = sum(1 for o in results if not o.success and o.severity == "error")
    warnings = sum(1 for o in results if not o.success and o.severity == "warning")
    return ValidationReport(
        dataset=ds.name, data=manifest.digest, spec=spec_digest(ds.workspace),
        suite=_relative(loaded.path, ds.workspace.root), suite_source=loaded.source, validated_at=now,
        rows=manifest.rows, success=errors == 0, errors_failed=errors, warnings_failed=warnings,
        results=results, gx_version=str(gx.__version__),
        metrics={o.check: o.unexpected_count or (0 if o.success else 1) for o in results},
        timings={k: round(v, 3) for k, v in timings.items()},
    )


def _hygiene(ds: Dataset, sample: int) -> list[ExpectationOutcome]:
    """The spec's ``near_duplicates`` and ``leakage`` checks as outcomes of this report (they
    are set-level checks GX has no expectation for; goldset.hygiene computes them)."""
    from goldset.hygiene import hygiene_checks

    return [
        ExpectationOutcome(
            check=h.check, description=h.description, type=h.type, batch="examples", column="input",
            severity=h.severity, generated=True, success=h.success, element_count=h.element_count,
            unexpected_count=h.unexpected_count, unexpected_percent=h.unexpected_percent,
            observed_value=h.observed_value, exception=h.exception,
            offenders=[Offender(id=o.id, value=o.value, note=o.note) for o in h.offenders],
        )
        for h in hygiene_checks(ds, sample=sample)
    ]


def _relative(path: str, root: Path) -> str:
    """``path`` relative to the workspace root when it is inside it (a report names no
    machine's directories), else as given."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


def _frames(
    ds: Dataset, now: datetime, by_batch: dict[str, list[dict[str, Any]]]
) -> tuple[dict[str, pd.DataFrame], Manifest]:
    """The frames the suite's batches need, and the manifest generation they were read from.
    Retried like ``Dataset.query``: readers never wait for the lock, so a writer may unlink a
    part between our manifest read and the scan."""
    import duckdb

    for attempt in range(_READ_RETRIES):
        prep = Prepared(ds, now)
        try:
            frames: dict[str, pd.DataFrame] = {}
            if "examples" in by_batch:
                frames["examples"] = prep.examples(columns_used(by_batch["examples"], _all_examples_columns()))
            if "taxonomy" in by_batch:
                frames["taxonomy"] = prep.taxonomy()
            if "schema" in by_batch:
                frames["schema"] = prep.schema()
            if "scenario_freshness" in by_batch:
                frames["scenario_freshness"] = prep.scenario_freshness()
            return frames, prep.manifest
        except duckdb.IOException:
            if attempt == _READ_RETRIES - 1:
                raise
        finally:
            prep.con.close()
    raise AssertionError("unreachable")


def _all_examples_columns() -> list[str]:
    from goldset.store import COLUMNS
    from goldset.validation._prepare import DERIVED

    return [c for c in COLUMNS if c not in ("scenarios", "edge_cases")] + list(DERIVED)


def _groups(
    batch: str, exps: list[dict[str, Any]], frame: pd.DataFrame
) -> list[tuple[frozenset[str] | None, list[dict[str, Any]]]]:
    """Expectations grouped by the columns they read. A group runs as one GX suite on a frame
    of just those columns. Only for large ``examples`` frames: each group costs a fixed ~20 ms
    of GX overhead, which narrow frames repay only on many rows; other frames are narrow."""
    if batch != "examples" or len(frame) < NARROW_ROWS:
        return [(None, exps)]
    groups: dict[frozenset[str] | None, list[dict[str, Any]]] = {}
    for e in exps:
        used = columns_used([e], list(frame.columns))
        groups.setdefault(None if used is None else frozenset(used), []).append(e)
    return list(groups.items())


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a value GX returned (numpy, pandas, tuples)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        try:
            return value.isoformat()
        except ValueError:  # NaT
            return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and len(value) > _VALUE_CHARS:
        return value[:_VALUE_CHARS] + "..."
    return value


def _exception(r: Any) -> str | None:
    info = r.exception_info or {}
    items = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for item in items:
        if item.get("raised_exception"):
            return " ".join(str(item.get("exception_message") or "GX raised an exception").split())[:300]
    return None


def _keys_at(frame: pd.DataFrame, key: str, positions: list[Any]) -> dict[int, str]:
    """The key column's values at the offending rows' positions (frames keep a RangeIndex)."""
    if key not in frame.columns or not positions:
        return {}
    try:
        values = frame[key].iloc[[int(p) for p in positions]].tolist()
    except (ValueError, TypeError, IndexError):
        return {}
    # A row without a key (a null id) is named by its position in the batch.
    return {n: f"(row {positions[n]})" if v is None or v != v else str(v) for n, v in enumerate(values)}


def _outcome(exp: dict[str, Any], r: Any, frame: pd.DataFrame, batch: str, sample: int) -> ExpectationOutcome:
    kw = exp.get("kwargs") or {}
    meta = exp.get("meta") or {}
    res = dict(r.result or {})
    column = kw.get("column") or ", ".join(str(kw[k]) for k in ("column_A", "column_B") if k in kw) or None
    key = BATCH_KEYS.get(batch, "id")
    positions = [next(iter(p.values())) if isinstance(p, dict) else p  # named index columns
                 for p in (res.get("partial_unexpected_index_list") or [])[:sample]]
    keys = _keys_at(frame, key, positions)
    values = res.get("partial_unexpected_list") or []
    pats = meta.get("pii_patterns") if isinstance(meta.get("pii_patterns"), dict) else None
    offenders = []
    for n, pos in enumerate(positions):
        ident = keys.get(n, str(pos))
        value = _plain(values[n]) if n < len(values) else None
        note = ", ".join(pii.kinds_in(value, pats)) if pats and isinstance(value, str) else None
        offenders.append(Offender(id=ident, value=value, note=note or None))
    exception = _exception(r)
    unexpected = {} if r.success or exception else _values_not_in_set(exp, frame)
    description = exp.get("description") or f"{exp['type']}({column or ''})"
    return ExpectationOutcome(
        check=str(meta.get("check") or exp["type"]),
        description=str(description),
        type=str(exp["type"]),
        batch=batch,
        column=column,
        severity=severity_of(exp),
        generated=is_generated(exp),
        success=bool(r.success) and exception is None,
        element_count=res.get("element_count"),
        unexpected_count=res.get("unexpected_count"),
        unexpected_percent=_plain(res.get("unexpected_percent")),
        observed_value=_plain(res.get("observed_value")),
        offenders=offenders,
        exception=exception,
        unexpected_values=unexpected,
        unexpected_kind=_KINDS.get(str(kw.get("column")), "value"),
    )


#: What the values of a column are, for "unknown ..." messages.
_KINDS = {"scenario": "scenario", "edge_case": "edge case", "tier": "tier"}
#: Distinct unexpected values kept in a report.
_MAX_VALUES = 100


def _values_not_in_set(exp: dict[str, Any], frame: pd.DataFrame) -> dict[str, int]:
    """For a failed ``expect_column_values_to_be_in_set`` on the whole column: every value
    outside the set with its number of rows, most frequent first. GX reports only a sample of
    offending rows; the counts come from the frame it validated."""
    kw = exp.get("kwargs") or {}
    column, values = kw.get("column"), kw.get("value_set")
    if (exp.get("type") != "expect_column_values_to_be_in_set" or not isinstance(values, list)
            or column not in frame.columns or kw.get("row_condition") is not None):
        return {}
    col = frame[column]
    counts = col[col.notna() & ~col.isin(values)].astype(str).value_counts()
    pairs = sorted(((str(v), int(n)) for v, n in counts.items()), key=lambda p: (-p[1], p[0]))
    return dict(pairs[:_MAX_VALUES])
