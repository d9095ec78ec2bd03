"""The crash-safe store of one dataset: immutable Parquet parts under an atomic manifest.

A dataset directory holds ``part-<hex>.parquet`` files and ``_manifest.json`` naming the live
ones. A write happens inside a :class:`Transaction`, which

1. takes the dataset's OS file lock (one writer at a time; readers never take it),
2. removes leftovers of earlier crashes (parts not in the manifest, ``*.tmp`` files),
3. writes new parts as ``*.tmp``, fsyncs and renames them,
4. commits by atomically replacing ``_manifest.json`` (temp file, fsync, ``os.replace``,
   fsync of the directory): the single commit point,
5. only then unlinks the parts the new manifest no longer names.

A kill at any moment therefore leaves the old manifest (and some leftovers the next write
removes) or the new one. Temp names end in ``.tmp`` so ``*.parquet`` globs never see them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from goldset.errors import StoreError

FORMAT_VERSION = 1
MANIFEST = "_manifest.json"
LOCK_FILE = ".goldset.lock"
#: Names a write is about to create, written before it creates them: after a crash, the next
#: write removes exactly these (and nothing it cannot prove a crashed write made).
JOURNAL = ".goldset.journal"
TMP_SUFFIX = ".tmp"
PART_PREFIX = "part-"
PART_SUFFIX = ".parquet"
#: Files of ids removed by `goldset remove` (tombstones), so a re-import does not bring them
#: back. They live in a subdirectory, so a ``*.parquet`` glob of the store sees only rows.
REMOVED_DIR = "_removed"
REMOVED_PREFIX = "removed-"
#: Rows per part written by bulk imports. Small enough that an update rewrites a tenth of a
#: 1M-row store at worst per touched part; large enough that scans stay fast.
PART_ROWS = 100_000
_PART_NAME = re.compile(r"^part-[0-9A-Za-z_-]{1,80}\.parquet$")
_REMOVED_NAME = re.compile(r"^removed-[0-9A-Za-z_-]{1,80}\.parquet$")
#: Every Parquet file ends with these four bytes.
_PARQUET_MAGIC = b"PAR1"


class PartInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    rows: int = Field(ge=0)
    bytes: int = Field(ge=0)


class Manifest(BaseModel):
    """The live parts of a store. Parsed strictly: a manifest that does not say exactly this
    is damaged, never read as an empty store."""

    model_config = ConfigDict(extra="forbid")

    format: int = Field(default=FORMAT_VERSION, ge=1)
    generation: int = Field(default=0, ge=0)
    committed_at: datetime | None = None
    parts: list[PartInfo] = Field(default_factory=list)
    removed: list[PartInfo] = Field(default_factory=list)
    #: Hash of the audit line of the write that made this generation: the commit confirms
    #: the record, so a committed change without its record cannot go unnoticed.
    audit: str | None = None

    @field_validator("parts")
    @classmethod
    def _part_names(cls, parts: list[PartInfo]) -> list[PartInfo]:
        return _check_names(parts, _PART_NAME, "part")

    @field_validator("removed")
    @classmethod
    def _removed_names(cls, parts: list[PartInfo]) -> list[PartInfo]:
        return _check_names(parts, _REMOVED_NAME, "removed-ids file")

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)


def _check_names(parts: list[PartInfo], pattern: re.Pattern[str], what: str) -> list[PartInfo]:
    seen: set[str] = set()
    for p in parts:
        # A plain file name of goldset's own pattern: never a path, never '..', never a
        # file outside the store that a damaged manifest could make a write delete.
        if not pattern.match(p.name):
            raise ValueError(f"{what} name {p.name[:80]!r} is not a goldset {what} file name")
        if p.name in seen:
            raise ValueError(f"{what} {p.name} is named twice")
        seen.add(p.name)
    return parts


def parse_manifest(raw: bytes, where: str) -> Manifest:
    """A manifest from its bytes; StoreDamaged naming what is wrong."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StoreDamaged(where, f"the manifest is not JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise StoreDamaged(where, "the manifest is not a JSON object")
    missing = [k for k in ("format", "generation", "parts") if k not in data]
    if missing:
        raise StoreDamaged(where, f"the manifest has no {', '.join(missing)}")
    if isinstance(data.get("format"), int) and data["format"] > FORMAT_VERSION:
        raise StoreError(
            f"{where}: store format {data['format']} is newer than this goldset understands "
            f"({FORMAT_VERSION}); upgrade goldset"
        )
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise StoreDamaged(where, f"the manifest is invalid at {loc or 'top level'}: {err['msg']}") from None


