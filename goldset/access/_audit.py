"""The audit log: one JSON line per write (and per denied attempt), git-tracked next to the
data, and chained: each line carries the hash of the one before it.

A line is ``{...entry..., "prev": P, "hash": H}`` where ``H`` is the SHA-256 of the line's
bytes up to and including ``"prev": P`` (closed with ``}``), and ``P`` is the previous line's
``H``, or, after lines written before the chain existed, the SHA-256 of every byte before the
line. Deleting, editing or re-attributing any line breaks the link after it, and
:func:`verify` names the first broken link. A line cut short by a kill is repaired by the next
append: the fragment is kept, quoted, in a repair entry, so nothing is lost.

The log is git-tracked, so two branches can each append to it. :func:`merge_logs` unions the
three versions of a merge (every line kept exactly once) and ends the result with one ``merge``
line whose ``detail.joins`` names the other branches' last lines. The chain is then a DAG:
:func:`verify` accepts a line whose ``prev`` is *any* earlier line, and requires every line but
the last to be followed (``prev``) or joined (``joins``) by a later one, so a removed line is
still found.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
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


_Key = tuple[bytes, int]  # a line's bytes (no newline) and which occurrence of them on its side
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def merge_logs(base: bytes, ours: bytes, theirs: bytes, join: AuditEntry) -> bytes:
    """The union of three versions of a log at a git merge, ended by one ``join`` line.

    A text merge of an append-only log conflicts whenever both branches appended, and
    resolving it by hand risks losing or duplicating records; the chain then cannot verify.
    Here every line of the three inputs is kept exactly once (compared by its exact bytes;
    an identical line on several sides, e.g. cherry-picked, is one line), nothing is edited,
    and the branches are tied back together by a ``merge`` line, so :func:`verify` can check
    the result as a DAG and still find a removed line.

    Order of the result:

    1. the lines ``base`` has, in ``ours``' order; a base line that a side deleted is kept
       anyway (a union never loses a line), after the base line that preceded it in ``base``;
    2. the lines only ``ours`` added and those only ``theirs`` added, merged by their
       ``time`` field as in a merge sort, so each side keeps its own order whatever the
       clocks say (ties: ours first), except that a line of theirs never comes before a
       line of ours it names as ``prev`` or joins. A line without a readable ``time`` sorts
       as if it had the time of the line before it on its side;
    3. ``join`` (``op`` must be ``"merge"``; the caller builds it), with ``detail["joins"]``
       set to the sorted hashes of the union's other tips (chained lines that no later line
       names as ``prev`` nor joins), chained to the union's last line exactly as
       :func:`append` would chain it. It is appended even when there is one tip (``joins``
       is then ``[]``), so every merge is on record.

    A side that ends without a newline (a torn write) keeps its fragment as a line of its
    own, so nothing is lost; :func:`verify` then reports it. Empty lines are dropped.
    Returns the whole merged log, ending with a newline.
    """
    if join.op != "merge":
        raise ValueError(f"merge_logs: the join entry's op must be 'merge', not {join.op!r}")
    base_k, ours_k, theirs_k = _keyed(base), _keyed(ours), _keyed(theirs)
    in_base, in_ours = set(base_k), set(ours_k)

    # 1. base lines, in ours' order; those ours deleted follow their predecessor in base.
    dropped_after: dict[_Key | None, list[_Key]] = {}
    anchor: _Key | None = None
    for key in base_k:
        if key in in_ours:
            anchor = key
        else:
            dropped_after.setdefault(anchor, []).append(key)
    union: list[_Key] = list(dropped_after.get(None, ()))
    for key in ours_k:
        if key in in_base:
            union.append(key)
            union.extend(dropped_after.get(key, ()))

    # 2. the lines each side added, merged by time.
    ours_new = [k for k in ours_k if k not in in_base]
    theirs_new = [k for k in theirs_k if k not in in_base and k not in in_ours]
    ours_time = _side_times(ours_k, set(ours_new))
    theirs_time = _side_times(theirs_k, set(theirs_new))
    ours_at = {h: i for i, k in enumerate(ours_new) if (h := _line_hash(k[0])) is not None}
    # the last line of ours_new each line of theirs_new refers to (-1: none)
    needs = [max((ours_at.get(r, -1) for r in _refs(k[0])), default=-1) for k in theirs_new]
    i = j = 0
    while i < len(ours_new) and j < len(theirs_new):
        if needs[j] < i and theirs_time[theirs_new[j]] < ours_time[ours_new[i]]:
            union.append(theirs_new[j])
            j += 1
        else:
            union.append(ours_new[i])
            i += 1
    union.extend(ours_new[i:])
    union.extend(theirs_new[j:])

    # 3. the join line, naming every tip but the one it chains to.
    tips: dict[str, None] = {}
    for line, _ in union:
        m = _PREV_TAIL.search(line)
        if m is not None and b'"op":"merge"' not in line:  # the common case, without parsing
            tips.pop(m.group(1).decode(), None)
            tips[m.group(2).decode()] = None
            continue
        for ref in _refs(line):
            tips.pop(ref, None)
        digest = _line_hash(line)
        if digest is not None:
            tips[digest] = None
    out = io.BytesIO()
    if union:
        out.write(b"\n".join(line for line, _ in union) + b"\n")
    last = _line_hash(union[-1][0]) if union else None
    prev = last if last is not None else _sha(out.getvalue())  # as _prev: bind unchained lines
    entry = join.model_copy(
        update={"detail": {**join.detail, "joins": sorted(h for h in tips if h != prev)}}
    )
    _write_line(out, entry, prev)
    return out.getvalue()


def _keyed(data: bytes) -> list[_Key]:
    """The non-empty lines of ``data`` (a torn tail is a line too), each with its occurrence
    number, so that a line repeated on a side (legacy lines may be) is kept as often."""
    counts: dict[bytes, int] = {}
    keyed: list[_Key] = []
    for line in data.split(b"\n"):
        if line:
            n = counts.get(line, 0)
            counts[line] = n + 1
            keyed.append((line, n))
    return keyed


def _side_times(keyed: list[_Key], wanted: set[_Key]) -> dict[_Key, datetime]:
    """The ``time`` of each ``wanted`` line of a side; a line without one has the time of
    the line before it. Only lines from the first wanted one on are read (and the nearest
    dated line before it), so a long shared history costs nothing."""
    first = next((n for n, key in enumerate(keyed) if key in wanted), len(keyed))
    current = _EARLIEST
    for n in range(first - 1, -1, -1):  # the time in force before the first wanted line
        when = _line_time(keyed[n][0])
        if when is not None:
            current = when
            break
    times: dict[_Key, datetime] = {}
    for key in keyed[first:]:
        current = _line_time(key[0]) or current
        if key in wanted:
            times[key] = current
    return times


def _line_time(line: bytes) -> datetime | None:
    try:
        obj = json.loads(line)
        when = datetime.fromisoformat(obj["time"])
    except (ValueError, TypeError, KeyError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _line_hash(line: bytes) -> str | None:
    """The hash a chained line carries (not checked: :func:`verify` does that)."""
    m = _HASH_TAIL.search(line)
    return m.group(1).decode() if m else None


def _refs(line: bytes) -> list[str]:
    """The hashes a chained line names: its ``prev``, and a merge line's ``joins``."""
    m = _PREV_TAIL.search(line)
    if m is not None and b'"op":"merge"' not in line:  # the common case, without parsing
        return [m.group(1).decode()]
    if _line_hash(line) is None:
        return []
    try:
        obj = json.loads(line)
    except ValueError:
        return []
    if not isinstance(obj, dict):
        return []
    joins = _joins(obj)
    named = [obj.get("prev"), *(joins if isinstance(joins, list) else ())]
    return [h for h in named if isinstance(h, str)]


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

    The chain may branch and rejoin (see :func:`merge_logs`), so the rules are those of a DAG,
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
