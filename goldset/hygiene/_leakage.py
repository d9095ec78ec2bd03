"""Leakage: golden inputs that appear in training data, exactly or nearly.

An evaluation example the model was trained on measures memory, not skill: its result says
nothing about the inputs users will send. :func:`find_leakage` checks the live, not retired
examples against training files (:mod:`goldset.hygiene._train`), streamed once:

* **exact**: the training text's normalized hash equals an example's ``input_hash`` (the one
  normalization, :func:`goldset.store.input_hash_sql`);
* **near**: the Jaccard similarity of their shingle sets is at least the threshold. The golden
  shingle sets are indexed once (MinHash LSH band keys, :mod:`goldset.hygiene._minhash`); each
  batch of training rows is signed, looked up, and its candidates verified exactly (DuckDB).

Each leaked example is reported once, with its best match (an exact one first): the training
file, row (1-based, in file order) and text, and how many training rows matched. Counts per
scenario and tier follow; ``fail_on_tiers`` makes a gate (:func:`leakage_gate`): no example of
those tiers may appear in the training data.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from goldset.errors import BadInput, CheckFailed, GoldsetError, UsageError
from goldset.hygiene import _minhash as mh
from goldset.hygiene import _train as train_files
from goldset.hygiene._check import CheckOffender, HygieneCheck, percent
from goldset.store import db, input_hash_sql, normalize_sql
from goldset.vocab import require_known

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from goldset.spec import Shingles
    from goldset.workspace import Dataset

#: Characters of a training text kept in the report.
MAX_TEXT = 1000


class TrainFile(BaseModel):
    path: str
    format: str
    rows: int
    #: Rows with no text in the column (null or blank): not compared.
    empty: int = 0


class LeakageMatch(BaseModel):
    id: str
    input: str
    expected: str | None
    scenarios: list[str]
    tier: str
    status: str
    kind: Literal["exact", "near"]
    #: Exact Jaccard of the shingle sets with the best training row (1.0 for an exact match).
    jaccard: float
    #: MinHash's estimate for a near match.
    estimated: float | None = None
    train_file: str
    train_row: int
    #: The training row's text (cut at 1,000 characters).
    train_text: str
    #: An exact match: the training rows whose normalized text is this input.
    exact_rows: int = 0
    #: A near match: the training rows at or above the threshold.
    near_rows: int = 0


class LeakageCount(BaseModel):
    #: A scenario or tier (None: examples with no scenario).
    name: str | None
    examples: int
    exact: int
    near: int

    @property
    def leaked(self) -> int:
        return self.exact + self.near


class LeakageReport(BaseModel):
    dataset: str
    data: str | None = None
    column: str
    threshold: float
    shingles: str
    num_perm: int
    bands: int
    rows_per_band: int
    files: list[TrainFile]
    train_rows: int
    #: Live examples that are not retired: the ones checked.
    examples: int
    exact: int
    near: int
    matches: list[LeakageMatch]
    by_scenario: list[LeakageCount]
    by_tier: list[LeakageCount]
    fail_on_tiers: list[str] = Field(default_factory=list)
    gate_passed: bool = True
    #: Ids of leaked examples in ``fail_on_tiers``.
    failing: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def leaked(self) -> int:
        return self.exact + self.near


class _Golden:
    """The examples checked: hashes for exact matches, an LSH index for near ones, and what
    each batch found."""

    def __init__(self, con: duckdb.DuckDBPyConnection, lsh: mh.Lsh) -> None:
        self.lsh = lsh
        self.sig = mh.set_signatures(con, lsh)
        keys = mh.key_table(mh.band_keys(self.sig, lsh), np.arange(self.sig.shape[0]), "sid")
        con.register("_keys", keys)
        try:
            con.execute("CREATE TEMP TABLE gkeys AS SELECT * FROM _keys")
        finally:
            con.unregister("_keys")
        n_rows = int(con.execute("SELECT count(*) FROM ex").fetchall()[0][0])
        self.set_of = np.empty(n_rows, dtype=np.int64)
        sets = con.sql("SELECT sid, rids FROM sets").to_arrow_table()
        for sid, rids in zip(sets.column("sid").to_pylist(), sets.column("rids").to_pylist(), strict=True):
            self.set_of[rids] = sid
        hashes = con.sql("SELECT input_hash, list(rid) AS rids FROM ex GROUP BY input_hash").to_arrow_table()
        self.hashes: pa.Array = hashes.column("input_hash").combine_chunks()
        self.rows_of_hash: list[list[int]] = hashes.column("rids").to_pylist()
        self.exact_rows = np.zeros(n_rows, dtype=np.int64)
        #: Rows of each set not found exactly yet; a set with none left is settled: its rows
        #: are exact matches whatever else matches them, so its band keys go.
        self.pending = np.bincount(self.set_of, minlength=self.sig.shape[0])
        self.near_rows = np.zeros(self.sig.shape[0], dtype=np.int64)
        self.best_j = np.full(self.sig.shape[0], -1.0)
        #: rid -> (file, row, text) of its first exact match; sid -> (j, est, file, row, text).
        self.first_exact: dict[int, tuple[str, int, str]] = {}
        self.best_near: dict[int, tuple[float, float, str, int, str]] = {}


def find_leakage(
    ds: Dataset,
    train: Sequence[str | Path] | None = None,
    *,
    column: str | None = None,
    threshold: float | None = None,
    shingles: Shingles | None = None,
    fail_on_tiers: Sequence[str] | None = None,
) -> LeakageReport:
    """The examples of ``ds`` found in the training files ``train`` (default: the spec's
    ``leakage.train``, relative to the workspace); the other arguments default to the spec's
    ``leakage:`` values, else column ``text``, threshold 0.8, word shingles, no gate."""
    cfg = ds.spec.leakage
    root = None
    if not train:
        if cfg is None:
            raise UsageError("no training data: name the files (goldset leakage TRAIN...) or set leakage.train in goldset.yaml")
        train, root = cfg.train, ds.workspace.root
    column = column or (cfg.column if cfg else "text")
    threshold = threshold if threshold is not None else (cfg.threshold if cfg else 0.8)
    shingles = shingles or (cfg.shingles if cfg else "word")
    tiers = list(fail_on_tiers) if fail_on_tiers is not None else (list(cfg.fail_on_tiers) if cfg else [])
    require_known("tier", tiers, ds.spec.tiers, "fail_on_tiers")
    lsh = mh.lsh_for(threshold)
    srcs = train_files.sources(train, root)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    con = db.connect()
    try:
        with ds.store.pinned() as (manifest, files):
            ds.checked_out(manifest)
            con.execute(
                "CREATE TEMP TABLE ex AS SELECT row_number() OVER (ORDER BY id) - 1 AS rid, id, input, expected, scenarios, "
                f"tier, status, input_hash FROM ({db.parts_select(files)}) WHERE status <> 'retired'"
            )
        mh.create_sets(con, "SELECT rid, input FROM ex", shingles)
        golden = _Golden(con, lsh)
        timings["index_s"] = time.perf_counter() - t0
        t = time.perf_counter()
        read = [_scan(con, golden, src, column, shingles) for src in srcs]
        timings["scan_s"] = time.perf_counter() - t
        matches = _matches(con, golden)
        by_scenario, by_tier = _counts(con, matches, ds.spec.tiers)
        examples = len(golden.exact_rows)
    finally:
        con.close()
    failing = [m.id for m in matches if m.tier in tiers]
    timings["total_s"] = time.perf_counter() - t0
    return LeakageReport(
        dataset=ds.name, data=manifest.digest, column=column, threshold=threshold, shingles=shingles,
        num_perm=lsh.num_perm, bands=lsh.bands, rows_per_band=lsh.rows, files=read,
        train_rows=sum(f.rows for f in read), examples=examples,
        exact=sum(m.kind == "exact" for m in matches), near=sum(m.kind == "near" for m in matches),
        matches=matches, by_scenario=by_scenario, by_tier=by_tier, fail_on_tiers=tiers,
        gate_passed=not failing, failing=failing, timings=timings,
    )


def _scan(con: duckdb.DuckDBPyConnection, golden: _Golden, src: train_files.TrainSource, column: str, shingles: Shingles) -> TrainFile:
    """Stream one training file through the exact and near lookups."""
    reader = db.connect()
    rows = empty = 0
    try:
        with train_files.opened(src) as location:
            texts = train_files.text_select(reader, src, location, column)
            sql = (f"SELECT text, {input_hash_sql('text')} AS h, sh, hs, {normalize_sql('text')} = '' AS blank "
                   f"FROM ({mh.shingle_select(texts, 'text', shingles)})")
            for batch in train_files.batches(reader, src, location, sql):
                empty += _batch(con, golden, src.shown, rows, batch)
                rows += batch.num_rows
            if src.fmt in ("json", "jsonl") and rows and empty == rows:
                raise train_files.missing_text(reader, src, location, column)
    finally:
        reader.close()
    if rows == 0:
        raise BadInput(f"{src.shown}: holds no rows")
    return TrainFile(path=src.shown, format=src.fmt, rows=rows, empty=empty)


def _batch(con: duckdb.DuckDBPyConnection, golden: _Golden, shown: str, first_row: int, batch: pa.RecordBatch) -> int:
    """Record the exact and near matches of one batch; the number of rows without text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = batch.column("text")
    usable = pc.and_(pc.is_valid(batch.column("h")), pc.invert(pc.fill_null(batch.column("blank"), True)))
    ok = np.flatnonzero(usable.to_numpy(zero_copy_only=False))
    # exact: the normalized hash
    where = pc.index_in(batch.column("h"), value_set=golden.hashes)
    exact_at = np.flatnonzero(where.is_valid().to_numpy(zero_copy_only=False))
    skip: list[tuple[int, int]] = []  # (batch row, set) pairs already exact: not counted as near too
    settled: list[int] = []
    for i, h in zip(exact_at.tolist(), where.take(pa.array(exact_at)).to_pylist(), strict=True):
        for rid in golden.rows_of_hash[h]:
            golden.exact_rows[rid] += 1
            s = int(golden.set_of[rid])
            if rid not in golden.first_exact:
                golden.first_exact[rid] = (shown, first_row + i + 1, _cut(text[i].as_py()))
                golden.pending[s] -= 1
                if golden.pending[s] == 0:
                    settled.append(s)
            skip.append((i, s))
    if settled:
        con.execute("DELETE FROM gkeys WHERE sid IN (SELECT unnest(?::BIGINT[]))", [settled])
    if len(ok) == 0:
        return int(batch.num_rows)
    # near: candidates share a band key; verified on the shingle lists
    values, offsets = mh.list_layout(batch.column("hs").take(pa.array(ok)))
    sig = mh.signatures(values, offsets, golden.lsh.num_perm)
    found = _verify(con, golden, mh.key_table(mh.band_keys(sig, golden.lsh), ok, "qrow"),
                    pa.table({"qrow": ok, "sh": batch.column("sh").take(pa.array(ok))}),
                    pa.table({"qrow": pa.array([i for i, _ in skip], pa.int64()), "sid": pa.array([s for _, s in skip], pa.int64())}))
    if not len(found["sid"]):
        return int(batch.num_rows) - len(ok)
    f_sid, f_row, f_j = found["sid"].astype(np.int64), found["qrow"].astype(np.int64), found["j"]
    est = mh.estimate(sig, np.searchsorted(ok, f_row), f_sid, other=golden.sig)
    np.add.at(golden.near_rows, f_sid, 1)
    for k in np.flatnonzero(np.r_[True, f_sid[1:] != f_sid[:-1]]).tolist():  # the best row of each set
        s, j, row = int(f_sid[k]), float(f_j[k]), int(f_row[k])
        if j > golden.best_j[s]:
            golden.best_j[s] = j
            golden.best_near[s] = (j, round(float(est[k]), 4), shown, first_row + row + 1, _cut(text[row].as_py()))
    return int(batch.num_rows) - len(ok)


