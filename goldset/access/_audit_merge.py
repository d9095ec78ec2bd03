"""The audit log at a git merge: the union of three versions of a log, tied back together by
one ``merge`` line, so the chain verifies as a DAG (see :mod:`goldset.access._audit`).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from goldset.access._audit import _HASH_TAIL, _PREV_TAIL, AuditEntry, _joins, _sha, _write_line

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
