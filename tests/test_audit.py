"""The audit log: one line per write with the right counts; denied attempts; `goldset audit`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from goldset.access import audit
from goldset.curation import remove
from goldset.errors import BadInput, PermissionDenied
from goldset.ingest import add

from helpers.curation import as_user, audit_lines, make_ws
from helpers.workspace import SPEC, write_jsonl

ROLES = SPEC + "    roles: {res@example.com: research, pm@example.com: pm, eng@example.com: eng}\n"


def test_one_line_per_write_with_right_counts(tmp_path: Path) -> None:
    from goldset.curation import (
        ScenarioFields,
        TagChange,
        add_scenario,
        edit,
        review,
        tag,
    )
    from goldset.ingest import import_file
    from goldset.workspace import compact

    ws = make_ws(tmp_path / "ws", ROLES)
    res, pm, eng = (as_user(ws, u) for u in ("res@example.com", "pm@example.com", "eng@example.com"))
    recs = [{"id": f"r{i}", "input": f"refund number {i}" if i < 7 else f"hello {i}"} for i in range(150)]
    import_file(res.dataset(), write_jsonl(tmp_path / "in.jsonl", recs))
    add(res.dataset(), [{"id": "extra", "input": "one more"}])
    tag(pm.dataset(), TagChange(add_scenarios=["refund_request"]), where="input LIKE 'refund%'")
    tag(pm.dataset(), TagChange(add_scenarios=["refund_request"]), where="input LIKE 'refund%'")  # no-op: 0 rows
    edit(res.dataset(), "r1", expected="refund_flow")
    review(pm.dataset(), "approve", ids=["r1", "r2", "r3"], note="looks right")
    remove(res.dataset(), ["extra"])
    add_scenario(pm.dataset(), "billing", ScenarioFields(priority="P1"))
    add(res.dataset(), [{"id": "late", "input": "a second part"}])
    compact(eng.dataset())
    with pytest.raises(PermissionDenied):
        review(res.dataset(), "approve", ids=["r4"])
    got = [(e["op"], e["user"], e["role"], e["rows"], e["allowed"]) for e in audit_lines(ws)]
    assert got == [
        ("import", "res@example.com", "research", 150, True),
        ("add", "res@example.com", "research", 1, True),
        ("tag", "pm@example.com", "pm", 7, True),
        ("tag", "pm@example.com", "pm", 0, True),
        ("edit", "res@example.com", "research", 1, True),
        ("approve", "pm@example.com", "pm", 3, True),
        ("remove", "res@example.com", "research", 1, True),
        ("scenario-add", "pm@example.com", "pm", 0, True),
        ("add", "res@example.com", "research", 1, True),
        ("compact", "eng@example.com", "eng", 151, True),
        ("review", "res@example.com", "research", 0, False),
    ]
    lines = audit_lines(ws)
    assert len(lines[0]["ids"]) == audit.MAX_IDS  # first 100 ids of 150
    assert lines[2]["predicate"] == "input LIKE 'refund%'" and lines[2]["ids"] == [f"r{i}" for i in range(7)]
    assert lines[5]["note"] == "looks right" and lines[5]["ids"] == ["r1", "r2", "r3"]
    assert lines[10]["ids"] == ["r4"] and "needs role pm or admin" in lines[10]["note"]
    assert lines[9]["detail"]["parts_replaced"] == 2


def test_distinct_reviewer_refusal_is_logged(tmp_path: Path) -> None:
    from goldset.curation import review

    ws = make_ws(tmp_path / "ws", SPEC + "    review: {require_distinct_reviewer: true}\n")
    add(ws.dataset(), [{"id": "mine", "input": "a"}])
    with pytest.raises(PermissionDenied, match="distinct reviewer"):
        review(ws.dataset(), "approve", ids=["mine"])
    last = audit_lines(ws)[-1]
    assert (last["op"], last["allowed"], last["ids"]) == ("approve", False, ["mine"])


def _fill(path: Path) -> None:
    now = datetime.now(UTC)
    for days, user, op, allowed in ((10, "a@x", "import", True), (3, "b@x", "tag", True),
                                    (2, "a@x", "scenario-add", True), (1, "b@x", "compact", False)):
        e = audit.make_entry(user=user, role=None, op=op, dataset="support-bot", rows=days, allowed=allowed)
        e.time = now - timedelta(days=days)
        audit.append(path, e)


def test_filters(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    _fill(path)
    assert [e.op for e in audit.filtered(path, user="a@x")] == ["import", "scenario-add"]
    assert [e.op for e in audit.filtered(path, op="scenario")] == ["scenario-add"]
    assert [e.op for e in audit.filtered(path, op="scen")] == []
    assert [e.op for e in audit.filtered(path, since=audit.parse_since("5d"))] == ["tag", "scenario-add", "compact"]
    day = (datetime.now(UTC) - timedelta(days=2, hours=12)).date().isoformat()
    assert [e.op for e in audit.filtered(path, since=audit.parse_since(day))][-2:] == ["scenario-add", "compact"]
    assert [e.op for e in audit.filtered(path, denied_only=True)] == ["compact"]
    assert [e.op for e in audit.filtered(path, limit=2)] == ["scenario-add", "compact"]
    with pytest.raises(BadInput, match="--since 'last week'"):
        audit.parse_since("last week")


def test_cli_audit(tmp_path: Path, run_cli: Any) -> None:
    ws = make_ws(tmp_path / "ws", SPEC)
    _fill(ws.root / "datasets" / "support-bot.audit.jsonl")
    r = run_cli("audit", "--user", "b@x", "--format", "json", "-C", str(ws.root))
    assert r.exit_code == 0 and [e["op"] for e in json.loads(r.stdout)] == ["tag", "compact"]
    r = run_cli("audit", "--since", "4d", "--op", "tag", "--format", "jsonl", "-C", str(ws.root))
    assert [json.loads(x)["op"] for x in r.stdout.splitlines()] == ["tag"]
    r = run_cli("audit", "--denied", "--format", "csv", "-C", str(ws.root))
    assert r.stdout.splitlines()[0] == "time,user,role,op,rows,allowed,target,note" and len(r.stdout.splitlines()) == 2
    r = run_cli("audit", "--since", "yesterday-ish", "-C", str(ws.root))
    assert r.exit_code == 3 and "--since" in r.stderr
