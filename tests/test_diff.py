"""Row-level diff between versions, with the coverage delta: three snapshots with known edits,
and CLINC150 with the 1,000 oos_test negatives retired."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import remove, review
from goldset.history import DiffReport, at, diff, snapshot
from goldset.ingest import ImportDefaults, add, import_file
from goldset.workspace import Workspace

from helpers import versions as H
from helpers.clinc import clinc_records, clinc_spec, needs_clinc
from helpers.workspace import write_jsonl

RunCli = Callable[..., Any]


def _scenarios(r: DiffReport) -> dict[str, tuple[Any, ...]]:
    return {
        d.id: (d.before and (d.before.counted, d.before.negatives, d.before.verdict),
               d.after and (d.after.counted, d.after.negatives, d.after.verdict))
        for d in r.coverage
    }


def test_v1_to_v2_is_exactly_the_tagging_and_the_review(story: Workspace) -> None:
    r = diff(story, None, "v1", "v2")
    assert (r.rows_before, r.rows_after, r.added, r.removed, r.changed, r.unchanged) == (7, 7, 0, 0, 2, 5)
    assert r.changed_ids == ["c1", "c2"] and r.added_ids == r.removed_ids == []
    assert {f.field: f.rows for f in r.fields} == {
        "scenarios": 2, "updated_at": 2, "status": 1, "reviewed_at": 1, "reviewed_by": 1}
    assert [(t.field, t.before, t.after, t.rows) for t in r.transitions] == [("status", "draft", "approved", 1)]
    assert [(t.kind, t.id, t.added, t.removed) for t in r.tags] == [("scenario", "cancel_order", 2, 0)]
    c1 = next(s for s in r.sample if s.id == "c1")
    assert (c1.before["status"], c1.after["status"]) == ("draft", "approved")
    assert (c1.before["scenarios"], c1.after["scenarios"]) == ([], ["cancel_order"])
    assert c1.before["reviewed_by"] is None and c1.after["reviewed_by"] == "tester@example.com"
    # Coverage: only cancel_order moved (one approved example of the two it needs).
    assert _scenarios(r) == {"cancel_order": ((0, 0, "missing"), (1, 0, "gap"))}
    assert r.gate is not None and r.gate.passed_before and r.gate.passed_after and r.gate_flip == "none"
    assert "Adds 1 positive to cancel_order (P1) (counted 0 -> 1); still below its launch bar (missing -> gap)" in r.summary[2]
    assert r.summary[1] == "status draft -> approved: 1 example."


def test_v2_to_v3_removes_the_negative_and_flips_the_gate(story: Workspace) -> None:
    r = diff(story, None, "v2", "v3")
    assert (r.added, r.removed, r.changed, r.unchanged) == (0, 1, 0, 6)
    assert r.removed_ids == ["n1"] and r.fields == [] and r.sample == []
    assert _scenarios(r) == {"refund_request": ((4, 1, "ok"), (3, 0, "gap"))}
    assert r.gate_flip == "pass_to_fail" and r.gate is not None and r.gate.failing_after == ["refund_request"]
    text = " ".join(r.summary)
    assert "Removes 1 negative from refund_request (P0, blocking) (counted 4 -> 3), which falls below its launch bar" in text
    assert "falls below its launch bar" in text and "flips from PASS to FAIL" in text


def test_v1_to_v3_adds_both_and_reverse_undoes(story: Workspace) -> None:
    r = diff(story, None, "v1", "v3")
    assert (r.added, r.removed, r.changed) == (0, 1, 2)
    assert r.removed_ids == ["n1"] and r.changed_ids == ["c1", "c2"]
    assert set(_scenarios(r)) == {"cancel_order", "refund_request"} and r.gate_flip == "pass_to_fail"
    back = diff(story, None, "v3", "v1")
    assert (back.added, back.removed, back.changed) == (1, 0, 2)
    assert back.added_ids == ["n1"] and back.gate_flip == "fail_to_pass"
    assert [(t.before, t.after) for t in back.transitions] == [("approved", "draft")]
    assert [(t.id, t.added, t.removed) for t in back.tags] == [("cancel_order", 0, 2)]


def test_same_version_and_shared_parts(story: Workspace) -> None:
    r = diff(story, None, "v3", "v3")
    assert r.identical and r.unchanged == 6 and r.coverage == [] and r.gate_flip == "none"
    # HEAD against the untouched working store: nothing, though the working store is read in place.
    assert diff(story).identical


def test_default_is_head_against_the_working_store(story: Workspace, run_cli: RunCli) -> None:
    ds = story.dataset()
    add(ds, [{"id": "n2", "input": "Refund a stranger's order", "polarity": "negative",
             "scenarios": ["refund_request"], "status": "approved"}])
    remove(ds, ["g1"])
    res = run_cli("diff", "-C", str(story.root), "-f", "json")
    assert res.exit_code == 0, res.stderr
    r = json.loads(res.stdout)
    assert (r["before"].startswith("HEAD"), r["after"]) == (True, "working store")
    assert (r["added_ids"], r["removed_ids"], r["changed"]) == (["n2"], ["g1"], 0)
    assert r["gate_flip"] == "fail_to_pass"
    deltas = {d["id"]: d for d in r["coverage"]}
    assert deltas["refund_request"]["after"]["negatives"] == 1 and deltas["greeting"]["after"]["counted"] == 0


def test_cli_formats_and_gate_exit_code(story: Workspace, run_cli: RunCli) -> None:
    root = str(story.root)
    md = run_cli("diff", "-C", root, "v2", "v3", "-f", "markdown")
    assert md.exit_code == 0
    assert md.stdout.startswith("### golden set `support-bot`: v2 (")
    assert "Removes 1 negative from refund_request (P0, blocking)" in md.stdout
    assert "| refund_request | P0 (blocking) | 4 -> 3 | 1 -> 0 | ok -> gap |" in md.stdout
    table = run_cli("diff", "-C", root, "v1", "v2")
    assert "status" in table.stdout and "draft" in table.stdout and "cancel_order" in table.stdout
    gate = run_cli("diff", "-C", root, "v2", "v3", "--gate")
    assert gate.exit_code == 1 and "flips from pass to fail" in gate.stderr
    assert run_cli("diff", "-C", root, "v1", "v2", "--gate").exit_code == 0
    rows_only = json.loads(run_cli("diff", "-C", root, "v2", "v3", "--no-coverage", "-f", "json").stdout)
    assert rows_only["coverage_compared"] is False and rows_only["gate"] is None and rows_only["removed"] == 1
    # --fail-on P1 makes cancel_order blocking: v1 -> v2 then fails both sides ("stays FAIL").
    p1 = json.loads(run_cli("diff", "-C", root, "v1", "v2", "--fail-on", "P0,P1", "-f", "json").stdout)
    assert p1["gate"]["passed_before"] is False and p1["gate"]["failing_after"] == ["cancel_order"]
    assert run_cli("diff", "-C", root, "nope").exit_code == 3


@pytest.mark.clinc
@needs_clinc
def test_clinc_retiring_oos_test_flips_the_gate(git_ws: Workspace, tmp_path: Path) -> None:
    """Retire the 1,000 oos_test negatives by a predicate on the split kept in metadata.

    out_of_scope is P1 in clinc_spec and the gate blocks on P0 only, so the diff runs with
    ``fail_on=["P0", "P1"]`` (what `goldset diff --fail-on P0,P1` does): with 500 negatives
    required, out_of_scope has 1,200 before (pass) and 200 after (fail)."""
    root = git_ws.root
    (root / "goldset.yaml").write_text(clinc_spec(oos_min_negatives=500).replace("default_dataset: clinc", "default_dataset: support-bot").replace("  clinc:", "  support-bot:"))
    ws = Workspace.open(root)
    ds = ws.dataset()
    data = write_jsonl(tmp_path / "clinc.jsonl", clinc_records())
    import_file(ds, data, defaults=ImportDefaults(status="approved"))
    snapshot(ws, None, "CLINC150", tag="clinc-v1")
    where = "json_extract_string(metadata, '$.split') = 'oos_test'"
    assert review(ds, "retire", where=where).updated == 1000
    snapshot(ws, None, "retire oos_test", tag="clinc-v2")

    r = diff(ws, None, "clinc-v1", "clinc-v2", fail_on=["P0", "P1"])
    assert (r.rows_before, r.rows_after, r.added, r.removed, r.changed) == (23_700, 23_700, 0, 0, 1000)
    assert all(i.startswith("oos_test-") for i in r.changed_ids)
    assert [(t.field, t.before, t.after, t.rows) for t in r.transitions] == [("status", "approved", "retired", 1000)]
    assert {f.field: f.rows for f in r.fields}["status"] == 1000
    assert _scenarios(r) == {"out_of_scope": ((1200, 1200, "ok"), (200, 200, "gap"))}
    assert r.gate is not None and (r.gate.passed_before, r.gate.passed_after) == (True, False)
    assert r.gate_flip == "pass_to_fail" and r.gate.failing_after == ["out_of_scope"]
    # Through --rev, each version reads as it was written.
    assert H.rows_of(ws, "clinc-v1")[0]["status"] == "approved"
    retired = at(ws, "clinc-v2").dataset().query("SELECT count(*) AS n FROM examples WHERE status = 'retired'")
    assert retired.column("n")[0].as_py() == 1000


def test_each_side_uses_its_own_spec(story: Workspace) -> None:
    """Raising a requirement changes no row, yet the diff shows the verdict and gate move."""
    spec = story.root / "goldset.yaml"
    spec.write_text(spec.read_text().replace("P1: {min_examples: 2}", "P1: {min_examples: 2}\n      P2: {min_examples: 5}"))
    story.reload_spec()
    r = diff(story, None, "v3", None, fail_on=["P2"])
    assert r.identical and r.changed == 0
    assert _scenarios(r) == {"greeting": ((1, 0, "ok"), (1, 0, "gap"))}
    assert r.gate_flip == "pass_to_fail"
    assert "Greeting (P2, blocking): counted 1 -> 1, which falls below its launch bar" in " ".join(r.summary)


def test_revision_spec_is_parsed_once_and_cached(story: Workspace) -> None:
    first = at(story, "v2").spec
    cached = list((story.root / ".goldset" / "cache" / "spec").glob("*.json"))
    assert len(cached) == 1  # v1, v2 and v3 share one goldset.yaml blob
    assert at(story, "v1").spec == first
    assert at(Workspace.open(story.root), "v3").spec == story.spec
