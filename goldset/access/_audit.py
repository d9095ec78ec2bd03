"""The audit log: one JSON line per write (and per denied attempt), git-tracked next to the
data, and chained: each line carries the hash of the one before it.

A line is ``{...entry..., "prev": P, "hash": H}`` where ``H`` is the SHA-256 of the line's
bytes up to and including ``"prev": P`` (closed with ``}``), and ``P`` is the previous line's
``H``, or, after lines written before the chain existed, the SHA-256 of every byte before the
line. Deleting, editing or re-attributing any line breaks the link after it, and
:func:`verify` names the first broken link. A line cut short by a kill is repaired by the next
append: the fragment is kept, quoted, in a repair entry, so nothing is lost.

The log is git-tracked, so two branches can each append to it. ``merge_logs`` (in
``_audit_merge``) unions the three versions of a merge (every line kept exactly once) and ends
the result with one ``merge`` line whose ``detail.joins`` names the other branches' last lines.
The chain is then a DAG:
:func:`verify` accepts a line whose ``prev`` is *any* earlier line, and requires every line but
the last to be followed (``prev``) or joined (``joins``) by a later one, so a removed line is
still found.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel, Field, ValidationError

#: Ids recorded per entry; a predicate is recorded instead of the rest.
MAX_IDS = 100
_HASH_TAIL = re.compile(rb',"hash":"([0-9a-f]{64})"\}$')
_PREV_TAIL = re.compile(rb',"prev":"([0-9a-f]{64})","hash":"([0-9a-f]{64})"\}$')


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
    #: The store generation this write committed (None: no store commit, e.g. a denial).
    generation: int | None = None
    prev: str | None = None
    hash: str | None = None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _last_line(fh: BinaryIO, size: int) -> bytes:
    """The last complete line of an open binary file of ``size`` bytes (it ends with a newline)."""
    step = 65536
    pos = size
    buf = b""
    while pos > 0:
        pos = max(0, pos - step)
        fh.seek(pos)
        buf = fh.read(size - pos)
        body = buf[:-1]
        nl = body.rfind(b"\n")
        if nl >= 0:
            return body[nl + 1 :]
    return buf[:-1]


def _seal(body: bytes) -> bytes:
    """``body`` is a JSON object ending in ``"prev": P}``: append the hash field."""
    return body[:-1] + b',"hash":"' + _sha(body).encode() + b'"}'


def append(path: Path, entry: AuditEntry) -> str:
    """Append one chained line under an exclusive lock; return its hash. A torn last line
    (a kill mid-append) is first replaced by a repair entry that quotes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        size = f.seek(0, os.SEEK_END)
        if size:
            f.seek(size - 1)
            if f.read(1) != b"\n":  # a torn tail: keep it inside a repair entry
                f.seek(0)
                data = f.read()
                cut = data.rfind(b"\n") + 1
                fragment = data[cut:]
                f.truncate(cut)
                size = cut
                repair = AuditEntry(
                    time=datetime.now(UTC),
                    user=entry.user,
                    op="audit-repair",
                    dataset=entry.dataset,
                    note="a line cut short by an interrupted write, kept here",
                    detail={"fragment": fragment.decode("utf-8", errors="replace")},
                )
                _write_line(f, repair, _prev(f, size))
                size = f.seek(0, os.SEEK_END)
        digest = _write_line(f, entry, _prev(f, size))
        f.flush()
        os.fsync(f.fileno())
    return digest


def _prev(f: BinaryIO, size: int) -> str:
    if size == 0:
        return _sha(b"")
    last = _last_line(f, size)
    m = _HASH_TAIL.search(last)
    if m:
        return m.group(1).decode()
    f.seek(0)
    return _sha(f.read(size))  # lines from before the chain: bind them all


def _write_line(f: BinaryIO, entry: AuditEntry, prev: str) -> str:
    data = entry.model_dump(mode="json", exclude={"prev", "hash"})
    data["prev"] = prev
    body = json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode()
    line = _seal(body)
    f.seek(0, os.SEEK_END)
    f.write(line + b"\n")
    return _sha(body)


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
    generation: int | None = None,
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
        generation=generation,
    )


class AuditLog(BaseModel):
    """The readable entries of a log, and one line per line that could not be read."""

    entries: list[AuditEntry] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


def read_log(path: Path) -> AuditLog:
    """Every entry that parses; a malformed line is named by its number, never a crash."""
    log = AuditLog()
    if not path.exists():
        return log
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                log.entries.append(AuditEntry.model_validate(json.loads(raw)))
            except (ValueError, ValidationError) as exc:
                reason = (
                    "not JSON"
                    if isinstance(exc, json.JSONDecodeError) or not isinstance(exc, ValidationError)
                    else "not an audit entry"
                )
                log.problems.append(
                    f"{path.name} line {number}: {reason}; skipped ('goldset audit --verify' checks the whole log)"
                )
    return log


