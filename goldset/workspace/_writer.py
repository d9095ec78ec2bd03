"""A store write in progress: the primitives every verb's change is made of.

* :meth:`Writer.merge_staged` puts staged rows (new or replacing) into the store;
* :meth:`Writer.rewrite` changes or removes rows matching a predicate, rewriting only the
  parts that hold them (copy-on-write), so DVC stores little per version;
* :meth:`Writer.replace_all` makes the store another version's parts and tombstones
  (``restore``).

A :class:`Writer` exists only inside :func:`goldset.workspace.writing`, which admitted the
write and will audit it; the first use of ``tx`` takes the dataset's lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from goldset.errors import DuplicateIds
from goldset.store import (
    COLUMNS,
    CONTENT_COLUMNS,
    DUCKDB_TYPES,
    PART_ROWS,
    Transaction,
    db,
    same_files,
)
from goldset.vocab import OnDuplicate
from goldset.workspace._dataset import Dataset, WriteResult

if TYPE_CHECKING:
    import duckdb


#: Columns an update of a stored row keeps unless told otherwise (``merge_staged``'s ``values``).
_KEPT_ON_UPDATE = ("created_at", "created_by", "reviewed_at", "reviewed_by")


class Writer:
    """One write to a dataset's store, in progress. Obtained only from :func:`writing`.

    Set ``result`` (the primitives do) for the audit line; ``note`` and ``predicate`` go into
    it too. ``audited = False`` skips the line (a write that turned out to change nothing
    that deserves one, such as a compaction with nothing to merge)."""

    def __init__(self, ds: Dataset, op: str, stack: contextlib.ExitStack,
                 auditor: Callable[[Writer, WriteResult, int], str] | None = None) -> None:
        self.ds = ds
        self.op = op
        self.user = ds.workspace.user
        self.result: WriteResult | None = None
        self.note: str | None = None
        self.predicate: str | None = None
        self.audited = True
        #: Rows the audit line names, when not the rows the result changed (a compaction moves rows).
        self.rows: int | None = None
        self._stack = stack
        self._tx: Transaction | None = None
        self._auditor = auditor
        #: The audit line was written at the commit (so writing() must not write another).
        self.recorded = False

    @property
    def tx(self) -> Transaction:
        """The store transaction; the first use takes the dataset's lock."""
        if self._tx is None:
            self.ds.manifest()  # refuse before the transaction makes the store's directory
            tx = self._stack.enter_context(self.ds.store.transaction(timeout=self.ds.workspace.lock_timeout))
            # Never write on a store that is not the checked-out version: checked under the
            # lock, on the manifest this write starts from.
            version = self.ds.lineage(tx.base)
            if version is not None:  # the first write on the recorded empty version
                tx.lineage = version
            self._tx = tx
        return self._tx

    def commit(self, result: WriteResult) -> None:
        """Commit the transaction; the audit line of ``result`` is appended first and its
        hash recorded in the new manifest (see :meth:`goldset.store.Transaction.commit`)."""
        tx = self.tx
        # What the audit line reports is known before the commit: the parts are written.
        result.parts_written, result.bytes_written = len(tx.added), tx.bytes_written
        result.generation = tx.base.generation + 1
        auditor = self._auditor
        if auditor is None or not self.audited:
            self.tx.commit()
            return

        def record(generation: int) -> str:
            self.recorded = True
            return auditor(self, result, generation)

        self.tx.commit(audit=record)

    def _finish(self, result: WriteResult) -> WriteResult:
        tx = self.tx
        result.parts_written = len(tx.added)
        result.bytes_written = tx.bytes_written
        result.generation = tx.base.generation
        self.result = result
        return result

    def merge_staged(
        self,
        con: duckdb.DuckDBPyConnection,
        staged: str,
        *,
        on_duplicate: OnDuplicate,
        values: Mapping[str, str] | None = None,
        result: WriteResult | None = None,
    ) -> WriteResult:
        """Write the rows of table ``staged`` (content columns + input_hash, unique ids).

        ``values`` says what a row already stored becomes: column -> SQL over ``s`` (the staged
        row) and ``c`` (the stored one). A column it does not name takes the staged value, except
        creation and review provenance, which stay as stored. An id whose content would not change
        is counted unchanged; otherwise it is an error, skipped or changed as ``on_duplicate``
        says. Runs under the store lock, so the comparison and the write see the same state.

        ``result``: the result to fill in (a subclass carrying the caller's own counts, which
        the audit line then holds too); its unchanged and skipped counts are added to.
        """
        ds, tx = self.ds, self.tx
        result = result if result is not None else WriteResult(op=self.op, dataset=ds.name)
        con.execute(f"CREATE OR REPLACE TEMP VIEW _cur AS {db.parts_select(ds.store.files(tx.base), filename=True)}")
        value = {c: f"c.{c}" if c in _KEPT_ON_UPDATE else f"s.{c}" for c in COLUMNS}
        value.update(values or {})
        same = " AND ".join(f"({value[c]}) IS NOT DISTINCT FROM c.{c}" for c in CONTENT_COLUMNS)
        _drop_relation(con, "_write")  # a view or a table, whichever an earlier write left
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _existing AS
            SELECT s.id, c.filename, ({same}) AS identical
            FROM {staged} s JOIN _cur c ON s.id = c.id"""
        )
        unchanged, conflicts = con.execute(
            "SELECT count(*) FILTER (WHERE identical), count(*) FILTER (WHERE NOT identical) FROM _existing"
        ).fetchone() or (0, 0)
        if conflicts and on_duplicate == "error":
            differs = ", ".join(
                f"CASE WHEN ({value[c]}) IS DISTINCT FROM c.{c} THEN '{c} differs' END" for c in CONTENT_COLUMNS if c != "id"
            )
            found = con.execute(
                f"""SELECT s.id, concat_ws(', ', {differs}) FROM {staged} s JOIN _cur c ON s.id = c.id
                WHERE s.id IN (SELECT id FROM _existing WHERE NOT identical) ORDER BY s.id LIMIT 20"""
            ).fetchall()
            listed = [f"id {i}: {fields}" for i, fields in found]
            raise DuplicateIds(
                f"{conflicts} id(s) already in dataset {ds.name!r} with different content "
                f"({'; '.join(listed[:3])}{' ...' if conflicts > 3 else ''}); use --on-duplicate skip "
                "to keep the stored rows, or update to change the fields the input gives",
                problems=listed,
            )
        result.unchanged += unchanged
        replace = on_duplicate == "update"
        result.updated = conflicts if replace else 0
        result.skipped += 0 if replace else conflicts
        keep_cols = ", ".join(f"{value[c]} AS {c}" for c in COLUMNS)
        content = ", ".join(f"s.{c}" for c in COLUMNS)
        con.execute(
            f"""CREATE OR REPLACE TEMP {"TABLE" if replace and conflicts else "VIEW"} _write AS
            SELECT {content} FROM {staged} s WHERE s.id NOT IN (SELECT id FROM _existing)
            {"UNION ALL SELECT " + keep_cols + f" FROM {staged} s JOIN _cur c ON s.id = c.id WHERE s.id IN (SELECT id FROM _existing WHERE NOT identical)" if replace else ""}"""
        )
        n_new = con.execute("SELECT count(*) FROM _write").fetchone()[0]  # type: ignore[index]
        result.added = n_new - result.updated
        if replace and conflicts:
            touched = [r[0] for r in con.execute("SELECT DISTINCT filename FROM _existing WHERE NOT identical").fetchall()]
            self._write_parts(
                con,
                f"SELECT {', '.join(COLUMNS)} FROM read_parquet({db.sql_list(touched)}) WHERE id NOT IN (SELECT id FROM _existing WHERE NOT identical)",
                _rows_in(tx, touched),
            )
            for part in touched:
                tx.drop(Path(part).name)
            result.parts_replaced = len(touched)
        if n_new:
            self._write_rows(con, "_write", n_new)
        result.ids_sample = [r[0] for r in con.execute("SELECT id FROM _write LIMIT 100").fetchall()]
        if result.added or result.updated:
            self.commit(result)
        return self._finish(result)

    def rewrite(
        self,
        con: duckdb.DuckDBPyConnection,
        predicate: str,
        assignments: Mapping[str, str] | None,
        *,
        dry_run: bool = False,
    ) -> WriteResult:
        """Set columns (SQL expressions over the row) where ``predicate`` holds, or remove
        those rows when ``assignments`` is None. Only parts holding changed rows are rewritten;
        updated_at/by change only on rows whose content actually changes."""
        ds, tx = self.ds, self.tx
        result = WriteResult(op=self.op, dataset=ds.name, dry_run=dry_run)
        files = ds.store.files(tx.base)
        if assignments is None:
            changed = f"({predicate})"
        else:
            diffs = " OR ".join(f"({expr}) IS DISTINCT FROM {col}" for col, expr in assignments.items())
            changed = f"(({predicate}) AND ({diffs}))"
        con.execute(f"CREATE OR REPLACE TEMP VIEW _cur AS {db.parts_select(files, filename=True)}")
        # A WHERE drops NULL as false; no coalesce, so the predicate stays a conjunct the
        # optimizer can turn into a join (5x faster).
        con.execute(f"CREATE OR REPLACE TEMP TABLE _hits AS SELECT id, filename FROM _cur WHERE {changed}")
        n = con.execute("SELECT count(*) FROM _hits").fetchone()[0]  # type: ignore[index]
        result.ids_sample = [r[0] for r in con.execute("SELECT id FROM _hits ORDER BY id LIMIT 100").fetchall()]
        if assignments is None:
            result.removed = n
        else:
            result.updated = n
        if dry_run or n == 0:
            return self._finish(result)
        touched = [r[0] for r in con.execute("SELECT DISTINCT filename FROM _hits").fetchall()]
        hit = "id IN (SELECT id FROM _hits)"
        src = f"read_parquet({db.sql_list(touched)})"
        if assignments is None:
            sql = f"SELECT {', '.join(COLUMNS)} FROM {src} WHERE NOT ({hit})"
        else:
            sets = dict(assignments)
            sets.setdefault("updated_at", "now()")
            sets.setdefault("updated_by", db.sql_str(self.user))
            cols = ", ".join(
                f"CASE WHEN {hit} THEN CAST(({sets[c]}) AS {DUCKDB_TYPES[c]}) ELSE {c} END AS {c}" if c in sets else c
                for c in COLUMNS
            )
            sql = f"SELECT {cols} FROM {src}"
        # All touched parts in one COPY: DuckDB writes the new parts in parallel.
        self._write_parts(con, sql, _rows_in(tx, touched))
        for part in touched:
            tx.drop(Path(part).name)
        if assignments is None:  # removed ids are remembered, so a re-import does not revive them
            tx.add_removed_ids([r[0] for r in con.execute("SELECT id FROM _hits ORDER BY id").fetchall()])
        result.parts_replaced = len(touched)
        self.commit(result)
        return self._finish(result)

    # -- part writing ----------------------------------------------------------------------
    def copy_part(self, con: duckdb.DuckDBPyConnection, sql: str) -> None:
        """Write the rows of ``sql`` as one new part (nothing when it has no rows)."""
        tx = self.tx
        tmp, final = tx.new_part()
        rows = con.execute(
            f"COPY ({sql}) TO {db.sql_str(str(tmp))} (FORMAT parquet, COMPRESSION zstd)"
        ).fetchone()[0]  # type: ignore[index]
        if rows:
            tx.add_written(tmp, final, rows)
        else:
            tmp.unlink(missing_ok=True)

    def _write_parts(self, con: duckdb.DuckDBPyConnection, sql: str, rows_hint: int) -> None:
        """Write the rows of ``sql`` as parts of about PART_ROWS rows each.

        Up to PART_ROWS rows: one part. More: one COPY into a temp directory, which DuckDB
        writes in parallel, one row group per file; each file then becomes a part.
        """
        if rows_hint <= PART_ROWS:
            self.copy_part(con, sql)
            return
        import pyarrow.parquet as pq

        tx = self.tx
        tmp_dir = tx.new_scratch_dir("bulk")
        con.execute(
            f"COPY ({sql}) TO {db.sql_str(str(tmp_dir))} "
            f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {PART_ROWS}, ROW_GROUPS_PER_FILE 1)"
        )
        try:
            for f in sorted(tmp_dir.iterdir()):
                rows = pq.read_metadata(f).num_rows
                if rows:
                    tmp, final = tx.new_part()
                    os.rename(f, tmp)
                    tx.add_written(tmp, final, rows)
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)

    def _write_rows(self, con: duckdb.DuckDBPyConnection, table: str, n: int) -> None:
        """Write new rows of ``table``, provenance filled in."""
        u = db.sql_str(self.user)
        fill = {
            "created_at": "coalesce(created_at, now())",
            "created_by": f"coalesce(created_by, {u})",
            "updated_at": "now()",
            "updated_by": u,
        }
        cols = ", ".join(f"CAST({fill[c]} AS {DUCKDB_TYPES[c]}) AS {c}" if c in fill else c for c in COLUMNS)
        self._write_parts(con, f"SELECT {cols} FROM {table}", n)

    def replace_all(self, part_files: Sequence[Path], removed_files: Sequence[Path], result: WriteResult) -> WriteResult:
        """Make the store exactly the given parts and removed-ids files (another version's,
        e.g. a past revision's for ``restore``), in one commit with ``result``'s audit line.

        Each given part becomes a new journaled part, copied byte for byte (every column,
        provenance included; the caller checked the columns); every live part is dropped,
        except one of the same name and size as a given part (the same immutable file), which
        stays as it is. The tombstones become exactly ``removed_files``
        (:meth:`Transaction.replace_removed`). Nothing is deleted before the manifest commit.
        """
        import pyarrow.parquet as pq

        tx = self.tx
        kept, new = same_files(tx.base.parts, part_files)
        for src in new:
            tmp, final = tx.new_part()
            shutil.copyfile(src, tmp)
            rows = pq.read_metadata(tmp).num_rows
            if rows:
                tx.add_written(tmp, final, rows)
            else:
                tmp.unlink(missing_ok=True)
        dropped = [p.name for p in tx.base.parts if p.name not in kept]
        for name in dropped:
            tx.drop(name)
        tx.replace_removed(removed_files)
        result.parts_replaced = len(dropped)
        self.commit(result)
        return self._finish(result)


    def replace_rows(
        self,
        con: duckdb.DuckDBPyConnection,
        changed: str,
        rows: str,
        result: WriteResult,
        *,
        tombstones: Sequence[Path] | None = None,
    ) -> WriteResult:
        """Replace the stored rows of the ids in table ``changed`` (column ``id``) by the rows
        of table ``rows`` (every column, provenance included, taken as given): an id of
        ``changed`` without a row in ``rows`` is removed, one not stored yet is added. Only the
        parts holding a changed id are rewritten; the others stay as they are. ``tombstones``:
        the removed-ids files the store's tombstones become (None: unchanged). One commit,
        with ``result``'s audit line. Used by ``merge``, whose rows come from two versions."""
        ds, tx = self.ds, self.tx
        files = ds.store.files(tx.base)
        con.execute(f"CREATE OR REPLACE TEMP VIEW _cur AS {db.parts_select(files, filename=True)}")
        touched = [r[0] for r in con.execute(
            f"SELECT DISTINCT filename FROM _cur WHERE id IN (SELECT id FROM {changed})").fetchall()]
        kept = ""
        if touched:
            kept = (f"SELECT {', '.join(COLUMNS)} FROM read_parquet({db.sql_list(touched)}) "
                    f"WHERE id NOT IN (SELECT id FROM {changed}) UNION ALL ")
        n_new = con.execute(f"SELECT count(*) FROM {rows}").fetchone()[0]  # type: ignore[index]
        self._write_parts(con, f"{kept}SELECT {', '.join(COLUMNS)} FROM {rows}", _rows_in(tx, touched) + n_new)
        for part in touched:
            tx.drop(Path(part).name)
        if tombstones is not None:
            tx.replace_removed(tombstones)
        result.parts_replaced = len(touched)
        self.commit(result)
        return self._finish(result)


def _rows_in(tx: Transaction, files: Sequence[str]) -> int:
    names = {Path(f).name for f in files}
    return sum(p.rows for p in tx.base.parts if p.name in names)


def _drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    import duckdb

    for kind in ("VIEW", "TABLE"):
        with contextlib.suppress(duckdb.CatalogException):
            con.execute(f"DROP {kind} IF EXISTS {name}")