class StoreDamaged(StoreError):
    """The store's manifest is missing, unreadable or inconsistent with its files. Nothing is
    ever written to or deleted from a damaged store."""

    def __init__(self, root: str, reason: str) -> None:
        self.root = root
        self.reason = reason
        super().__init__(
            f"the store {root} is damaged: {reason}; nothing was changed. "
            "Run 'goldset doctor' to see what is wrong and repair it, or restore the store "
            "with 'dvc checkout' from the last snapshot"
        )


def fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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

    def _check_strays(self, manifest: Manifest) -> str | None:
        """Data files the manifest does not name are damage, unless an interrupted write's
        journal accounts for them (its next write removes them)."""
        strays = self.stray_files(manifest)
        if not strays:
            return None
        journal = self.root / JOURNAL
        known = set(journal.read_text(encoding="utf-8", errors="replace").splitlines()) if journal.exists() else set()
        unexplained = [s for s in strays if s not in known]
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
            tx.check_footers()
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

        name = f"{REMOVED_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(6)}{PART_SUFFIX}"
        self._note(f"{REMOVED_DIR}/{name}")
        folder = self.root / REMOVED_DIR
        folder.mkdir(exist_ok=True)
        tmp = folder / (name + TMP_SUFFIX)
        table = pa.table({"id": pa.array(list(ids), pa.string()),
                          "removed_at": pa.array([datetime.now(UTC)] * len(ids), pa.timestamp("us", tz="UTC"))})
        pq.write_table(table, tmp, compression="zstd")
        fsync_path(tmp)
        os.rename(tmp, folder / name)
        self._removed_added.append(PartInfo(name=name, rows=len(ids), bytes=(folder / name).stat().st_size))

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

    def check_footers(self) -> None:
        """Every live part's footer agrees with the manifest's row count (StoreDamaged if
        not). Run by writes before they change anything: a cheap read of each footer."""
        import pyarrow.parquet as pq

        for p in self.base.parts:
            try:
                rows = pq.read_metadata(self.root / p.name).num_rows
            except Exception as exc:  # pyarrow raises several types for a bad file
                raise StoreDamaged(str(self.root), f"part {p.name} cannot be read as Parquet ({str(exc)[:80]})") from None
            if rows != p.rows:
                raise StoreDamaged(str(self.root), f"part {p.name} holds {rows:,} rows, the manifest says {p.rows:,}")

    def commit(self, audit: Callable[[int], str] | None = None) -> Manifest:
        """Make the new parts live: one atomic replace of the manifest. ``audit`` (called with
        the new generation, before the replace) appends the write's audit line and returns its
        hash, which the manifest records: the record is written first, confirmed by the commit."""
        parts = [p for p in self.base.parts if p.name not in self._dropped] + self._added
        generation = self.base.generation + 1
        new = Manifest(
            generation=generation, committed_at=datetime.now(UTC), parts=parts,
            removed=[*self.base.removed, *self._removed_added],
            audit=audit(generation) if audit is not None else None,
        )
        if self._added or self._removed_added:
            fsync_path(self.root, directory=True)  # the renames of new parts are durable
        if self._removed_added:
            fsync_path(self.root / REMOVED_DIR, directory=True)
        tmp = self.store.manifest_path.with_name(MANIFEST + TMP_SUFFIX)
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(new.model_dump(mode="json"), indent=1))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.store.manifest_path)  # the commit point
        fsync_path(self.root, directory=True)
        self._committed = True
        for name in self._dropped:
            (self.root / name).unlink(missing_ok=True)
        self._close_journal(delete=True)
        self.base = new
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
