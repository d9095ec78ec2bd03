"""Two branches append to the audit log; at a git merge :func:`merge_logs` unions the three
versions (every line exactly once, each branch in its own order, interleaved by time) and ties
the branches together with one ``merge`` line; :func:`verify` accepts the result as a DAG and
still finds a removed, reordered, edited or forged line."""

from __future__ import annotations

import io
import json
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldset.access import audit, audit_merge

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FOLLOW = "does not follow the line before it (a line was removed, inserted or reordered)"


def _entry(note: str, minutes: float) -> audit.AuditEntry:
    return audit.AuditEntry(
        time=T0 + timedelta(minutes=minutes),
        user="u@example.com",
        op="add",
        dataset="support-bot",
        note=note,
    )


def _join(minutes: float = 1000) -> audit.AuditEntry:
    return audit.AuditEntry(
        time=T0 + timedelta(minutes=minutes),
        user="merger@example.com",
        op="merge",
        dataset="support-bot",
    )


def _grow(path: Path, start: bytes, entries: list[audit.AuditEntry]) -> bytes:
    """``start`` written to ``path``, then each entry appended: a branch of the log."""
    path.write_bytes(start)
    for entry in entries:
        audit.append(path, entry)
    return path.read_bytes()


def _lines(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if line]


def _obj(line: bytes) -> dict[str, Any]:
    obj = json.loads(line)
    assert isinstance(obj, dict)
    return obj


def _check(path: Path, data: bytes, confirmed: str | None = None) -> audit.VerifyReport:
    path.write_bytes(data)
    return audit.verify(path, confirmed)


def _assert_union(merged: bytes, base: bytes, ours: bytes, theirs: bytes) -> None:
    """Every line of the inputs once, each side's new lines in that side's order."""
    body = _lines(merged)[:-1]
    assert all(n == 1 for n in Counter(body).values()), "a line is duplicated"
    assert set(body) == set(_lines(base)) | set(_lines(ours)) | set(_lines(theirs))
    position = {line: n for n, line in enumerate(body)}
    for side in (ours, theirs):
        new = [line for line in _lines(side) if line not in set(_lines(base))]
        assert [position[line] for line in new] == sorted(position[line] for line in new)


def _merged(tmp_path: Path) -> tuple[bytes, bytes, bytes, bytes]:
    """base: 3 lines; ours adds 2, theirs 3, their times interleaving."""
    base = _grow(tmp_path / "base.jsonl", b"", [_entry(f"base {n}", n) for n in range(3)])
    ours = _grow(tmp_path / "ours.jsonl", base, [_entry("ours 10", 10), _entry("ours 30", 30)])
    theirs = _grow(
        tmp_path / "theirs.jsonl",
        base,
        [_entry("theirs 5", 5), _entry("theirs 20", 20), _entry("theirs 40", 40)],
    )
    return base, ours, theirs, audit_merge.merge_logs(base, ours, theirs, _join())


def test_a_merge_keeps_every_line_once_in_time_order_and_verifies(tmp_path: Path) -> None:
    base, ours, theirs, merged = _merged(tmp_path)
    assert merged.endswith(b"\n")
    _assert_union(merged, base, ours, theirs)
    lines = _lines(merged)
    notes = [_obj(line)["note"] for line in lines[:-1]]
    assert notes == [
        "base 0",
        "base 1",
        "base 2",
        "theirs 5",
        "ours 10",
        "theirs 20",
        "ours 30",
        "theirs 40",
    ]
    times = [_obj(line)["time"] for line in lines[:-1]]
    assert times == sorted(times)

    join = _obj(lines[-1])
    assert join["op"] == "merge" and join["user"] == "merger@example.com"
    assert join["prev"] == _obj(lines[-2])["hash"]  # chained to the last line, as append would
    assert join["detail"]["joins"] == [_obj(_lines(ours)[-1])["hash"]]  # the other tip

    path = tmp_path / "merged.jsonl"
    report = _check(path, merged)
    assert report.ok and report.chained == 9 and report.unchained == 0, report.first_break

    digest = audit.append(path, _entry("after the merge", 50))
    assert _obj(_lines(path.read_bytes())[-1])["prev"] == join["hash"]
    report = audit.verify(path, confirmed=digest)
    assert report.ok and report.chained == 10, report.first_break


def test_the_join_line_is_written_exactly_as_append_writes_it(tmp_path: Path) -> None:
    base, ours, _, _ = _merged(tmp_path)
    merged = audit_merge.merge_logs(base, ours, base, _join())
    joined = _join()
    joined.detail["joins"] = []
    appended = _grow(tmp_path / "appended.jsonl", ours, [joined])
    assert merged == appended  # nothing to join: the same bytes as a plain append


