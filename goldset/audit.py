"""The audit log: one JSON line per write (and per denied attempt), git-tracked next to the data."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

#: Ids recorded per entry; a predicate is recorded instead of the rest.
MAX_IDS = 100


class AuditEntry(BaseModel):
    time: datetime
    user: str
    role: str | None = None
    op: str
    dataset: str
    rows: int = 0
    ids: list[str] = Field(default_factory=list)
    predicate: str | None = None
    note: str | None = None
    allowed: bool = True
    detail: dict[str, object] = Field(default_factory=dict)


def append(path: Path, entry: AuditEntry) -> None:
    """Append one line; the flock keeps concurrent writers' lines whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = entry.model_dump_json(exclude_defaults=False) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def make_entry(
    *,
    user: str,
    role: str | None,
    op: str,
    dataset: str,
    rows: int = 0,
    ids: Sequence[str] = (),
    predicate: str | None = None,
    note: str | None = None,
    allowed: bool = True,
    detail: dict[str, object] | None = None,
) -> AuditEntry:
    return AuditEntry(
        time=datetime.now(UTC),
        user=user,
        role=role,
        op=op,
        dataset=dataset,
        rows=rows,
        ids=list(ids[:MAX_IDS]),
        predicate=predicate,
        note=note,
        allowed=allowed,
        detail=detail or {},
    )


def read(path: Path) -> Iterator[AuditEntry]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield AuditEntry.model_validate(json.loads(line))
