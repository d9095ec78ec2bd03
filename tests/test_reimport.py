"""Nothing lost: a re-import keeps curation and changes only what the file gives, removed ids
stay removed, ``import --dry-run`` shows the plan, and mapping mistakes are one clear line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import TagChange, remove, review, tag
from goldset.errors import BadInput, DuplicateIds
from goldset.ingest import ImportPlan, add, import_file, parse_mapping
from goldset.workspace import Workspace

from helpers.curation import as_user, audit_lines, make_ws, rows, store_bytes
from helpers.workspace import SPEC, write_jsonl

ROLES = """\
    roles:
      pm@example.com: pm
      res@example.com: research
      admin@example.com: admin
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """r1..r3 imported by research; r1 curated since (approved, tagged, tiered, label fixed)."""
    w = make_ws(tmp_path / "ws", SPEC + ROLES)
    res = as_user(w, "res@example.com").dataset()
    export = [
        {"id": "r1", "input": "I want a refund", "expected": "refund"},
        {"id": "r2", "input": "cancel my order", "expected": "cancel"},
        {"id": "r3", "input": "hello", "expected": "greet"},
    ]
    import_file(res, write_jsonl(tmp_path / "export.jsonl", export))
    pm = as_user(w, "pm@example.com").dataset()
    tag(pm, TagChange(add_scenarios=["refund_request"], tier="blocking"), ids=["r1"])
    review(pm, "approve", ids=["r1"])
    return w


def _by_id(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rows(ws)}


def test_reimport_with_update_keeps_curation(ws: Workspace, tmp_path: Path) -> None:
    before = _by_id(ws)["r1"]
    res = as_user(ws, "res@example.com").dataset()
    same = write_jsonl(tmp_path / "same.jsonl", [
        {"id": "r1", "input": "I want a refund", "expected": "refund"},
        {"id": "r2", "input": "cancel my order", "expected": None},  # null: keeps the stored value
        {"id": "r3", "input": "hello"},  # no expected column on this row: keeps it too
    ])
    snap = store_bytes(ws)
    r = import_file(res, same, on_duplicate="update")
    assert (r.added, r.updated, r.unchanged, r.parts_written) == (0, 0, 3, 0)
    assert store_bytes(ws) == snap  # nothing rewritten
    after = _by_id(ws)
    assert after["r1"] == before  # status, reviewer, scenarios, tier: all kept
    assert (after["r2"]["expected"], after["r3"]["expected"]) == ("cancel", "greet")
    # a label fix changes only that field (and sends the approved example back to draft)
    fix = write_jsonl(tmp_path / "fix.jsonl", [{"id": "r1", "input": "I want a refund", "expected": "refund_flow"}])
    r = import_file(res, fix, on_duplicate="update")
    assert (r.updated, r.fields, r.back_to_draft) == (1, {"expected": 1}, 1)
    row = _by_id(ws)["r1"]
    assert (row["expected"], row["scenarios"], row["tier"], row["status"]) == ("refund_flow", ["refund_request"], "blocking", "draft")
    assert (row["created_by"], row["reviewed_by"]) == ("res@example.com", "pm@example.com")