def test_the_join_entry_must_be_a_merge(tmp_path: Path) -> None:
    base, ours, theirs, _ = _merged(tmp_path)
    with pytest.raises(ValueError, match="must be 'merge'"):
        audit_merge.merge_logs(base, ours, theirs, _entry("not a merge", 99))


def test_removing_any_line_after_a_merge_is_found(tmp_path: Path) -> None:
    _, _, _, merged = _merged(tmp_path)
    path = tmp_path / "merged.jsonl"
    lines = _lines(merged)
    # the join line itself: both branches' last lines are then left dangling
    report = _check(path, b"".join(line + b"\n" for line in lines[:-1]))
    assert not report.ok and "no later line follows or joins" in (report.first_break or "")

    path.write_bytes(merged)
    last = audit.append(path, _entry("after the merge", 50))
    grown = _lines(path.read_bytes())
    for k in range(len(grown) - 1):
        rest = b"".join(line + b"\n" for n, line in enumerate(grown) if n != k)
        report = _check(path, rest)
        assert not report.ok, f"deleting line {k + 1} was not found"
    without_last = b"".join(line + b"\n" for line in grown[:-1])
    assert _check(path, without_last).ok  # only the store's record of its last write can tell
    report = _check(path, without_last, confirmed=last)
    assert not report.ok and "not in the log" in (report.first_break or "")


def test_swapping_a_line_with_the_one_it_follows_is_found(tmp_path: Path) -> None:
    _, _, _, merged = _merged(tmp_path)
    path = tmp_path / "merged.jsonl"
    lines = _lines(merged)
    dependent = 0
    for k in range(len(lines) - 1):
        first, second = _obj(lines[k]), _obj(lines[k + 1])
        swapped = [*lines[:k], lines[k + 1], lines[k], *lines[k + 2 :]]
        report = _check(path, b"".join(line + b"\n" for line in swapped))
        if second["prev"] == first["hash"] or first["hash"] in second["detail"].get("joins", ()):
            dependent += 1
            assert not report.ok, f"swapping lines {k + 1} and {k + 2} was not found"
            assert FOLLOW in (report.first_break or "") or "joins a line" in (
                report.first_break or ""
            )
        else:  # lines of two branches: the DAG does not order them, so either order verifies
            assert report.ok, report.first_break
    assert dependent >= 4