def read(path: Path) -> Iterator[AuditEntry]:
    yield from read_log(path).entries


class VerifyReport(BaseModel):
    """The result of checking the chain of one audit log."""

    path: str
    lines: int = 0
    chained: int = 0
    unchained: int = 0
    ok: bool = True
    first_break: str | None = None


def verify(path: Path, confirmed: str | None = None) -> VerifyReport:
    """Walk the chain; name the first broken link. ``confirmed`` is a hash the store's
    manifest recorded for its last write: it must be in the log.

    The chain may branch and rejoin (see ``_audit_merge.merge_logs``), so the rules are those of a DAG,
    which for a log that never branched are exactly "each line follows the one before it":

    * a chained line's ``prev`` is the hash of some earlier line, or the start value (the
      SHA-256 of the unchained lines before the first chained one; of ``b""`` if none), and
      no chained line occurs twice;
    * a ``merge`` line's ``detail.joins`` lists only hashes of earlier lines;
    * every chained line but the last is followed (``prev``) or joined (``joins``) by a
      later line: a branch nothing joins means a line was removed.

    One pass, with a set of the hashes seen and a dict of the lines not yet followed (usually
    one or two), so it stays linear on a log of a million lines.
    """
    report = VerifyReport(path=str(path))
    if not path.exists():
        if confirmed:
            report.ok, report.first_break = (
                False,
                f"{path.name} is missing, but the store's last write was audited",
            )
        return report
    data = path.read_bytes()
    seen: set[str] = set()
    # hash -> line number of the lines no later line has followed or joined (yet)
    open_ends: dict[str, int] = {}
    start: str | None = None
    last: str | None = None
    offset = 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        end = offset + len(raw) + 1
        if not raw:
            offset = end
            continue
        report.lines += 1
        m = _HASH_TAIL.search(raw)
        if m is None:
            if report.chained:  # after the chain began, every line must be chained
                return _broken(report, number, "has no hash (edited, or not written by goldset)")
            report.unchained += 1
            offset = end
            continue
        body = raw[: m.start()] + b"}"
        try:
            obj = json.loads(body)
        except ValueError:
            return _broken(report, number, "is not JSON")
        if not isinstance(obj, dict):
            return _broken(report, number, "is not JSON")
        digest = m.group(1).decode()
        if _sha(body) != digest:
            return _broken(report, number, "does not match its hash (the line was changed)")
        if start is None:
            start = _sha(data[:offset])
        prev = obj.get("prev")
        if digest in seen or not isinstance(prev, str) or (prev != start and prev not in seen):
            return _broken(
                report,
                number,
                "does not follow the line before it (a line was removed, inserted or reordered)",
            )
        joins = _joins(obj)
        if joins is not None:
            if not isinstance(joins, list) or not all(
                isinstance(j, str) and j in seen for j in joins
            ):
                return _broken(
                    report,
                    number,
                    "joins a line that is not before it (a line was removed, inserted or reordered)",
                )
            for joined in joins:
                open_ends.pop(joined, None)
        open_ends.pop(prev, None)
        seen.add(digest)
        open_ends[digest] = number
        last = digest
        report.chained += 1
        offset = end
    if data and not data.endswith(b"\n"):
        return _broken(
            report, report.lines, "is cut short (an interrupted write; the next write repairs it)"
        )
    for digest, number in open_ends.items():  # in line order: the first is the earliest
        if digest != last:
            return _broken(
                report,
                number,
                "ends a branch that no later line follows or joins (a line was removed)",
            )
    if confirmed and confirmed not in seen:
        report.ok, report.first_break = (
            False,
            "the store's last commit names an audit line that is not in the log",
        )
    return report


def _joins(obj: dict[str, Any]) -> object:
    """A ``merge`` line's ``detail.joins`` as written (the caller checks it is a list of
    hashes); None for any other line."""
    if obj.get("op") != "merge":
        return None
    detail = obj.get("detail")
    return detail.get("joins") if isinstance(detail, dict) else None


def _broken(report: VerifyReport, number: int, why: str) -> VerifyReport:
    report.ok = False
    report.first_break = f"line {number} {why}"
    return report


def parse_since(text: str) -> datetime:
    """``--since``: an ISO date or date-time (UTC unless it says otherwise), or ``7d`` / ``12h``."""
    from datetime import timedelta

    from goldset.errors import BadInput

    value = text.strip()
    if value[:-1].isascii() and value[:-1].isdigit() and value[-1:] in ("d", "h"):
        n = int(value[:-1])
        try:
            return datetime.now(UTC) - (
                timedelta(days=n) if value.endswith("d") else timedelta(hours=n)
            )
        except OverflowError:  # before year 1: no date to count from
            raise BadInput(
                f"--since {text!r}: too far back (dates start at year 1); "
                "leave --since out to see every entry"
            ) from None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(
            f"--since {text!r}: use a date (2026-05-01), a date-time (2026-05-01T12:00) or 7d / 12h"
        ) from None
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
