"""The audit log is chained and verified: removing, editing or re-attributing any line is
found; a malformed line is named, never a crash; a torn tail is repaired, not lost; the
store's commit confirms its write's record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from goldset.access import audit
from goldset.curation import TagChange, remove, tag
from goldset.ingest import add
from goldset.workspace import Workspace, verify_audit


def _history(ws: Workspace) -> Path:
    ds = ws.dataset()
    add(ds, [{"id": f"a{i}", "input": f"refund {i}"} for i in range(5)])
    tag(ds, TagChange(add_scenarios=["refund_request"]), ids=["a1", "a2"])
    remove(ds, ["a4"])
    return ds.audit_path


def test_a_clean_history_verifies_and_the_commit_confirms_the_last_record(bare_ws: Workspace) -> None:
    path = _history(bare_ws)
    report = verify_audit(bare_ws.dataset())
    assert report.ok and report.chained == 3 and report.unchained == 0
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["detail"]["parts_written"] == 1 and first["detail"]["bytes_written"] > 0  # known before the commit
    last = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    assert bare_ws.dataset().manifest().audit == last["hash"] and last["generation"] == bare_ws.dataset().manifest().generation


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_removing_editing_or_reattributing_a_line_is_found(bare_ws: Workspace, run_cli: Any) -> None:
    path = _history(bare_ws)
    original = path.read_bytes()
    lines = _lines(path)

    path.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")  # a denied entry deleted, say
    assert verify_audit(bare_ws.dataset()).first_break == "line 2 does not follow the line before it (a line was removed, inserted or reordered)"

    path.write_text(lines[0] + lines[1].replace('"user":"tester@example.com"', '"user":"someone@else.com"') + "".join(lines[2:]), encoding="utf-8")
    assert verify_audit(bare_ws.dataset()).first_break == "line 2 does not match its hash (the line was changed)"

    path.write_text("".join(lines[:-1]), encoding="utf-8")  # the last record gone: the commit still names it
    report = verify_audit(bare_ws.dataset())
    assert not report.ok and "not in the log" in (report.first_break or "")

    res = run_cli("audit", "--verify", "-C", str(bare_ws.root))
    assert res.exit_code == 1 and res.stderr.startswith("error: audit log") and "Traceback" not in res.stderr
    path.write_bytes(original)
    assert run_cli("audit", "--verify", "-C", str(bare_ws.root)).exit_code == 0


def test_a_malformed_line_is_named_not_a_crash(bare_ws: Workspace, run_cli: Any) -> None:
    path = _history(bare_ws)
    lines = _lines(path)
    path.write_text(lines[0] + "{oops not json\n" + "".join(lines[1:]), encoding="utf-8")
    res = run_cli("audit", "-f", "jsonl", "-C", str(bare_ws.root))
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 3
    assert "line 2: not JSON" in res.stderr
    assert audit.verify(path).first_break == "line 2 has no hash (edited, or not written by goldset)"


def test_a_torn_tail_is_repaired_by_the_next_write_and_kept(bare_ws: Workspace) -> None:
    path = _history(bare_ws)
    data = path.read_bytes()
    torn = data[: len(data) - 40]  # a kill in the middle of the last append
    path.write_bytes(torn)
    fragment = torn[torn.rfind(b"\n") + 1 :].decode()
    add(bare_ws.dataset(), [{"id": "after", "input": "the next write"}])
    entries = list(audit.read(path))
    repair = [e for e in entries if e.op == "audit-repair"]
    assert len(repair) == 1 and repair[0].detail["fragment"] == fragment
    assert audit.verify(path).ok


def test_lines_from_before_the_chain_are_bound_into_it(bare_ws: Workspace) -> None:
    path = bare_ws.dataset().audit_path
    path.parent.mkdir(parents=True, exist_ok=True)
    legacy = '{"time": "2026-01-01T00:00:00Z", "user": "old@x", "op": "import", "dataset": "support-bot"}\n'
    path.write_text(legacy, encoding="utf-8")
    _history(bare_ws)
    report = audit.verify(path)
    assert report.ok and report.unchained == 1 and report.chained == 3
    path.write_text(legacy.replace("old@x", "forged@x") + "".join(_lines(path)[1:]), encoding="utf-8")
    assert audit.verify(path).first_break == "line 2 does not follow the line before it (a line was removed, inserted or reordered)"
