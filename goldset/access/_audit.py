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


def parse_since(text: str) -> datetime:
    """``--since``: an ISO date or date-time (UTC unless it says otherwise), or ``7d`` / ``12h``."""
    from datetime import timedelta

    from goldset.errors import BadInput

    value = text.strip()
    if value[:-1].isdigit() and value[-1:] in ("d", "h"):
        n = int(value[:-1])
        return datetime.now(UTC) - (timedelta(days=n) if value.endswith("d") else timedelta(hours=n))
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"--since {text!r}: use a date (2026-05-01), a date-time (2026-05-01T12:00) or 7d / 12h") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def filtered(
    path: Path,
    *,
    since: datetime | None = None,
    user: str | None = None,
    op: str | None = None,
    denied_only: bool = False,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Entries matching every filter given, oldest first; ``limit`` keeps the newest N.

    ``op`` matches the operation exactly or as a prefix before '-' (``scenario`` matches
    ``scenario-add``); ``user`` matches exactly.
    """
    out = [
        e
        for e in read(path)
        if (since is None or e.time >= since)
        and (user is None or e.user == user)
        and (op is None or e.op == op or e.op.startswith(op + "-"))
        and (not denied_only or not e.allowed)
    ]
    return out[-limit:] if limit else out
