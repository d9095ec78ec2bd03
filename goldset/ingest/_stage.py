"""Staging of incoming rows: defaults, derived ids, validation, in-file duplicates.

Readers (``_readers``) turn any source into *raw chunks*: Arrow tables with the
``_canonical.raw_schema()`` columns, one row per source row, ``_row`` its line/row number and ``_error`` a
problem the reader already found (bad JSON, wrong type). The :class:`Stager` validates and
completes them in DuckDB (vectorized, so a million rows stage in about a second) into a temp
table, spilling to disk beyond its memory limit, so a file larger than memory imports.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from goldset.errors import BadInput, DuplicateIds
from goldset.ingest._plan import (
    GIVEN_BITS,
    ImportPlan,
    ImportResult,
    Planned,
    kept_in_metadata,
    make_plan,
)
from goldset.store import (
    COLUMNS,
    CONTENT_COLUMNS,
    DUCKDB_TYPES,
    MAX_FIELD_BYTES,
    blank_sql,
    db,
    input_hash_sql,
)
from goldset.vocab import POLARITIES, STATUSES, known_list, require_known
from goldset.workspace import writing

if TYPE_CHECKING:
    import duckdb

    from goldset.ingest._canonical import Chunk
    from goldset.workspace import Dataset, OnDuplicate, Writer

#: Problems listed in an error message; the rejects file holds all of them.
MAX_LISTED = 20
#: The source row number of a staged row.
_ROW = "_row"
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,255}$"


class ImportDefaults(BaseModel):
    """Values applied to every incoming row (CLI flags of ``goldset import``)."""

    scenarios: list[str] = Field(default_factory=list)
    edge_cases: list[str] = Field(default_factory=list)
    tier: str | None = None
    polarity: str | None = None
    #: Status of new rows that give none (None: draft). Approved is an approval (the review right).
    status: str | None = None
    source: str = "unknown"


class Problem(BaseModel):
    row: int
    reason: str
    id: str | None = None
    input: str | None = None


class Stager:
    """Validates raw chunks into temp table ``_staged`` of one DuckDB connection."""

    def __init__(self, ds: Dataset, con: duckdb.DuckDBPyConnection, defaults: ImportDefaults, row_label: str = "line") -> None:
        self.ds = ds
        self.con = con
        self.defaults = defaults
        self.row_label = row_label
        self.rows_in = 0
        spec = ds.spec
        require_known("scenario", defaults.scenarios, spec.scenarios, "--scenario")
        require_known("edge case", defaults.edge_cases, spec.edge_cases, "--edge-case")
        require_known("tier", [defaults.tier] if defaults.tier is not None else [], spec.tiers, "--tier")
        if defaults.status is not None and defaults.status not in STATUSES:
            raise BadInput(f"--status: must be one of {', '.join(STATUSES)}")
        self._select_sql = self._build_select()
        # Staged rows go to uncompressed Parquet files, not a DuckDB table: 2.5x faster to
        # write here, and a file larger than memory stages in bounded memory.
        _remove_stale_stages()
        self.dir = Path(tempfile.mkdtemp(prefix=_STAGE_PREFIX))
        self._files = 0
        self._unknown: dict[str, list[str]] = {}
        #: Source columns seen in the input (a FastChunk's block, or a raw chunk's schema metadata).
        self.columns: dict[str, None] = {}
        self.reset()

    def reset(self) -> None:
        """Start over (a fast path gave up half-way)."""
        for f in self.dir.glob("*.parquet"):
            f.unlink()
        self._files = 0
        self.rows_in = 0
        self._unknown = {}
        self.columns = {}
        self._refresh_view()

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def check_taxonomy(self) -> None:
        """Find scenario and edge-case ids the spec does not know, once for all rows.

        Testing every row's lists against the taxonomy while staging costs more than the
        hash; the set of ids used is small, so it is checked here, and only when some id is
        unknown does the view name the rows that carry it."""
        spec = self.ds.spec
        self._unknown = {}
        for col, known in (("scenarios", spec.scenarios), ("edge_cases", spec.edge_cases)):
            used = self.con.execute(f"SELECT DISTINCT unnest({col}) FROM _staged").fetchall()
            bad = sorted(u for (u,) in used if u not in known)
            if bad:
                self._unknown[col] = bad
        self._refresh_view()

    def _refresh_view(self) -> None:
        if self._files:
            src = f"SELECT * FROM read_parquet({db.sql_str(str(self.dir / '*.parquet'))})"
            if self._unknown:
                spec, q = self.ds.spec, db.sql_str
                known = {"scenarios": ("scenario", list(spec.scenarios)), "edge_cases": ("edge case", list(spec.edge_cases))}
                checks = ", ".join(
                    f"CASE WHEN list_has_any({col}, {db.sql_list(bad)}::VARCHAR[]) THEN '{col}: unknown ' || "
                    f"array_to_string(list_filter({col}, lambda x: list_contains({db.sql_list(bad)}::VARCHAR[], x)), ', ') "
                    f"|| ' ' || {q(known_list(*known[col]))} END"
                    for col, bad in self._unknown.items()
                )
                src = f"SELECT * REPLACE (nullif(concat_ws('; ', _problem, {checks}), '') AS _problem) FROM ({src})"
        else:
            cols = ", ".join(f"CAST(NULL AS {DUCKDB_TYPES[c]}) AS {c}" for c in COLUMNS)
            src = (f"SELECT CAST(NULL AS BIGINT) AS _row, {cols}, CAST(NULL AS INTEGER) AS _given, "
                   "CAST(NULL AS VARCHAR) AS _problem WHERE false")
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW _staged AS {src}")

    def _build_select(self) -> str:
        spec, d = self.ds.spec, self.defaults
        q = db.sql_str
        user = q(self.ds.workspace.user)
        checks = [
            "_error",
            f"CASE WHEN _error IS NULL AND {blank_sql('input')} THEN 'input: missing (empty or only whitespace)' END",
            f"CASE WHEN strlen(input) > {MAX_FIELD_BYTES} THEN 'input: ' || strlen(input) || ' bytes, more than the {MAX_FIELD_BYTES >> 20} MiB limit' END",
            f"CASE WHEN strlen(expected) > {MAX_FIELD_BYTES} THEN 'expected: ' || strlen(expected) || ' bytes, more than the {MAX_FIELD_BYTES >> 20} MiB limit' END",
            f"CASE WHEN strlen(metadata) > {MAX_FIELD_BYTES} THEN 'metadata: more than the {MAX_FIELD_BYTES >> 20} MiB limit' END",
            f"CASE WHEN nullif(trim(id), '') IS NOT NULL AND NOT regexp_matches(trim(id), {q(_ID_PATTERN)}) THEN 'id: ' || to_json(id) || ' is not a valid id (letters, digits and ._:@/+- ; at most 256)' END",
            f"CASE WHEN pol NOT IN {tuple(POLARITIES)} THEN 'polarity: ' || to_json(pol) || ' is not positive or negative' END",
            f"CASE WHEN st NOT IN {tuple(STATUSES)} THEN 'status: ' || to_json(st) || ' is not one of {', '.join(STATUSES)}' END",
            # Spec values only as escaped literals (q), never pasted into SQL text.
            f"CASE WHEN ti NOT IN ({', '.join(q(t) for t in spec.tiers)}) THEN 'tier: ' || to_json(ti) || "
            f"{q(' is not one of the tiers (' + ', '.join(spec.tiers) + ')')} END",
        ]
        tier = q(d.tier or spec.tier_default)
        return f"""
        SELECT _row,
            CASE WHEN nullif(trim(id), '') IS NULL THEN h ELSE trim(id) END AS id,
            input, expected, pol AS polarity, sc AS scenarios, ec AS edge_cases, ti AS tier, st AS status,
            coalesce(nullif(source, ''), {q(d.source)}) AS source,
            coalesce(metadata, '{{}}') AS metadata,
            h AS input_hash,
            CAST(NULL AS TIMESTAMPTZ) AS created_at, CAST(NULL AS VARCHAR) AS created_by,
            CAST(NULL AS TIMESTAMPTZ) AS updated_at, CAST(NULL AS VARCHAR) AS updated_by,
            CAST(CASE WHEN st = 'approved' THEN now() END AS TIMESTAMPTZ) AS reviewed_at,
            CAST(CASE WHEN st = 'approved' THEN {user} END AS VARCHAR) AS reviewed_by,
            g AS _given,
            nullif(concat_ws('; ', {', '.join(checks)}), '') AS _problem
        FROM (
                SELECT *, {input_hash_sql('input')} AS h,
                    coalesce(lower(_given_polarity), {q(d.polarity or 'positive')}) AS pol,
                    coalesce(lower(_given_status), {q(d.status or 'draft')}) AS st,
                    coalesce(_given_tier, {tier}) AS ti,
                    {_id_list('scenarios', d.scenarios)} AS sc,
                    {_id_list('edge_cases', d.edge_cases)} AS ec,
                    {_given_sql()} AS g
                FROM (SELECT *, {', '.join(f"nullif(trim({f}), '') AS _given_{f}" for f in _TRIMMED)} FROM _raw)
        )"""

    def add_chunk(self, chunk: Chunk) -> None:
        """Stage a raw chunk, or a parsed block with the SQL that maps it (FastChunk)."""
        from goldset.ingest._canonical import FastChunk, chunk_columns

        self.columns.update(dict.fromkeys(chunk_columns(chunk)))
        if isinstance(chunk, FastChunk):
            self.con.register("_block", chunk.block)
            try:
                self.add_sql(chunk.sql)
            finally:
                self.con.unregister("_block")
            return
        self.con.register("_raw_chunk", chunk)
        try:
            self.add_sql("SELECT * FROM _raw_chunk")
        finally:
            self.con.unregister("_raw_chunk")

    def add_sql(self, select: str) -> None:
        """Stage the rows of a SELECT producing the raw chunk columns."""
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW _raw AS {select}")
        target = self.dir / f"chunk-{self._files:06d}.parquet"
        try:
            n = self.con.execute(
                f"COPY ({self._select_sql}) TO {db.sql_str(str(target))} (FORMAT parquet, COMPRESSION uncompressed)"
            ).fetchone()
        finally:
            self.con.execute("DROP VIEW IF EXISTS _raw")
        self._files += 1
        self.rows_in += int(n[0]) if n else 0
        self._refresh_view()

    def problems(self, limit: int | None = None) -> list[Problem]:
        lim = f"LIMIT {limit}" if limit else ""
        rows = self.con.execute(
            f"SELECT {_ROW}, _problem, id, left(input, 80) FROM _staged WHERE _problem IS NOT NULL ORDER BY {_ROW} {lim}"
        ).fetchall()
        return [Problem(row=r[0], reason=r[1], id=r[2], input=r[3]) for r in rows]

    def count_problems(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM _staged WHERE _problem IS NOT NULL").fetchone()[0])  # type: ignore[index]

    def finish(self, on_duplicate: OnDuplicate, skip_invalid: bool) -> tuple[int, int]:
        """Check in-file problems; leave one row per id in ``_final``.

        Returns (rows dropped as identical repeats, rows skipped as conflicting repeats).
        """
        con = self.con
        bad = self.count_problems()
        if self.rows_in == 0:
            raise BadInput("the input holds no rows; nothing to import")
        if bad and not skip_invalid:
            listed = [f"{self.row_label} {p.row}: {p.reason}" for p in self.problems(MAX_LISTED)]
            good = self.rows_in - bad
            raise BadInput(
                f"{bad} bad row(s) of {self.rows_in}, nothing written (first: {listed[0]}); "
                f"fix them, or pass --skip-invalid to write the {good} good row(s)",
                problems=listed,
            )
        cols = ", ".join((*COLUMNS, "_given"))
        good = self.rows_in - bad
        distinct = con.execute("SELECT count(DISTINCT id) FROM _staged WHERE _problem IS NULL").fetchone()[0]  # type: ignore[index]
        if distinct == good:
            # The common case: no id twice. Skip the window and the extra copy.
            con.execute(f"CREATE OR REPLACE TEMP VIEW _final AS SELECT {cols} FROM _staged WHERE _problem IS NULL")
            return 0, 0
        content = ", ".join(CONTENT_COLUMNS)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _dups AS
            SELECT id, count(*) AS n, count(DISTINCT struct_pack({content})) AS variants,
                   list({_ROW} ORDER BY {_ROW}) AS rows, any_value(left(input, 60)) AS sample
            FROM _staged WHERE _problem IS NULL
              AND id IN (SELECT id FROM _staged WHERE _problem IS NULL GROUP BY id HAVING count(*) > 1)
            GROUP BY id"""
        )
        conflicting = con.execute("SELECT count(*), coalesce(sum(n), 0) FROM _dups WHERE variants > 1").fetchone() or (0, 0)
        if conflicting[0] and on_duplicate == "error":
            rows = con.execute(
                f"SELECT id, rows, sample FROM _dups WHERE variants > 1 ORDER BY rows[1] LIMIT {MAX_LISTED}"
            ).fetchall()
            listed = [f"id {i} ({self.row_label}s {', '.join(map(str, r))}): {s!r}" for i, r, s in rows]
            raise DuplicateIds(
                f"{conflicting[0]} id(s) occur more than once in the input with different content "
                f"(first: {listed[0]}); nothing written. Give them distinct ids, or pass "
                "--on-duplicate skip (first wins) or update (last wins)",
                problems=listed,
            )
        order = "DESC" if on_duplicate == "update" else "ASC"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _final AS
            SELECT {cols} FROM _staged WHERE _problem IS NULL
            QUALIFY row_number() OVER (PARTITION BY id ORDER BY {_ROW} {order}) = 1
            ORDER BY {_ROW}"""
        )
        identical = con.execute("SELECT coalesce(sum(n - 1), 0) FROM _dups WHERE variants = 1").fetchone()[0]  # type: ignore[index]
        skipped = int(conflicting[1]) - int(conflicting[0])
        return int(identical), skipped

    def write_rejects(self, path: str) -> int:
        """Write every bad row with its reason as JSON lines."""
        con = self.con
        n = self.count_problems()
        con.execute(
            f"""COPY (SELECT {_ROW} AS {self.row_label}, _problem AS reason, id, input, expected, polarity,
                scenarios, edge_cases, tier, status, source, metadata
                FROM _staged WHERE _problem IS NOT NULL ORDER BY {_ROW})
            TO {db.sql_str(path)} (FORMAT json)"""
        )
        return int(n)


_STAGE_PREFIX = "goldset-stage-"
#: A staging directory untouched this long belongs to an import that was killed.
_STALE_SECONDS = 24 * 3600


def _remove_stale_stages() -> None:
    cutoff = time.time() - _STALE_SECONDS
    for d in Path(tempfile.gettempdir()).glob(_STAGE_PREFIX + "*"):
        try:
            if d.stat().st_mtime < cutoff:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass  # another process removed it first


def _given_sql() -> str:
    """SQL over the raw columns: the bit mask of the fields a row gives (``_plan.GIVEN_BITS``):
    a value that is not null (nor blank, for the one-word fields)."""
    # The one-word fields' trimmed values are computed once, in the select below (_given_*):
    # trimming each twice per row cost more than the rest of the mask.
    terms = [
        f"CASE WHEN {f'_given_{f}' if f in _TRIMMED else f} IS NOT NULL THEN {bit} ELSE 0 END"
        for f, bit in GIVEN_BITS.items()
    ]
    return f"CAST({' + '.join(terms)} AS INTEGER)"


#: Fields given only when not blank after a trim; the staging select trims each once.
_TRIMMED = ("polarity", "tier", "status", "source")


def _id_list(col: str, extra: list[str]) -> str:
    """A list column as stored: blanks dropped, no duplicates, sorted. Sorting and
    deduplicating cost 5x more than the rest, so one-element lists skip them."""
    src = f"coalesce({col}, []::VARCHAR[])"
    if extra:
        src = f"list_concat({src}, {db.sql_list(extra)}::VARCHAR[])"
    kept = f"list_filter({src}, lambda x: trim(x) <> '')"
    return f"CASE WHEN len({src}) <= 1 THEN {kept} ELSE list_sort(list_distinct({kept})) END"



def stage_and_merge(
    ds: Dataset,
    con: duckdb.DuckDBPyConnection,
    feed: Callable[[Stager], str],
    defaults: ImportDefaults,
    *,
    op: str,
    on_duplicate: OnDuplicate,
    note: str | None = None,
    source: str | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    rejects: str | None = None,
    keep_approval: bool = False,
    restore_removed: bool = False,
    dry_run: bool = False,
) -> ImportResult | ImportPlan:
    """Stage rows (``feed`` fills the stager and returns the row label), check them, plan the
    merge field by field (:mod:`goldset.ingest._plan`), then, unless ``dry_run`` (which returns
    the :class:`ImportPlan`), admit every right the plan needs and merge into the store through
    the write path: all or nothing unless ``skip_invalid``."""
    run = _Run(ds, con, feed, defaults, op=op, on_duplicate=on_duplicate, source=source, mapping=mapping or {},
               skip_invalid=skip_invalid, rejects=rejects, keep_approval=keep_approval, restore_removed=restore_removed)
    if dry_run:
        return run.plan_only()
    with writing(ds, "import", op=op, note=note) as w:
        return run.write(w, note)


class _Run:
    """One staging and its plan, then either the plan (dry run) or the write."""

    def __init__(self, ds: Dataset, con: duckdb.DuckDBPyConnection, feed: Callable[[Stager], str],
                 defaults: ImportDefaults, *, op: str, on_duplicate: OnDuplicate, source: str | None,
                 mapping: Mapping[str, str], skip_invalid: bool, rejects: str | None, keep_approval: bool,
                 restore_removed: bool) -> None:
        self.ds, self.con, self.feed, self.defaults = ds, con, feed, defaults
        self.op, self.on_duplicate, self.source, self.mapping = op, on_duplicate, source, mapping
        self.skip_invalid, self.rejects = skip_invalid, rejects
        self.keep_approval, self.restore_removed = keep_approval, restore_removed
        # Filled by _stage:
        self.rows_in = self.rejected = self.identical = self.skipped = 0
        self.problems: list[str] = []
        self.kept: list[str] = []
        self.hints: list[str] = []

    def _stage(self, stager: Stager) -> Planned:
        stager.row_label = self.feed(stager)
        stager.check_taxonomy()
        self.rejected = stager.count_problems()
        if self.rejects and self.rejected:
            stager.write_rejects(self.rejects)
        self.identical, self.skipped = stager.finish(self.on_duplicate, self.skip_invalid)
        self.problems = [f"{stager.row_label} {p.row}: {p.reason}" for p in stager.problems(MAX_LISTED)]
        self.rows_in = stager.rows_in
        self.kept, self.hints = kept_in_metadata(stager.columns, self.mapping)
        return make_plan(
            self.ds, self.con, "_final", op=self.op, on_duplicate=self.on_duplicate, status_flag=self.defaults.status,
            keep_approval=self.keep_approval, restore_removed=self.restore_removed,
        )

    def plan_only(self) -> ImportPlan:
        from goldset.access import roles

        stager = Stager(self.ds, self.con, self.defaults)
        try:
            plan = self._stage(stager).plan
        finally:
            stager.close()
        ds = self.ds
        if roles.denial(ds.spec.roles, ds.workspace.user, ds.name, "import") is not None:
            plan.refused.insert(0, f"{self.op}: needs role {' or '.join(roles.roles_for('import'))}")
        plan.source, plan.rows, plan.rejected, plan.problems = self.source, self.rows_in, self.rejected, self.problems
        plan.unchanged += self.identical
        plan.skipped += self.skipped
        plan.metadata_columns, plan.hints = self.kept, self.hints
        return plan

    def write(self, w: Writer, note: str | None) -> ImportResult:
        stager = Stager(self.ds, self.con, self.defaults)
        try:
            planned = self._stage(stager)
            planned.authorize(self.ds)
            plan = planned.plan
            # Filled before the merge: the audit line is written at the commit, inside it.
            result = ImportResult(
                op=w.op, dataset=self.ds.name, fields=plan.fields, back_to_draft=plan.back_to_draft,
                reapproved=plan.reapproved, removed_left_out=plan.removed, restored=plan.restored,
                unchanged=self.identical, skipped=self.skipped, rejected=self.rejected, problems=self.problems,
                metadata_columns=self.kept, hints=self.hints,
            )
            said = [note] if note else []
            if plan.fields:
                said.append("changed " + ", ".join(f"{f} {n}" for f, n in plan.fields.items()))
            if plan.back_to_draft:
                said.append(f"{plan.back_to_draft} approved example(s) back to draft (content changed)")
            if plan.reapproved:
                said.append(f"{plan.reapproved} changed example(s) kept approved (--keep-approval)")
            if plan.restored:
                said.append(f"{plan.restored} removed id(s) restored")
            w.note = "; ".join(said) or None
            w.merge_staged(self.con, planned.merge_table, on_duplicate=self.on_duplicate, values=planned.values, result=result)
        finally:
            stager.close()
        return result
