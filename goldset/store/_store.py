"""Reading and locking the store of one dataset: immutable Parquet parts under an atomic
manifest (:mod:`._manifest`), written by a :class:`Transaction` (:mod:`._transaction`).

A write takes the dataset's OS file lock (one writer at a time), reads and checks the
manifest, removes what an interrupted write journaled, writes new parts as ``*.tmp``, fsyncs
and renames them, and commits by atomically replacing ``_manifest.json``; only then are the
parts the new manifest no longer names unlinked. A kill at any moment leaves the old manifest
or the new one. Readers never take the lock: they pin one generation (:meth:`Store.pinned`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from goldset.errors import StoreError
from goldset.store._manifest import (
    _PARQUET_MAGIC,
    JOURNAL,
    LOCK_FILE,
    MANIFEST,
    PART_SUFFIX,
    REMOVED_DIR,
    TMP_SUFFIX,
    Manifest,
    StoreDamaged,
    parse_manifest,
)
from goldset.store._transaction import Transaction


class Store:
    """Reads and writes one dataset directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.exists()

    def create(self) -> None:
        """Make an empty store (idempotent)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.exists():
            with self.transaction() as tx:
                tx.commit()

    def read_manifest(self, *, check_files: bool = True) -> Manifest:
        """The committed manifest, validated; with ``check_files``, also that every part it
        names is there, of the size it records, and ends like a Parquet file.

        A store directory that does not exist is a store not yet created (empty). A directory
        with data files but no manifest, or a manifest that is unreadable, invalid or names
        missing or changed files, is damaged (StoreDamaged, exit 6): never an empty store.
        """
        for _ in range(_READ_ATTEMPTS):
            manifest = self._read_manifest_file()
            if not check_files or not self.root.exists():
                return manifest
            problem = self._check_files(manifest) or self._check_strays(manifest)
            if problem is None:
                return manifest
            # A writer may have committed and unlinked a part between our two reads.
            if self._read_manifest_file().generation == manifest.generation:
                raise StoreDamaged(str(self.root), problem)
        raise StoreError(f"{self.root}: the store kept changing while it was read; try again")

    def _read_manifest_file(self) -> Manifest:
        where = str(self.root)
        try:
            raw = self.manifest_path.read_bytes()
        except FileNotFoundError:
            if not self.root.exists():
                return Manifest()
            data = sorted(p.name for p in self.root.iterdir() if _is_data(p.name))
            if data:
                raise StoreDamaged(where, f"{MANIFEST} is missing but the directory holds {len(data)} data file(s), e.g. {data[0]}") from None
            return Manifest()
        except IsADirectoryError:
            raise StoreDamaged(where, f"{MANIFEST} is a directory") from None
        except OSError as exc:
            raise StoreDamaged(where, f"{MANIFEST} cannot be read ({exc.strerror or exc})") from None
        return parse_manifest(raw, where)

    def _check_files(self, manifest: Manifest) -> str | None:
        for p in manifest.parts:
            path = self.root / p.name
            try:
                with open(path, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    if size != p.bytes:
                        return f"part {p.name} has {size:,} bytes, the manifest says {p.bytes:,}"
                    f.seek(max(size - 4, 0))
                    if f.read(4) != _PARQUET_MAGIC:
                        return f"part {p.name} is not a Parquet file"
            except FileNotFoundError:
                return f"part {p.name} named by the manifest is missing"
            except IsADirectoryError:
                return f"part {p.name} is a directory"
            except OSError as exc:
                return f"part {p.name} cannot be read ({exc.strerror or exc})"
        return None

    def check_footers(self, manifest: Manifest) -> None:
        """Every live part's footer agrees with the manifest's row count (StoreDamaged if
        not). Writes run it before they change anything, doctor when it examines: a cheap
        read of each footer, too dear for every read."""
        import pyarrow.parquet as pq

        for p in manifest.parts:
            try:
                rows = pq.read_metadata(self.root / p.name).num_rows
            except Exception as exc:  # pyarrow raises several types for a bad file
                raise StoreDamaged(str(self.root), f"part {p.name} cannot be read as Parquet ({str(exc)[:80]})") from None
            if rows != p.rows:
                raise StoreDamaged(str(self.root), f"part {p.name} holds {rows:,} rows, the manifest says {p.rows:,}")

    def _check_strays(self, manifest: Manifest) -> str | None:
        """Data files the manifest does not name are damage, unless an interrupted write's
        journal accounts for them (its next write removes them)."""
        strays = self.stray_files(manifest)
        if not strays:
            return None
        try:
            known = set((self.root / JOURNAL).read_text(encoding="utf-8", errors="replace").splitlines())
        except FileNotFoundError:  # none, or a writer committed and removed it just now:
            known = set()          # read_manifest then sees the new generation and reads again
        # A file listed a moment ago and gone now was a committed write's dropped part: the
        # writer unlinks those, then deletes its journal, between our listing and our read.
        unexplained = [s for s in strays if s not in known and (self.root / s).exists()]
        if unexplained:
            return f"{len(unexplained)} data file(s) are not in the manifest, e.g. {unexplained[0]}"
        return None

    def files(self, manifest: Manifest | None = None) -> list[str]:
        m = manifest if manifest is not None else self.read_manifest()
        return [str(self.root / p.name) for p in m.parts]

    def removed_files(self, manifest: Manifest | None = None) -> list[str]:
        m = manifest if manifest is not None else self.read_manifest()
        return [str(self.root / REMOVED_DIR / p.name) for p in m.removed]

    @contextlib.contextmanager
    def pinned(self) -> Iterator[tuple[Manifest, list[str]]]:
        """One manifest generation and paths to its parts that stay readable for the whole
        block, even when a writer commits and unlinks them meanwhile.

        The parts are opened once; DuckDB and pyarrow then read them through
        ``/proc/self/fd/N``, which reaches the open file even after an unlink. Where that is
        not available (or the store has more parts than open files allow), the real paths."""
        for _ in range(_READ_ATTEMPTS):
            manifest = self.read_manifest()
            if not _PROC_FD.is_dir() or len(manifest.parts) > _MAX_PINNED:
                yield manifest, self.files(manifest)
                return
            fds: list[int] = []
            try:
                for p in manifest.parts:
                    fds.append(os.open(self.root / p.name, os.O_RDONLY))
            except FileNotFoundError:  # a writer replaced a part after our read: read again
                for fd in fds:
                    os.close(fd)
                continue
            try:
                yield manifest, [f"{_PROC_FD}/{fd}" for fd in fds]
            finally:
                for fd in fds:
                    os.close(fd)
            return
        raise StoreError(f"{self.root}: the store kept changing while it was read; try again")

    @contextlib.contextmanager
    def transaction(self, timeout: float = 60.0) -> Iterator[Transaction]:
        """Hold the write lock; commit explicitly with ``tx.commit()``; roll back on error.

        The manifest is read (and checked) before anything else: a damaged store raises here,
        before a single file is touched."""
        self.root.mkdir(parents=True, exist_ok=True)
        busy = f"{self.root}: another goldset process has been writing this dataset for {timeout:.0f} s; try again when it has finished"
        with file_lock(self.root / LOCK_FILE, timeout, busy):
            tx = Transaction(self, self.read_manifest())
            self.check_footers(tx.base)
            tx.clean_leftovers()
            try:
                yield tx
            finally:
                tx.discard_uncommitted()

    def stray_files(self, manifest: Manifest | None = None) -> list[str]:
        """Data files in the store that the manifest does not name (not temp files)."""
        m = manifest if manifest is not None else self.read_manifest(check_files=False)
        live = {p.name for p in m.parts}
        if not self.root.is_dir():
            return []
        out = [p.name for p in sorted(self.root.iterdir()) if p.name.endswith(PART_SUFFIX) and p.name not in live]
        removed_dir = self.root / REMOVED_DIR
        if removed_dir.is_dir():
            gone = {p.name for p in m.removed}
            out += [f"{REMOVED_DIR}/{p.name}" for p in sorted(removed_dir.iterdir()) if p.name not in gone and not p.name.endswith(TMP_SUFFIX)]
        return out


#: Attempts to read a store that writers keep changing.
_READ_ATTEMPTS = 20
_PROC_FD = Path("/proc/self/fd")
#: Stores with more parts than this are read through their paths (with a retry) instead.
_MAX_PINNED = 256


def store_containing(path: Path) -> Path | None:
    """The store directory ``path`` is in (or is), if any: a directory with a manifest or a
    goldset lock. Reports and rejects files must never be written into a store."""
    here = path.resolve()
    for d in (here, *here.parents):
        if (d / MANIFEST).exists() or (d / LOCK_FILE).exists():
            return d
    return None


def _is_data(name: str) -> bool:
    return name.endswith(PART_SUFFIX) or name == REMOVED_DIR


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, busy: str) -> Iterator[None]:
    """Hold an exclusive OS lock (flock) on ``path``, waiting up to ``timeout`` seconds;
    then StoreError(``busy``). The lock dies with the process, so a kill never leaves it held."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                raise StoreError(busy)
            time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing releases the flock
