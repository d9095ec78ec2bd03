"""The manifest of a store: the file names goldset uses, the strict model of
``_manifest.json``, and :class:`StoreDamaged`, what every command raises when a store's
manifest is missing, unreadable or inconsistent with its files."""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from goldset.errors import StoreError

#: 2 added ``version`` and ``base``. A goldset that knows only 1 refuses a store of 2 as newer, never as damaged.
FORMAT_VERSION = 2
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
    #: Set on a sealed manifest only: the id of the version a snapshot made of this store
    #: (recorded in its ``.dvc`` file). A write's new manifest is never sealed.
    version: str | None = None
    #: The version this store descends from by local writes (None before any snapshot). How
    #: a command tells work in progress on the checked-out version from another commit's store.
    base: str | None = None
    _digest: str | None = PrivateAttr(default=None)

    @property
    def digest(self) -> str | None:
        """SHA-256 of the manifest file's bytes as read or written (None for a store not
        yet written): a version's identity, cheap to compute and to compare with a commit."""
        return self._digest

    def encode(self) -> bytes:
        """The file's bytes; sets :attr:`digest` to theirs."""
        raw = json.dumps(self.model_dump(mode="json"), indent=1).encode("utf-8")
        self._digest = digest_of(raw)
        return raw

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
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise StoreDamaged(where, f"the manifest is invalid at {loc or 'top level'}: {err['msg']}") from None
    manifest._digest = digest_of(raw)
    return manifest


def digest_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


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