def test_reimport_with_skip_does_not_revive_removed_ids(ws: Workspace, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    remove(as_user(ws, "res@example.com").dataset(), ["r3"])
    export = write_jsonl(tmp_path / "again.jsonl", [
        {"id": "r2", "input": "cancel my order", "expected": "cancel"},
        {"id": "r3", "input": "hello", "expected": "greet"},
        {"id": "r4", "input": "new one"},
    ])
    monkeypatch.setenv("GOLDSET_USER", "res@example.com")
    r = run_cli("import", str(export), "--on-duplicate", "skip", "-C", str(ws.root))
    assert r.exit_code == 0, r.stderr
    assert "import support-bot: added 1, unchanged 1" in r.stdout
    assert "1 id(s) were removed earlier (goldset remove) and stay removed" in r.stderr
    assert sorted(_by_id(ws)) == ["r1", "r2", "r4"]
    # the default (error) refuses and says how to choose
    before = store_bytes(ws)
    with pytest.raises(DuplicateIds, match=r"1 id\(s\) in the input were removed .*: r3; pass --restore-removed"):
        import_file(as_user(ws, "res@example.com").dataset(), export)
    assert store_bytes(ws) == before
    r = run_cli("import", str(export), "--restore-removed", "-C", str(ws.root))
    assert r.exit_code == 0, r.stderr
    assert sorted(_by_id(ws)) == ["r1", "r2", "r3", "r4"]
    assert "1 removed id(s) restored" in audit_lines(ws)[-1]["note"]


def test_dry_run_prints_the_plan_and_writes_nothing(ws: Workspace, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    remove(as_user(ws, "res@example.com").dataset(), ["r3"])
    f = write_jsonl(tmp_path / "plan.jsonl", [
        {"id": "r1", "input": "I want a refund", "expected": "refund_flow"},  # expected; approved -> draft
        {"id": "r2", "input": "cancel my order", "expected": "cancel", "tier": "monitor"},  # tier: pm's
        {"id": "r3", "input": "hello"},  # removed earlier
        {"id": "r5", "input": "brand new", "channel": "email", "scenario": "greeting"},
    ])
    before, lines = store_bytes(ws), len(audit_lines(ws))
    monkeypatch.setenv("GOLDSET_USER", "res@example.com")
    r = run_cli("import", str(f), "--on-duplicate", "update", "--dry-run", "-C", str(ws.root))
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "added      1" in out and "updated    2: expected 1, tier 1" in out
    assert "back to draft: 1 approved example(s)" in out
    assert "removed    1 id(s) removed earlier (r3): left out" in out
    assert "refused (not allowed):" in out and "would change tier of 1 stored example(s) (r2): needs role pm or admin" in out
    assert "kept in metadata: channel, scenario" in out and "--map scenario=scenarios" in out
    assert "would be refused" in out
    assert store_bytes(ws) == before and len(audit_lines(ws)) == lines
    plan = ImportPlan.model_validate_json(
        run_cli("import", str(f), "--on-duplicate", "update", "--dry-run", "-f", "json", "-C", str(ws.root)).stdout
    )
    assert (plan.added, plan.updated, plan.fields, plan.removed, plan.back_to_draft) == (1, 2, {"expected": 1, "tier": 1}, 1, 1)
    # as admin nothing is refused; error mode lists the conflicts with their fields
    plan = import_file(as_user(ws, "admin@example.com").dataset(), f, dry_run=True)
    assert plan.refused == [] and plan.conflicts == ["id r1: expected differs", "id r2: tier differs"] and plan.fails
    # a user without the import right is told so in the plan, not by an exception
    plan = import_file(as_user(ws, "pm@example.com").dataset(), f, on_duplicate="skip", dry_run=True)
    assert plan.refused == ["import: needs role research or admin"] and plan.skipped == 2
    assert store_bytes(ws) == before and len(audit_lines(ws)) == lines


def test_conflict_error_names_the_fields_that_differ(ws: Workspace, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOLDSET_USER", "res@example.com")
    f = write_jsonl(tmp_path / "c.jsonl", [{"id": "r2", "input": "cancel my order", "expected": "x", "tier": "monitor"}])
    r = run_cli("import", str(f), "-C", str(ws.root))
    assert r.exit_code == 3 and "id r2: expected differs, tier differs" in r.stderr and "Traceback" not in r.stderr


def test_missing_input_column_and_unknown_map_source_are_one_line(bare_ws: Workspace, tmp_path: Path, run_cli: Any) -> None:
    f = tmp_path / "export.csv"
    f.write_text("question,label\n" + "".join(f"q{i},l{i}\n" for i in range(25)), encoding="utf-8")
    r = run_cli("import", str(f), "-C", str(bare_ws.root))
    assert r.exit_code == 3
    assert r.stderr.strip().splitlines() == [
        "error: export.csv has no input column; its columns: question, label; name the column that holds the input with --map COLUMN=input"
    ]
    r = run_cli("import", str(f), "--map", "questoin=input", "-C", str(bare_ws.root))
    assert r.exit_code == 3
    assert r.stderr.strip().splitlines() == [
        "error: export.csv: --map questoin=input: no column 'questoin' (did you mean 'question'?); its columns: question, label"
    ]
    g = write_jsonl(tmp_path / "rows.jsonl", [{"text": "a", "exptected": "x"}, {"text": "b"}])
    with pytest.raises(BadInput, match=r"rows.jsonl has no input column; its columns: text, exptected"):
        import_file(bare_ws.dataset(), g)
    assert bare_ws.dataset().count() == 0


def test_summary_names_columns_kept_in_metadata_and_hints_close_spellings(bare_ws: Workspace, tmp_path: Path, run_cli: Any) -> None:
    f = tmp_path / "in.csv"
    f.write_text("input,scenario,label,channel\nhi,greeting,greet,email\n", encoding="utf-8")
    r = run_cli("import", str(f), "-C", str(bare_ws.root))
    assert r.exit_code == 0, r.stderr
    assert "kept in metadata: scenario, label, channel" in r.stderr
    assert "hint: column 'scenario' was kept in metadata; if it holds scenarios, pass --map scenario=scenarios" in r.stderr
    assert "'label'" not in r.stderr.split("kept in metadata")[1].split("\n", 1)[1]  # not a close spelling of a field
    assert json.loads(bare_ws.dataset().query("SELECT metadata FROM examples").to_pylist()[0]["metadata"]) == {
        "channel": "email", "label": "greet", "scenario": "greeting"}
    res = import_file(bare_ws.dataset(), f, mapping=parse_mapping(["scenario=scenarios"]), on_duplicate="update")
    assert res.hints == [] and res.metadata_columns == ["label", "channel"]
    assert bare_ws.dataset().query("SELECT scenarios FROM examples").to_pylist()[0]["scenarios"] == ["greeting"]


def test_add_follows_the_same_rules(ws: Workspace) -> None:
    res = as_user(ws, "res@example.com").dataset()
    r = add(res, [{"id": "r1", "input": "I want a refund", "expected": "refund", "source": "expert"}], on_duplicate="update")
    assert (r.updated, r.fields, r.back_to_draft) == (1, {"source": 1}, 0)
    assert _by_id(ws)["r1"]["status"] == "approved"  # the source is not what was approved
