"""What is wrong with a store, and the one repair goldset makes: a manifest rebuilt from the
parts that are provably live.

A part is provably live when it is a readable Parquet file with the example schema, no
interrupted write's journal names it, and none of its ids is in another candidate part (two
parts holding one id means one of them was replaced and is stale: goldset cannot tell which,
so it refuses and lists them). Nothing is ever deleted: strays stay where they are, named.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from goldset.errors import StoreError
from goldset.store._manifest import (
    _PART_NAME,
    _REMOVED_NAME,
    JOURNAL,
    LOCK_FILE,
    MANIFEST,
    REMOVED_DIR,
    TMP_SUFFIX,
    Manifest,
    PartInfo,
    StoreDamaged,
    fsync_path,
)
from goldset.store._schema import COLUMNS
from goldset.store._store import Store, file_lock


class DoctorReport(BaseModel):
    """The health of one store, and what a repair would write."""

    store: str
    status: Literal["ok", "empty", "damaged"]
    problem: str | None = None
    rows: int = 0
    parts: int = 0
    strays: list[str] = Field(default_factory=list)
    journal: list[str] = Field(default_factory=list)
    candidates: list[PartInfo] = Field(default_factory=list)
    removed_candidates: list[PartInfo] = Field(default_factory=list)
    refused: list[str] = Field(default_factory=list)
    can_repair: bool = False
    repaired: bool = False


def examine(store: Store) -> DoctorReport:
    """Read-only: never writes, never deletes."""
    report = DoctorReport(store=str(store.root), status="ok")
    journal = store.root / JOURNAL
    try:  # no lock: a writer may remove it at any moment
        report.journal = [n for n in journal.read_text(encoding="utf-8", errors="replace").splitlines() if n]
    except (FileNotFoundError, IsADirectoryError):
        report.journal = []
    try:
        manifest = store.read_manifest()
    except StoreDamaged as exc:
        report.status, report.problem = "damaged", exc.reason
        _plan_rebuild(store, report)
        return report
    if not store.root.exists() or not store.exists():
        report.status = "empty"
        return report
    report.rows, report.parts = manifest.rows, len(manifest.parts)
    report.strays = store.stray_files(manifest)
    try:
        store.check_footers(manifest)
    except StoreDamaged as exc:
        report.status, report.problem = "damaged", exc.reason
        _plan_rebuild(store, report)
    return report


def _plan_rebuild(store: Store, report: DoctorReport) -> None:
    import duckdb
    import pyarrow.parquet as pq

    journaled = set(report.journal)
    files: list[Path] = []
    for path in sorted(store.root.glob("part-*.parquet")):
        if not _PART_NAME.match(path.name) or not path.is_file():
            report.refused.append(f"{path.name}: not a goldset part name or not a file")
        elif path.name in journaled:
            report.refused.append(f"{path.name}: written by an interrupted write (named in {JOURNAL})")
        else:
            try:
                meta = pq.read_metadata(path)
                names = meta.schema.to_arrow_schema().names
            except Exception as exc:  # pyarrow: several types for one meaning
                report.refused.append(f"{path.name}: not readable as Parquet ({str(exc)[:60]})")
                continue
            if names != list(COLUMNS):
                report.refused.append(f"{path.name}: not the example schema")
                continue
            files.append(path)
            report.candidates.append(PartInfo(name=path.name, rows=meta.num_rows, bytes=path.stat().st_size))
    if files:
        con = duckdb.connect()
        clashes = con.execute(
            "SELECT id, list(DISTINCT parse_filename(filename) ORDER BY parse_filename(filename)) FROM read_parquet(?, filename = true) "
            "GROUP BY id HAVING count(*) > 1 LIMIT 5",
            [[str(f) for f in files]],
        ).fetchall()
        con.close()
        for example_id, parts in clashes:
            report.refused.append(f"id {example_id} is in {len(parts)} parts ({', '.join(parts)}): one of them is stale; move it out, then run doctor again")
    folder = store.root / REMOVED_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("removed-*.parquet")):
            if _REMOVED_NAME.match(path.name) and f"{REMOVED_DIR}/{path.name}" not in journaled:
                try:
                    rows = pq.read_metadata(path).num_rows
                except Exception:
                    report.refused.append(f"{REMOVED_DIR}/{path.name}: not readable as Parquet")
                    continue
                report.removed_candidates.append(PartInfo(name=path.name, rows=rows, bytes=path.stat().st_size))
    report.can_repair = not any("stale" in r for r in report.refused)


def rebuild(store: Store, report: DoctorReport, base: str | None = None) -> Manifest:
    """Write the manifest ``report`` planned, under the store's lock. Deletes nothing.
    ``base``: the committed version the repaired store descends from (``Manifest.base``)."""
    if report.status != "damaged" or not report.can_repair:
        raise StoreError(f"{store.root}: nothing to repair" if report.status != "damaged" else f"{store.root}: cannot rebuild: {report.refused[0]}")
    busy = f"{store.root}: another goldset process is writing this dataset; try again when it has finished"
    with file_lock(store.root / LOCK_FILE, 60.0, busy):
        if examine(store).model_dump(exclude={"repaired"}) != report.model_dump(exclude={"repaired"}):
            raise StoreError(f"{store.root}: the store changed while doctor looked at it; run it again")
        manifest = Manifest(generation=_last_generation(store) + 1, committed_at=datetime.now(UTC),
                            parts=report.candidates, removed=report.removed_candidates, base=base)
        target = store.root / MANIFEST
        if target.is_dir():  # keep what was there, under a name no reader looks at
            os.rename(target, store.root / f"_manifest.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}")
        tmp = target.with_name(MANIFEST + TMP_SUFFIX)
        with open(tmp, "wb") as f:
            f.write(manifest.encode())
            f.flush()
            os.fsync(f.fileno())
        if target.is_file():
            os.replace(target, store.root / f"_manifest.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}.json")
        os.replace(tmp, target)
        fsync_path(store.root, directory=True)
    return manifest


def _last_generation(store: Store) -> int:
    try:
        data = json.loads((store.root / MANIFEST).read_bytes())
        return int(data.get("generation", 0)) if isinstance(data, dict) else 0
    except (OSError, ValueError, TypeError):
        return 0
