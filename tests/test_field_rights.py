"""Nothing bypassed: approval only through the review right and the distinct-reviewer rule, on
every path (import, add, update, edit, tag); each field change on a stored example needs the
right that owns the field; an edit of what was approved sends it back to draft."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from goldset.curation import TagChange, edit, review, tag, update
from goldset.errors import PermissionDenied, UsageError
from goldset.ingest import add, import_file
from goldset.workspace import Workspace

from helpers.curation import USERS, as_user, audit_lines, make_ws, rows, store_bytes
from helpers.workspace import write_jsonl

SPEC = """\
version: 1
datasets:
  support-bot:
    tiers: [blocking, standard, monitor]
    default_tier: standard
    edge_cases: {typo: Misspellings}
    scenarios:
      refund_request: {priority: P0}
      greeting: {priority: P2}
    review: {require_distinct_reviewer: DISTINCT}
    roles:
      pm@example.com: pm
      res@example.com: research
      eng@example.com: eng
      admin@example.com: admin
      admin2@example.com: admin
"""
RES, PM, ADMIN, ADMIN2 = USERS["research"], USERS["pm"], USERS["admin"], "admin2@example.com"


def _ws(tmp_path: Path, distinct: bool = True) -> Workspace:
    """r1 (approved by pm, created by res), r2 (draft, created by res)."""
    ws = make_ws(tmp_path / "ws", SPEC.replace("DISTINCT", "true" if distinct else "false"))
    add(as_user(ws, RES).dataset(), [
        {"id": "r1", "input": "I want a refund", "expected": "refund_flow", "scenarios": ["refund_request"], "tier": "blocking"},
        {"id": "r2", "input": "hello", "expected": "greet"},
    ])
    review(as_user(ws, PM).dataset(), "approve", ids=["r1"])
    return ws


def _row(ws: Workspace, i: str) -> dict[str, Any]:
    return {r["id"]: r for r in rows(ws)}[i]


# -- item 10: approval on import and add --------------------------------------------------------
def test_import_as_approved_needs_the_review_right_and_names_rows_and_flag(tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _ws(tmp_path)
    f = write_jsonl(tmp_path / "new.jsonl", [{"id": "n1", "input": "new one"}, {"id": "n2", "input": "new two"}])
    before = store_bytes(ws)
    monkeypatch.setenv("GOLDSET_USER", RES)
    r = run_cli("import", str(f), "--status", "approved", "-C", str(ws.root))
    assert r.exit_code == 4, r.stderr
    assert "2 new example(s) as approved (n1, n2; from --status approved)" in r.stderr
    assert "needs role pm or admin" in r.stderr and "Traceback" not in r.stderr
    assert store_bytes(ws) == before
    last = audit_lines(ws)[-1]
    assert (last["op"], last["allowed"], last["ids"]) == ("review", False, ["n1", "n2"])
    # the status column of the file: same refusal, naming the column
    g = write_jsonl(tmp_path / "st.jsonl", [{"id": "n3", "input": "three", "status": "approved"}])
    with pytest.raises(PermissionDenied, match=r"\(n3; from the input's status column\)"):
        import_file(as_user(ws, RES).dataset(), g)
    # as draft (the default) research imports fine
    assert import_file(as_user(ws, RES).dataset(), f).added == 2
    assert {_row(ws, "n1")["status"], _row(ws, "n2")["status"]} == {"draft"}


def test_add_approved_is_refused_for_research_and_for_the_creator(tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _ws(tmp_path)
    monkeypatch.setenv("GOLDSET_USER", RES)
    r = run_cli("add", "approve me", "--id", "a1", "--status", "approved", "-C", str(ws.root))
    assert r.exit_code == 4 and "needs role pm or admin" in r.stderr
    # admin has the review right, but would approve an example they create: refused, not downgraded
    monkeypatch.setenv("GOLDSET_USER", ADMIN)
    before = store_bytes(ws)
    r = run_cli("add", "approve me", "--id", "a1", "--status", "approved", "-C", str(ws.root))
    assert r.exit_code == 4 and "distinct reviewer" in r.stderr, r.stderr
    assert store_bytes(ws) == before
    last = audit_lines(ws)[-1]
    assert (last["op"], last["allowed"], last["user"], last["ids"]) == ("approve", False, ADMIN, ["a1"])
    assert ws.dataset().get("a1") is None


def test_without_the_distinct_rule_a_reviewer_may_import_approved(tmp_path: Path) -> None:
    ws = _ws(tmp_path, distinct=False)
    f = write_jsonl(tmp_path / "new.jsonl", [{"id": "n1", "input": "new one"}])
    from goldset.ingest import ImportDefaults

    res = import_file(as_user(ws, ADMIN).dataset(), f, defaults=ImportDefaults(status="approved"))
    assert res.added == 1
    row = _row(ws, "n1")
    assert (row["status"], row["reviewed_by"], row["created_by"]) == ("approved", ADMIN, ADMIN)


# -- item 10: each field on a stored example needs its owner's right ------------------------------
def test_update_needs_the_right_of_every_field_it_changes(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    res_ds = as_user(ws, RES).dataset()
    before = store_bytes(ws)
    tiers = write_jsonl(tmp_path / "tier.jsonl", [{"id": "r2", "input": "hello", "tier": "blocking", "scenarios": ["greeting"]}])
    with pytest.raises(PermissionDenied, match=r"would change scenarios of 1 stored example\(s\) \(r2\).*needs role pm or admin"):
        import_file(res_ds, tiers, on_duplicate="update")
    assert store_bytes(ws) == before
    last = audit_lines(ws)[-1]
    assert (last["op"], last["allowed"], last["ids"]) == ("tag_scenarios", False, ["r2"])
    status = write_jsonl(tmp_path / "status.jsonl", [{"id": "r2", "input": "hello", "status": "approved"}])
    with pytest.raises(PermissionDenied, match=r"would change status of 1 stored example\(s\) \(r2\).*needs role pm or admin"):
        import_file(res_ds, status, on_duplicate="update")
    assert _row(ws, "r2")["status"] == "draft" and store_bytes(ws) == before
    # the fields research owns: allowed
    label = write_jsonl(tmp_path / "label.jsonl", [{"id": "r2", "input": "hello", "expected": "greeting_flow", "polarity": "negative"}])
    res = import_file(res_ds, label, on_duplicate="update")
    assert (res.updated, res.fields) == (1, {"expected": 1, "polarity": 1})
    assert (_row(ws, "r2")["expected"], _row(ws, "r2")["polarity"]) == ("greeting_flow", "negative")
    # admin may change tier and scenarios of a stored example; and approve one somebody else created
    res = import_file(as_user(ws, ADMIN).dataset(), tiers, on_duplicate="update")
    assert res.fields == {"scenarios": 1, "tier": 1}
    res = import_file(as_user(ws, ADMIN).dataset(), status, on_duplicate="update")
    row = _row(ws, "r2")
    assert (res.fields, row["status"], row["reviewed_by"]) == ({"status": 1}, "approved", ADMIN)


def test_update_cannot_approve_own_examples_under_the_distinct_rule(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", SPEC.replace("DISTINCT", "true"))
    admin = as_user(ws, ADMIN).dataset()
    add(admin, [{"id": "mine", "input": "mine"}])
    f = write_jsonl(tmp_path / "s.jsonl", [{"id": "mine", "input": "mine", "status": "approved"}])
    with pytest.raises(PermissionDenied, match=r"would approve 1 stored example\(s\) you created \(mine\).*distinct reviewer"):
        import_file(admin, f, on_duplicate="update")
    assert _row(ws, "mine")["status"] == "draft"
    assert audit_lines(ws)[-1]["allowed"] is False
    assert import_file(as_user(ws, ADMIN2).dataset(), f, on_duplicate="update").fields == {"status": 1}
    assert _row(ws, "mine")["reviewed_by"] == ADMIN2


# -- item 11: an edit of what was approved goes back to draft -------------------------------------
def test_import_update_of_approved_content_goes_back_to_draft(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    approved = _row(ws, "r1")
    f = write_jsonl(tmp_path / "fix.jsonl", [{"id": "r1", "input": "I want a refund", "expected": "refund_flow_v2", "status": "approved"}])
    res = import_file(as_user(ws, RES).dataset(), f, on_duplicate="update")
    assert (res.updated, res.fields, res.back_to_draft) == (1, {"expected": 1}, 1)
    row = _row(ws, "r1")
    assert (row["expected"], row["status"]) == ("refund_flow_v2", "draft")
    # the last review stays, as the record of what was approved before
    assert (row["reviewed_by"], row["reviewed_at"]) == (approved["reviewed_by"], approved["reviewed_at"])
    assert (row["scenarios"], row["tier"]) == (["refund_request"], "blocking")  # curation kept
    last = audit_lines(ws)[-1]
    assert last["op"] == "import" and "back to draft" in last["note"] and last["detail"]["back_to_draft"] == 1


def test_keep_approval_needs_the_review_right_and_a_distinct_reviewer(tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _ws(tmp_path)
    f = write_jsonl(tmp_path / "fix.jsonl", [{"id": "r1", "input": "I want a refund", "expected": "refund_v3"}])
    monkeypatch.setenv("GOLDSET_USER", RES)
    before = store_bytes(ws)
    r = run_cli("import", str(f), "--on-duplicate", "update", "--keep-approval", "-C", str(ws.root))
    assert r.exit_code == 4 and "--keep-approval" in r.stderr and "needs role pm or admin" in r.stderr, r.stderr
    assert store_bytes(ws) == before
    monkeypatch.setenv("GOLDSET_USER", ADMIN)
    r = run_cli("import", str(f), "--on-duplicate", "update", "--keep-approval", "-C", str(ws.root))
    assert r.exit_code == 0, r.stderr
    row = _row(ws, "r1")
    assert (row["expected"], row["status"], row["reviewed_by"]) == ("refund_v3", "approved", ADMIN)
    # edit --keep-approval on one's own example under the distinct rule: refused
    add(as_user(ws, ADMIN).dataset(), [{"id": "own", "input": "own"}])
    review(as_user(ws, PM).dataset(), "approve", ids=["own"])
    r = run_cli("edit", "own", "--expected", "x", "--keep-approval", "-C", str(ws.root))
    assert r.exit_code == 4 and "distinct reviewer" in r.stderr
    assert _row(ws, "own")["status"] == "approved" and _row(ws, "own")["expected"] is None


def test_edit_and_tag_send_approved_examples_back_to_draft(tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _ws(tmp_path)
    monkeypatch.setenv("GOLDSET_USER", RES)
    # same value, or a field that is not what was approved: the approval stays
    assert run_cli("edit", "r1", "--expected", "refund_flow", "-C", str(ws.root)).exit_code == 0
    assert run_cli("edit", "r1", "--source", "expert", "-C", str(ws.root)).exit_code == 0
    assert _row(ws, "r1")["status"] == "approved"
    r = run_cli("edit", "r1", "--expected", "other", "-C", str(ws.root))
    assert r.exit_code == 0, r.stderr
    row = _row(ws, "r1")
    assert (row["status"], row["reviewed_by"]) == ("draft", PM)
    assert "back to draft" in audit_lines(ws)[-1]["note"]
    # polarity through tag, and the library's update
    review(as_user(ws, PM).dataset(), "approve", ids=["r1"])
    tag(as_user(ws, RES).dataset(), TagChange(polarity="negative"), ids=["r1"])
    assert _row(ws, "r1")["status"] == "draft"
    review(as_user(ws, PM).dataset(), "approve", ids=["r1"])
    update(as_user(ws, RES).dataset(), ["r1"], input="I need my money back")
    assert _row(ws, "r1")["status"] == "draft"
    review(as_user(ws, PM).dataset(), "approve", ids=["r1"])
    tag(as_user(ws, ADMIN).dataset(), TagChange(polarity="positive"), ids=["r1"], keep_approval=True)
    row = _row(ws, "r1")
    assert (row["polarity"], row["status"], row["reviewed_by"]) == ("positive", "approved", ADMIN)
    with pytest.raises(PermissionDenied, match="needs role pm or admin"):
        edit(as_user(ws, RES).dataset(), "r1", expected="x", keep_approval=True)
    with pytest.raises(UsageError, match="status changes are reviews"):
        update(as_user(ws, ADMIN).dataset(), ["r2"], status="approved")
