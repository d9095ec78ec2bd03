"""``compact``: merge small parts into parts of up to ``PART_ROWS`` rows.

Every tag, edit and small import adds a part; many small parts slow scans and clutter DVC.
Compaction rewrites only the parts below ``PART_ROWS`` rows, keeps every row byte-for-byte
equal (provenance included: nothing about the examples changes), checks the row count before
it commits, and commits through the write path like any other write.
"""

from __future__ import annotations

from pathlib import Path

from goldset.errors import StoreError
from goldset.store import PART_ROWS, db
from goldset.workspace._dataset import Dataset, WriteResult
from goldset.workspace._write import writing


def compact(ds: Dataset, *, part_rows: int = PART_ROWS, dry_run: bool = False, note: str | None = None) -> WriteResult:
    """Merge parts with fewer than ``part_rows`` rows. ``unchanged`` = rows moved."""
    result = WriteResult(op="compact", dataset=ds.name, dry_run=dry_run)
    with writing(ds, "compact", op="compact") as w:
        w.audited = False  # until something was merged
        con = db.connect()
        try:
            tx = w.tx
            small = [p for p in tx.base.parts if p.rows < part_rows]
            rows = sum(p.rows for p in small)
            target = -(-rows // part_rows)  # ceil
            result.generation = tx.base.generation
            if len(small) < 2 or target >= len(small):
                return result  # already compact: nothing to merge
            result.unchanged = rows
            result.parts_replaced = len(small)
            if dry_run:
                result.parts_written = target
                return result
            files = [str(ds.store.root / p.name) for p in small]
            # Parts are read in manifest order, so rows keep their relative order.
            con.execute("SET preserve_insertion_order = true")
            con.execute(
                f"CREATE TEMP TABLE _rows AS SELECT *, (row_number() OVER () - 1) // {part_rows} AS _part "
                f"FROM ({db.parts_select(files)})"
            )
            for k in range(target):
                w.copy_part(con, f"SELECT * EXCLUDE (_part) FROM _rows WHERE _part = {k}")
            written = sum(p.rows for p in tx.added)
            if written != rows:
                raise StoreError(f"compact: wrote {written} rows for {rows}; nothing changed (please report this)")
            for p in small:
                tx.drop(Path(p.name).name)
            result.parts_written = len(tx.added)
            result.bytes_written = tx.bytes_written
            w.result, w.rows, w.audited = result, rows, True
            w.note = note or f"{result.parts_replaced} parts -> {result.parts_written}"
            w.commit(result)
            result.generation = tx.base.generation
        finally:
            con.close()
    return result