def test_editing_a_byte_of_any_line_is_found(tmp_path: Path) -> None:
    _, _, _, merged = _merged(tmp_path)
    path = tmp_path / "merged.jsonl"
    lines = _lines(merged)
    for k, line in enumerate(lines):
        for at in (2, len(line) // 3, len(line) // 2, len(line) - 3):
            edited = bytearray(line)
            edited[at] = ord("a") if edited[at] != ord("a") else ord("b")
            data = b"".join(
                (bytes(edited) if n == k else other) + b"\n" for n, other in enumerate(lines)
            )
            report = _check(path, data)
            assert not report.ok and (report.first_break or "").startswith(f"line {k + 1} "), (
                k,
                at,
                report.first_break,
            )


def _resealed(line: bytes, **changes: Any) -> bytes:
    """``line`` with fields changed and a correct hash: a forgery only the structure can expose."""
    obj = _obj(line)
    prev = changes.pop("prev", obj["prev"])
    entry = audit.AuditEntry.model_validate({**obj, **changes})
    out = io.BytesIO()
    audit._write_line(out, entry, prev)
    return out.getvalue().rstrip(b"\n")


def test_a_join_line_naming_an_unknown_or_later_line_is_found(tmp_path: Path) -> None:
    _, _, _, merged = _merged(tmp_path)
    path = tmp_path / "merged.jsonl"
    lines = _lines(merged)
    n = len(lines)
    join = _obj(lines[-1])
    forged = _resealed(lines[-1], detail={"joins": [*join["detail"]["joins"], "0" * 64]})
    report = _check(path, b"".join(line + b"\n" for line in [*lines[:-1], forged]))
    assert (
        report.first_break
        == f"line {n} joins a line that is not before it (a line was removed, inserted or reordered)"
    )

    # a merge line in the middle that joins a line further down
    later = _obj(lines[-2])["hash"]
    middle = _resealed(lines[3], op="merge", detail={"joins": [later]})
    report = _check(path, b"".join(line + b"\n" for line in [*lines[:3], middle, *lines[4:]]))
    assert (
        report.first_break
        == "line 4 joins a line that is not before it (a line was removed, inserted or reordered)"
    )

    report = _check(
        path,
        b"".join(
            line + b"\n" for line in [*lines[:-1], _resealed(lines[-1], detail={"joins": "x"})]
        ),
    )
    assert not report.ok and "joins a line" in (report.first_break or "")


def test_a_forged_branch_that_nothing_joins_is_found(tmp_path: Path) -> None:
    _, _, _, merged = _merged(tmp_path)
    path = tmp_path / "merged.jsonl"
    lines = _lines(merged)
    fork = _resealed(lines[2], note="a record slipped in later")  # same prev as line 3: a branch
    report = _check(path, b"".join(line + b"\n" for line in [*lines[:3], fork, *lines[3:]]))
    assert (
        report.first_break
        == "line 4 ends a branch that no later line follows or joins (a line was removed)"
    )
    # a copy of a line is an insertion, not a branch
    report = _check(path, b"".join(line + b"\n" for line in [*lines[:4], lines[3], *lines[4:]]))
    assert report.first_break == f"line 5 {FOLLOW}"


def test_merging_with_itself_or_with_nothing_new_duplicates_nothing(tmp_path: Path) -> None:
    base, ours, theirs, merged = _merged(tmp_path)
    path = tmp_path / "merged.jsonl"
    for b, o, t in [
        (ours, ours, ours),
        (base, ours, base),
        (base, base, theirs),
        (base, ours, ours),
        (merged, merged, merged),
    ]:
        result = audit_merge.merge_logs(b, o, t, _join())
        _assert_union(result, b, o, t)
        assert len(_lines(result)) == len(set(_lines(b)) | set(_lines(o)) | set(_lines(t))) + 1
        assert _obj(_lines(result)[-1])["detail"]["joins"] == []
        report = _check(path, result)
        assert report.ok, report.first_break
    assert _check(
        path, audit_merge.merge_logs(b"", b"", b"", _join())
    ).ok  # an empty log: the join line alone


def test_clocks_going_backwards_keep_each_side_in_order(tmp_path: Path) -> None:
    base = _grow(tmp_path / "base.jsonl", b"", [_entry("base", 0)])
    ours = _grow(tmp_path / "ours.jsonl", base, [_entry(f"ours {m}", m) for m in (50, 40, 30)])
    theirs = _grow(
        tmp_path / "theirs.jsonl", base, [_entry(f"theirs {m}", m) for m in (45, 35, -25)]
    )
    merged = audit_merge.merge_logs(base, ours, theirs, _join())
    _assert_union(merged, base, ours, theirs)
    notes = [_obj(line)["note"] for line in _lines(merged)[:-1]]
    assert notes == [
        "base",
        "theirs 45",
        "theirs 35",
        "theirs -25",
        "ours 50",
        "ours 40",
        "ours 30",
    ]
    report = _check(tmp_path / "merged.jsonl", merged)
    assert report.ok and report.chained == 8, report.first_break


def test_a_line_both_sides_have_is_kept_once_before_the_lines_that_follow_it(
    tmp_path: Path,
) -> None:
    base = _grow(tmp_path / "base.jsonl", b"", [_entry("base", 0)])
    picked = _entry("on both branches", 10)
    ours = _grow(tmp_path / "ours.jsonl", base, [picked, _entry("ours", 20)])
    theirs = _grow(tmp_path / "theirs.jsonl", base, [picked, _entry("theirs, clock behind", 5)])
    assert _lines(ours)[1] == _lines(theirs)[1]
    merged = audit_merge.merge_logs(base, ours, theirs, _join())
    _assert_union(merged, base, ours, theirs)
    notes = [_obj(line)["note"] for line in _lines(merged)[:-1]]
    # "theirs" is older than the shared line by its clock, but follows it: it stays after it
    assert notes == ["base", "on both branches", "theirs, clock behind", "ours"]
    report = _check(tmp_path / "merged.jsonl", merged)
    assert report.ok, report.first_break


LEGACY = (
    b'{"time": "2025-12-01T00:00:00Z", "user": "old@x", "op": "import", "dataset": "support-bot"}\n'
)


def test_a_legacy_unchained_prefix_merges_and_verifies(tmp_path: Path) -> None:
    legacy = (
        LEGACY + LEGACY.replace(b"import", b"export") + LEGACY
    )  # a repeated legacy line is kept twice
    for chained_base in (0, 2):
        base = _grow(
            tmp_path / "base.jsonl", legacy, [_entry(f"base {n}", n) for n in range(chained_base)]
        )
        ours = _grow(tmp_path / "ours.jsonl", base, [_entry("ours", 10), _entry("ours", 30)])
        theirs = _grow(tmp_path / "theirs.jsonl", base, [_entry("theirs", 20)])
        merged = audit_merge.merge_logs(base, ours, theirs, _join())
        assert merged.startswith(legacy)
        path = tmp_path / "merged.jsonl"
        report = _check(path, merged)
        assert report.ok and report.unchained == 3 and report.chained == chained_base + 4, (
            report.first_break
        )
        audit.append(path, _entry("after", 40))
        assert audit.verify(path).ok
        # the legacy lines are still bound into the chain
        report = _check(path, path.read_bytes().replace(b"old@x", b"forged@x", 1))
        assert report.first_break == f"line 4 {FOLLOW}"


def test_a_base_line_one_side_deleted_is_kept_in_its_place(tmp_path: Path) -> None:
    base = _grow(tmp_path / "base.jsonl", b"", [_entry(f"base {n}", n) for n in range(4)])
    lines = _lines(base)
    ours = b"".join(line + b"\n" for n, line in enumerate(lines) if n != 1)
    theirs = _grow(
        tmp_path / "theirs.jsonl",
        b"".join(line + b"\n" for n, line in enumerate(lines) if n != 2),
        [],
    )
    merged = audit_merge.merge_logs(base, ours, theirs, _join())
    assert _lines(merged)[:-1] == lines
    assert _check(tmp_path / "merged.jsonl", merged).ok


def test_lines_that_do_not_parse_are_kept_and_sorted_with_the_line_before_them(
    tmp_path: Path,
) -> None:
    base = _grow(tmp_path / "base.jsonl", b"", [_entry("base", 0)])
    ours = _grow(tmp_path / "ours.jsonl", base, [_entry("ours 10", 10), _entry("ours 30", 30)])
    theirs = (
        _grow(tmp_path / "theirs.jsonl", base, [_entry("theirs 20", 20)])
        + b"{oops not json\n"
        + b'{"torn": "tai'
    )
    merged = audit_merge.merge_logs(base, ours, theirs, _join())
    body = _lines(merged)[:-1]
    assert body[3:5] == [b"{oops not json", b'{"torn": "tai']  # at time 20, before "ours 30"
    assert _obj(body[5])["note"] == "ours 30"
    _assert_union(merged, base, ours, theirs)
    report = _check(tmp_path / "merged.jsonl", merged)
    assert report.first_break == "line 4 has no hash (edited, or not written by goldset)"


def test_many_rounds_of_merges_verify(tmp_path: Path) -> None:
    data = _merged(tmp_path)[3]
    path = tmp_path / "long.jsonl"
    for n in range(100):  # repeated merges: each round, both branches add a line
        ours2 = _grow(tmp_path / "o.jsonl", data, [_entry(f"o{n}", 100 + n)])
        theirs2 = _grow(tmp_path / "t.jsonl", data, [_entry(f"t{n}", 100 + n)])
        data = audit_merge.merge_logs(data, ours2, theirs2, _join(100 + n))
    report = _check(path, data)
    assert report.ok and report.chained == len(_lines(data)), report.first_break


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    legacy=st.integers(0, 2),
    base_times=st.lists(st.integers(-50, 50), max_size=4),
    ours_times=st.lists(st.integers(-50, 50), max_size=5),
    theirs_times=st.lists(st.integers(-50, 50), max_size=5),
    again=st.tuples(st.integers(0, 3), st.integers(0, 3)),
)
def test_any_two_branches_merge_into_a_log_that_verifies(
    legacy: int,
    base_times: list[int],
    ours_times: list[int],
    theirs_times: list[int],
    again: tuple[int, int],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        start = b"".join(LEGACY.replace(b"import", f"import{n}".encode()) for n in range(legacy))
        base = _grow(
            d / "base.jsonl", start, [_entry(f"b{n}", m) for n, m in enumerate(base_times)]
        )
        ours = _grow(d / "ours.jsonl", base, [_entry(f"o{n}", m) for n, m in enumerate(ours_times)])
        theirs = _grow(
            d / "theirs.jsonl", base, [_entry(f"t{n}", m) for n, m in enumerate(theirs_times)]
        )
        merged = audit_merge.merge_logs(base, ours, theirs, _join())
        _assert_union(merged, base, ours, theirs)
        assert len(_lines(merged)) == len(_lines(base)) + len(ours_times) + len(theirs_times) + 1
        path = d / "merged.jsonl"
        report = _check(path, merged)
        assert report.ok and report.unchained == legacy, report.first_break

        # the merge commit goes on; theirs goes on too; the next merge's base is theirs
        ours2 = _grow(d / "ours.jsonl", merged, [_entry(f"o2-{n}", n) for n in range(again[0])])
        theirs2 = _grow(
            d / "theirs.jsonl", theirs, [_entry(f"t2-{n}", -n) for n in range(again[1])]
        )
        merged2 = audit_merge.merge_logs(theirs, ours2, theirs2, _join(2000))
        _assert_union(merged2, theirs, ours2, theirs2)
        report = _check(path, merged2)
        assert report.ok, report.first_break
        audit.append(path, _entry("after", 0))
        assert audit.verify(path).ok
