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
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from goldset.errors import StoreError

FORMAT_VERSION = 1
MANIFEST = "_manifest.json"
LOCK_FILE = ".goldset.lock"
TMP_SUFFIX = ".tmp"
PART_PREFIX = "part-"
PART_SUFFIX = ".parquet"
#: Rows per part written by bulk imports. Small enough that an update rewrites a tenth of a
#: 1M-row store at worst per touched part; large enough that scans stay fast.
PART_ROWS = 100_000


class PartInfo(BaseModel):
    name: str
    rows: int = Field(ge=0)
    bytes: int = Field(ge=0)


class Manifest(BaseModel):
    format: int = FORMAT_VERSION
    generation: int = 0
    committed_at: datetime | None = None
    parts: list[PartInfo] = Field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)


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

    def read_manifest(self) -> Manifest:
        try:
            raw = self.manifest_path.read_bytes()
        except FileNotFoundError:
            return Manifest()
        try:
            manifest = Manifest.model_validate_json(raw)
        except ValidationError as exc:
            raise StoreError(
                f"{self.manifest_path}: damaged manifest ({exc.errors()[0]['msg']}); "
                "restore it from git/DVC ('dvc checkout') or a snapshot"
            ) from None
        if manifest.format > FORMAT_VERSION:
            raise StoreError(
                f"{self.manifest_path}: store format {manifest.format} is newer than this "
                f"goldset understands ({FORMAT_VERSION}); upgrade goldset"
            )
        return manifest

    def files(self, manifest: Manifest | None = None) -> list[str]:
        m = manifest if manifest is not None else self.read_manifest()
        return [str(self.root / p.name) for p in m.parts]

    @contextlib.contextmanager
    def transaction(self, timeout: float = 60.0) -> Iterator[Transaction]:
        """Hold the write lock; commit explicitly with ``tx.commit()``; roll back on error."""
        self.root.mkdir(parents=True, exist_ok=True)
        busy = f"{self.root}: another goldset process has been writing this dataset for {timeout:.0f} s; try again when it has finished"
        with file_lock(self.root / LOCK_FILE, timeout, busy):
            tx = Transaction(self, self.read_manifest())
            tx.clean_leftovers()
            try:
                yield tx
            finally:
                tx.discard_uncommitted()


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
    """One write to the store. New parts become visible only at :meth:`commit`."""

    def __init__(self, store: Store, base: Manifest) -> None:
        self.store = store
        self.base = base
        self._added: list[PartInfo] = []
        self._dropped: set[str] = set()
        self._committed = False

    @property
    def root(self) -> Path:
        return self.store.root

    def clean_leftovers(self) -> list[str]:
        """Remove files a crashed write left behind. Runs under the lock."""
        live = {p.name for p in self.base.parts}
        removed = []
        for path in self.root.iterdir():
            name = path.name
            stray_part = name.startswith(PART_PREFIX) and name.endswith(PART_SUFFIX) and name not in live
            if stray_part or name.endswith(TMP_SUFFIX):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(name)
        return removed

    def new_part(self) -> tuple[Path, Path]:
        """A fresh (temp path, final path) pair for a part the caller writes."""
        name = f"{PART_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(6)}{PART_SUFFIX}"
        final = self.root / name
        return final.with_name(name + TMP_SUFFIX), final

    def add_written(self, tmp: Path, final: Path, rows: int) -> PartInfo:
        """Make a fully written temp part durable and stage it for the commit."""
        fsync_path(tmp)
        os.rename(tmp, final)
        info = PartInfo(name=final.name, rows=rows, bytes=final.stat().st_size)
        self._added.append(info)
        return info

    def drop(self, name: str) -> None:
        if name not in {p.name for p in self.base.parts}:
            raise StoreError(f"{self.root}: part {name} is not live")
        self._dropped.add(name)

    @property
    def added(self) -> list[PartInfo]:
        """Parts written by this transaction so far."""
        return list(self._added)

    @property
    def bytes_written(self) -> int:
        return sum(p.bytes for p in self._added)

    def commit(self) -> Manifest:
        parts = [p for p in self.base.parts if p.name not in self._dropped] + self._added
        new = Manifest(
            generation=self.base.generation + 1, committed_at=datetime.now(UTC), parts=parts
        )
        if self._added:
            fsync_path(self.root, directory=True)  # the renames of new parts are durable
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
        self.base = new
        return new

    def discard_uncommitted(self) -> None:
        if not self._committed:
            for p in self._added:
                (self.root / p.name).unlink(missing_ok=True)
