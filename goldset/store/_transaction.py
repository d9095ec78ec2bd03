"""One write to a store: new parts become visible only at the commit, and every name the
write creates is journaled first, so the next write can remove exactly what a killed one left."""

from __future__ import annotations

import functools
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from goldset.errors import StoreError
from goldset.store._manifest import (
    JOURNAL,
    MANIFEST,
    PART_PREFIX,
    PART_SUFFIX,
    REMOVED_DIR,
    REMOVED_PREFIX,
    TMP_SUFFIX,
    Manifest,
    PartInfo,
    fsync_path,
)

if TYPE_CHECKING:
    from goldset.store._store import Store


class Transaction:
    """One write to the store. New parts become visible only at :meth:`commit`.

    Every name the write creates is first appended to the journal (``.goldset.journal``),
    fsynced, then created; the commit deletes the journal. So after a kill, the next write
    removes exactly the files the killed write made, and never a file it cannot account for.
    """

    def __init__(self, store: Store, base: Manifest) -> None:
        self.store = store
        self.base = base
        self._added: list[PartInfo] = []
        self._all_added: list[PartInfo] = []  # across commits, for reporting
        self._removed_added: list[PartInfo] = []
        self._dropped: set[str] = set()
        self._committed = False
        self._journal: int | None = None
        #: The version the new manifest descends from (``Manifest.base``): the base's, if
        #: the base is a sealed version, else what the base descends from.
        self.lineage = base.version or base.base

    @property
    def root(self) -> Path:
        return self.store.root

    def clean_leftovers(self) -> list[str]:
        """Remove what a crashed write left: the files its journal names (unless live) and
        temp files. Runs under the lock, after the manifest was read and checked."""
        removed: list[str] = []
        live = {p.name for p in self.base.parts} | {f"{REMOVED_DIR}/{p.name}" for p in self.base.removed}
        journal = self.root / JOURNAL
        names: list[str] = []
        if journal.exists():
            names = [n for n in journal.read_text(encoding="utf-8", errors="replace").splitlines() if n]
        for name in names:
            if name in live or "/" in name.removeprefix(REMOVED_DIR + "/") or name.startswith(".."):
                continue
            for victim in (self.root / name, self.root / (name + TMP_SUFFIX)):
                if victim.is_dir() and not victim.is_symlink():
                    shutil.rmtree(victim, ignore_errors=True)
                    removed.append(victim.name)
                elif victim.exists() or victim.is_symlink():
                    victim.unlink(missing_ok=True)
                    removed.append(victim.name)
        for path in self.root.iterdir():  # temp files are never data
            if path.name.endswith(TMP_SUFFIX) and path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path.name)
        journal.unlink(missing_ok=True)
        return sorted(set(removed))

    def _note(self, name: str) -> None:
        """Journal ``name`` before the file exists (write-ahead)."""
        if self._journal is None:
            self._journal = os.open(self.root / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(self._journal, (name + "\n").encode())
        os.fsync(self._journal)

    def new_part(self) -> tuple[Path, Path]:
        """A fresh (temp path, final path) pair for a part the caller writes."""
        name = f"{PART_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(6)}{PART_SUFFIX}"
        self._note(name)
        final = self.root / name
        return final.with_name(name + TMP_SUFFIX), final

    def new_scratch_dir(self, stem: str) -> Path:
        """A journaled scratch directory in the store (bulk writes land there first)."""
        name = f"_{stem}-{secrets.token_hex(4)}{TMP_SUFFIX}"
        self._note(name)
        return self.root / name

    def add_written(self, tmp: Path, final: Path, rows: int) -> PartInfo:
        """Make a fully written temp part durable and stage it for the commit."""
        fsync_path(tmp)
        os.rename(tmp, final)
        info = PartInfo(name=final.name, rows=rows, bytes=final.stat().st_size)
        self._added.append(info)
        self._all_added.append(info)
        return info

    def add_removed_ids(self, ids: Sequence[str]) -> None:
        """Record ``ids`` as removed (tombstones), committed with this transaction."""
        if not ids:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({"id": pa.array(list(ids), pa.string()),
                          "removed_at": pa.array([datetime.now(UTC)] * len(ids), pa.timestamp("us", tz="UTC"))})

        def write(tmp: Path) -> int:
            pq.write_table(table, tmp, compression="zstd")
            return len(ids)

        self._add_removed_file(write)

    def _add_removed_file(self, write: Callable[[Path], int]) -> None:
        """A new removed-ids file, committed with this transaction: its name journaled first,
        ``write`` fills a temp file and returns its rows; the file is then made durable and
        renamed into ``_removed/``."""
        name = f"{REMOVED_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(6)}{PART_SUFFIX}"
        self._note(f"{REMOVED_DIR}/{name}")
        folder = self.root / REMOVED_DIR
        folder.mkdir(exist_ok=True)
        tmp = folder / (name + TMP_SUFFIX)
        rows = write(tmp)
        fsync_path(tmp)
        os.rename(tmp, folder / name)
        self._removed_added.append(PartInfo(name=name, rows=rows, bytes=(folder / name).stat().st_size))

    def replace_removed(self, files: Sequence[Path]) -> None:
        """Make the tombstones exactly the removed-ids files ``files`` (another version's) at
        the commit. A live file of the same name and size is the same immutable file and
        stays; the others are copied in (journaled first, like every new file); every live
        file not kept is dropped: journaled, out of the manifest at the commit, unlinked only
        after it (so a kill before the commit loses nothing, and one after leaves nothing)."""
        kept, new = same_files(self.base.removed, files)
        for src in new:
            self._add_removed_file(functools.partial(_copy_parquet, src))
        for p in self.base.removed:
            if p.name not in kept:
                self._note(f"{REMOVED_DIR}/{p.name}")
                self._dropped.add(f"{REMOVED_DIR}/{p.name}")  # commit() unlinks it after the replace

    def drop(self, name: str) -> None:
        """Stage a live part for removal: it leaves the manifest at the commit and is
        unlinked after it (journaled, so a kill in between leaves nothing stale behind)."""
        if name not in {p.name for p in self.base.parts}:
            raise StoreError(f"{self.root}: part {name} is not live")
        self._note(name)
        self._dropped.add(name)

    @property
    def added(self) -> list[PartInfo]:
        """Parts written by this transaction so far (committed or not)."""
        return list(self._all_added)

    @property
    def bytes_written(self) -> int:
        return sum(p.bytes for p in self._all_added)

    def commit(self, audit: Callable[[int], str] | None = None, *, seal: bool = False) -> Manifest:
        """Make the new parts live: one atomic replace of the manifest. ``audit`` (called with
        the new generation, before the replace) appends the write's audit line and returns its
        hash, which the manifest records: the record is written first, confirmed by the commit.
        ``seal``: the new manifest is a version (a snapshot's), with a new version id."""
        parts = [p for p in self.base.parts if p.name not in self._dropped] + self._added
        generation = self.base.generation + 1
        new = Manifest(
            generation=generation, committed_at=datetime.now(UTC), parts=parts,
            removed=[*(p for p in self.base.removed if f"{REMOVED_DIR}/{p.name}" not in self._dropped), *self._removed_added],
            # A seal changes no row: it keeps confirming the last write's record.
            audit=audit(generation) if audit is not None else (self.base.audit if seal else None),
            base=self.lineage, version=secrets.token_hex(16) if seal else None,
        )
        if self._added or self._removed_added:
            fsync_path(self.root, directory=True)  # the renames of new parts are durable
        if self._removed_added:
            fsync_path(self.root / REMOVED_DIR, directory=True)
        tmp = self.store.manifest_path.with_name(MANIFEST + TMP_SUFFIX)
        with open(tmp, "wb") as f:
            f.write(new.encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.store.manifest_path)  # the commit point
        fsync_path(self.root, directory=True)
        self._committed = True
        for name in self._dropped:
            (self.root / name).unlink(missing_ok=True)
        self._close_journal(delete=True)
        self.base = new
        self.lineage = new.version or new.base
        self._added, self._removed_added, self._dropped = [], [], set()
        self._committed = False  # a transaction may commit again (each commit is whole)
        return new

    def _close_journal(self, delete: bool) -> None:
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None
        if delete:
            (self.root / JOURNAL).unlink(missing_ok=True)

    def discard_uncommitted(self) -> None:
        for p in self._added:
            (self.root / p.name).unlink(missing_ok=True)
            self._all_added.remove(p)
        for p in self._removed_added:
            (self.root / REMOVED_DIR / p.name).unlink(missing_ok=True)
        self._added, self._removed_added = [], []
        self._close_journal(delete=True)


def same_files(live: Sequence[PartInfo], files: Sequence[Path]) -> tuple[set[str], list[Path]]:
    """Split another version's ``files`` into the names of those ``live`` already holds (same
    name and size: the same immutable file, kept as it is) and those to copy in."""
    have = {(p.name, p.bytes) for p in live}
    kept: set[str] = set()
    new: list[Path] = []
    for src in files:
        if (src.name, src.stat().st_size) in have:
            kept.add(src.name)
        else:
            new.append(src)
    return kept, new


def _copy_parquet(src: Path, dest: Path) -> int:
    """Copy a Parquet file byte for byte; its rows (from the copy's footer)."""
    import pyarrow.parquet as pq

    shutil.copyfile(src, dest)
    return int(pq.read_metadata(dest).num_rows)