def _verify(con: duckdb.DuckDBPyConnection, golden: _Golden, keys: pa.Table, rows: pa.Table, skip: pa.Table) -> dict[str, Any]:
    """The (batch row, set) pairs at or above the threshold: candidates share a band key with
    a set not settled, are not exact copies of one of its rows, and pass the exact Jaccard;
    ordered by set, best first."""
    con.register("_qk", keys)
    con.register("_q", rows)
    con.register("_skip", skip)
    try:
        found: dict[str, Any] = con.execute(
            f"SELECT qrow, sid, j FROM (SELECT c.qrow, c.sid, {mh.jaccard_sql('q.sh', 's.sh')} AS j FROM ("
            "SELECT DISTINCT k.qrow, g.sid FROM _qk k JOIN gkeys g USING (key)) c "
            "ANTI JOIN _skip x ON x.qrow = c.qrow AND x.sid = c.sid "
            "JOIN _q q ON q.qrow = c.qrow JOIN sets s ON s.sid = c.sid) WHERE j >= ? ORDER BY sid, j DESC, qrow",
            [golden.lsh.threshold],
        ).fetchnumpy()
    finally:
        for name in ("_qk", "_q", "_skip"):
            con.unregister(name)
    return found


def _cut(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."


def _matches(con: duckdb.DuckDBPyConnection, golden: _Golden) -> list[LeakageMatch]:
    import pyarrow as pa

    leaked = np.flatnonzero((golden.exact_rows > 0) | (golden.near_rows[golden.set_of] > 0))
    if not len(leaked):
        return []
    con.register("_leaked", pa.table({"rid": leaked.astype(np.int64)}))
    try:
        rows = con.execute(
            "SELECT rid, id, input, expected, scenarios, tier, status FROM ex SEMI JOIN _leaked USING (rid) ORDER BY id"
        ).fetchall()
    finally:
        con.unregister("_leaked")
    out = []
    for rid, *fields in rows:
        base: dict[str, Any] = dict(zip(("id", "input", "expected", "scenarios", "tier", "status"), fields, strict=True))
        s = int(golden.set_of[rid])
        if rid in golden.first_exact:
            f, r, t = golden.first_exact[rid]
            out.append(LeakageMatch(**base, kind="exact", jaccard=1.0, train_file=f, train_row=r, train_text=t,
                                    exact_rows=int(golden.exact_rows[rid])))
        else:
            j, est, f, r, t = golden.best_near[s]
            out.append(LeakageMatch(**base, kind="near", jaccard=j, estimated=est, train_file=f, train_row=r, train_text=t,
                                    near_rows=int(golden.near_rows[s])))
    return out


def _counts(con: duckdb.DuckDBPyConnection, matches: list[LeakageMatch], tiers: list[str]) -> tuple[list[LeakageCount], list[LeakageCount]]:
    """Per scenario (those with a leaked example) and per tier (every tier): examples, exact, near."""
    import pyarrow as pa

    kind = {m.id: m.kind for m in matches}
    con.register("_kind", pa.table({"id": pa.array(list(kind), pa.string()), "kind": pa.array(list(kind.values()), pa.string())}))
    try:
        def count(group: str) -> list[tuple[Any, ...]]:
            return con.execute(
                f"SELECT g, count(*), count(*) FILTER (WHERE kind = 'exact'), count(*) FILTER (WHERE kind = 'near') "
                f"FROM (SELECT {group} AS g, k.kind FROM ex LEFT JOIN _kind k USING (id)) GROUP BY g"
            ).fetchall()

        scen = count("unnest(CASE WHEN len(scenarios) = 0 THEN [NULL::VARCHAR] ELSE scenarios END)")
        tier = count("tier")
    finally:
        con.unregister("_kind")
    by_scenario = sorted((LeakageCount(name=g, examples=n, exact=e, near=x) for g, n, e, x in scen if e or x),
                         key=lambda c: (-c.leaked, c.name or ""))
    got = {g: LeakageCount(name=g, examples=n, exact=e, near=x) for g, n, e, x in tier}
    by_tier = [got.get(t, LeakageCount(name=t, examples=0, exact=0, near=0)) for t in tiers]
    by_tier += [c for g, c in sorted(got.items()) if g not in tiers]
    return by_scenario, by_tier


def leakage_gate(report: LeakageReport) -> None:
    """Raise :class:`~goldset.errors.CheckFailed` (exit 1) when an example of the report's
    ``fail_on_tiers`` appears in the training data, one problem line per example."""
    if report.gate_passed:
        return
    failing = set(report.failing)
    lines = [f"{m.id} ({m.tier}, {m.kind}, Jaccard {m.jaccard:.2f}): {m.train_file} row {m.train_row}"
             for m in report.matches if m.id in failing]
    raise CheckFailed(
        f"leakage: {len(failing):,} example(s) of tier {', '.join(report.fail_on_tiers)} appear in the training data",
        lines,
    )


def leakage_check(ds: Dataset, *, sample: int = 20) -> HygieneCheck | None:
    """Validation's leakage check, as the spec's ``leakage:`` configures it (None without
    one): an error when an example of ``fail_on_tiers`` is in the training data, else a
    warning for any example that is."""
    cfg = ds.spec.leakage
    if cfg is None:
        return None
    gate = bool(cfg.fail_on_tiers)
    what = f"no example of tier {', '.join(cfg.fail_on_tiers)}" if gate else "no example"
    base: dict[str, Any] = {
        "check": "leakage", "type": "goldset_leakage", "severity": "error" if gate else "warning",
        "description": f"{what} appears in the training data ({', '.join(cfg.train)}; column {cfg.column!r}, "
                       f"exact or at Jaccard >= {cfg.threshold})",
    }
    try:
        report = find_leakage(ds)
    except GoldsetError as exc:
        return HygieneCheck(**base, success=False, exception=str(exc))
    bad = [m for m in report.matches if not gate or m.tier in cfg.fail_on_tiers]
    return HygieneCheck(
        **base, success=not bad, element_count=report.examples, unexpected_count=len(bad),
        unexpected_percent=percent(len(bad), report.examples),
        observed_value={"exact": report.exact, "near": report.near, "train_rows": report.train_rows},
        offenders=[CheckOffender(id=m.id, value=m.input, note=f"{m.kind} (Jaccard {m.jaccard:.2f}): {m.train_file} row {m.train_row}")
                   for m in bad[:sample]],
    )
