"""Row-level three-way merge on real git branches and real DVC: the merge driver `goldset init`
installs (`git merge` merges the datasets by itself), conflicts listed and resolved both ways
with `goldset merge --resolve`, and `goldset merge` where no driver ran."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from goldset.access import audit
from goldset.curation import TagChange, edit, remove, review, tag
from goldset.errors import MergeConflict, PermissionDenied, WorkspaceError
from goldset.history import pull, snapshot
from goldset.ingest import add
from goldset.merging import merge
from goldset.workspace import Workspace, read_recorded

from helpers import versions as H
from helpers.vcs import env, git, goldset_cli

DS = "support-bot"
NEGATIVES = [
    {"id": "n2", "input": "Refund me for an order I never placed", "scenarios": ["refund_request"],
     "polarity": "negative", "expected": "decline", "status": "approved"},
    {"id": "n3", "input": "Give me a refund to someone else's account", "scenarios": ["refund_request"],
     "polarity": "negative", "expected": "decline", "status": "approved"},
]


def _merge(root: Path, branch: str) -> subprocess.CompletedProcess[str]:
    """`git merge BRANCH` (the real one, driver and all)."""
    return subprocess.run(["git", "merge", "--no-edit", branch], cwd=root, capture_output=True, text=True, env=env(),
                          check=False)


def _switch(ws: Workspace, branch: str, *, new: bool = False) -> None:
    git(ws.root, "checkout", "-q", *(["-b"] if new else []), branch)
    pull(ws)


def _rows(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in H.rows_of(Workspace.open(ws.root))}


@pytest.fixture
def base_ws(git_ws: Workspace) -> Workspace:
    """main: V1_ROWS snapshotted as v1."""
    add(git_ws.dataset(), H.V1_ROWS)
    snapshot(git_ws, None, "v1", tag="v1")
    return git_ws


def _pm_and_researcher(ws: Workspace) -> None:
    """Branch pm: the PM tags c1 and c2 cancel_order and puts r1 in the blocking tier.
    Branch research: two negatives added, r3's label fixed, c1 tagged greeting... no: c1's
    input fixed (a different field of an example the PM tagged)."""
    ds = ws.dataset()
    _switch(ws, "pm", new=True)
    tag(ds, TagChange(add_scenarios=["cancel_order"]), ids=["c1", "c2"])
    tag(ds, TagChange(tier="blocking"), ids=["r1"])
    snapshot(ws, None, "PM: cancel_order tags, r1 blocking")
    _switch(ws, "main")
    _switch(ws, "research", new=True)
    add(ds, NEGATIVES)
    edit(ds, "r3", expected="refund the duplicate charge")
    edit(ds, "c1", input="Cancel my order now")
    snapshot(ws, None, "Research: negatives, r3 label")
    _switch(ws, "pm")


def test_git_merge_gives_both_sides_row_by_row(base_ws: Workspace) -> None:
    ws = base_ws
    _pm_and_researcher(ws)
    before = _rows(ws)
    proc = _merge(ws.root, "research")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "merged support-bot row by row" in proc.stderr
    rows = _rows(ws)  # no pull: the driver wrote the merged store and git the .dvc file
    assert len(rows) == len(H.V1_ROWS) + len(NEGATIVES) == 9
    assert {"n2", "n3"} <= rows.keys()
    assert rows["r3"]["expected"] == "refund the duplicate charge"  # research's label fix
    assert rows["r1"]["tier"] == "blocking"  # the PM's tier
    assert rows["c2"]["scenarios"] == ["cancel_order"]
    # One example changed in different fields on each side: both changes.
    assert rows["c1"]["scenarios"] == ["cancel_order"] and rows["c1"]["input"] == "Cancel my order now"
    # Everything else is ours, provenance included.
    for i in ("r2", "n1", "g1"):
        assert rows[i] == before[i]
    # The merge commit names the merged version, and the store is it.
    recorded = read_recorded(ws.root, DS)
    assert recorded is not None and recorded.rows == 9
    assert ws.dataset().manifest().digest == recorded.manifest
    assert git(ws.root, "status", "--porcelain", "--untracked-files=no") == ""
    assert len(git(ws.root, "log", "-1", "--format=%P").split()) == 2
    # The audit log is the union of both branches' lines plus the join, and it verifies.
    log = audit.read_log(ws.dataset().audit_path).entries
    assert log[-1].op == "merge"
    ops = [e.op for e in log]
    assert (ops.count("tag"), ops.count("edit"), ops.count("add")) == (2, 2, 2), ops
    assert audit.verify(ws.dataset().audit_path).ok
    # The version DVC has is the merged one: a fresh checkout from the cache gives it again.
    assert goldset_cli(ws.root, "audit", "--verify").returncode == 0
    assert goldset_cli(ws.root, "stats", "-f", "json", check=True).returncode == 0


def _conflicting(ws: Workspace) -> None:
    """Both branches change r3's expected (the label), differently; research also removes
    c2 which pm edited; both add n2 with different labels."""
    ds = ws.dataset()
    _switch(ws, "pm", new=True)
    edit(ds, "r3", expected="refund one charge")
    tag(ds, TagChange(add_scenarios=["cancel_order"]), ids=["c2"])
    add(ds, [{**NEGATIVES[0], "expected": "refuse"}])
    tag(ds, TagChange(tier="blocking"), ids=["r1"])
    snapshot(ws, None, "pm")
    _switch(ws, "main")
    _switch(ws, "research", new=True)
    edit(ds, "r3", expected="refund the duplicate charge")
    remove(ds, ["c2"])
    add(ds, NEGATIVES)
    review(ds, "retire", ids=["g1"])
    snapshot(ws, None, "research")
    _switch(ws, "pm")


def test_conflicts_are_listed_and_nothing_is_lost(base_ws: Workspace) -> None:
    ws = base_ws
    _conflicting(ws)
    ours_store = {p.name: p.read_bytes() for p in ws.dataset().path.iterdir() if p.is_file()}
    proc = _merge(ws.root, "research")
    assert proc.returncode != 0
    assert "3 conflict(s) in 3 example(s)" in proc.stderr, proc.stderr
    assert "r3 expected" in proc.stderr and "c2 (row)" in proc.stderr and "n2 expected" in proc.stderr
    # Nothing written: the working store and the .dvc file are ours, git marks the file conflicted.
    assert {p.name: p.read_bytes() for p in ws.dataset().path.iterdir() if p.is_file()} == ours_store
    assert "datasets/support-bot.dvc" in git(ws.root, "diff", "--name-only", "--diff-filter=U")
    assert ws.dataset().manifest().rows == 8  # still readable: ours, checked out
    # goldset merge lists them again, as JSON too, and exits 1.
    res = goldset_cli(ws.root, "merge", "-f", "json")
    assert res.returncode == 1
    table = json.loads(res.stdout)
    assert table["status"] == "conflicts" and table["conflict_count"] == 3
    r3 = next(c for c in table["conflicts"] if c["id"] == "r3")
    assert (r3["field"], r3["base"], r3["ours"], r3["theirs"]) == (
        "expected", None, "refund one charge", "refund the duplicate charge")
    c2 = next(c for c in table["conflicts"] if c["id"] == "c2")
    assert (c2["kind"], c2["ours"], c2["theirs"]) == ("remove", "edited", "removed")
    listed = goldset_cli(ws.root, "merge", "--dry-run", "--resolve", "ours", "--id", "n2", "-f", "json")
    assert listed.returncode == 1, listed.stderr
    partly = json.loads(listed.stdout)
    assert (partly["conflict_count"], partly["resolved"]) == (2, 1)
    with pytest.raises(MergeConflict) as err:
        merge(ws)
    conflicts = {(line.split()[0], line.split()[1].rstrip(":")) for line in err.value.problems}
    assert conflicts == {("r3", "expected"), ("c2", "(row)"), ("n2", "expected")}


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_conflicts_resolved_both_ways(base_ws: Workspace, side: str) -> None:
    ws = base_ws
    _conflicting(ws)
    assert _merge(ws.root, "research").returncode != 0
    # Per id first: r3 goes to the other side; the rest stay conflicts.
    other = "theirs" if side == "ours" else "ours"
    with pytest.raises(MergeConflict) as err:
        merge(ws, resolve=other, ids=["r3"])  # type: ignore[arg-type]
    assert len(err.value.problems) == 2
    res = goldset_cli(ws.root, "merge", "--resolve", side, "-f", "json")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["status"] == "merged" and result["resolved"] == 3
    git(ws.root, "commit", "-q", "--no-edit")
    rows = _rows(ws)
    # Non-conflicting changes of both sides are in whatever the resolution.
    assert rows["r1"]["tier"] == "blocking" and rows["g1"]["status"] == "retired" and "n3" in rows
    if side == "ours":
        assert rows["r3"]["expected"] == "refund one charge"
        assert rows["c2"]["scenarios"] == ["cancel_order"]
        assert rows["n2"]["expected"] == "refuse"
    else:
        assert rows["r3"]["expected"] == "refund the duplicate charge"
        assert "c2" not in rows
        assert rows["n2"]["expected"] == "decline"
    assert ws.dataset().manifest().digest == read_recorded(ws.root, DS).manifest  # type: ignore[union-attr]
    assert audit.verify(ws.dataset().audit_path).ok
    merged_line = [e for e in audit.read_log(ws.dataset().audit_path).entries if e.op == "merge"][-1]
    assert merged_line.detail.get("updated") or merged_line.detail.get("added")


def test_goldset_merge_without_the_driver(base_ws: Workspace) -> None:
    """A clone that never installed the driver: git leaves conflict markers; goldset merge
    reads the sides from git's index and merges the audit log too."""
    ws = base_ws
    _pm_and_researcher(ws)
    git(ws.root, "config", "--remove-section", "merge.goldset")
    proc = _merge(ws.root, "research")
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "CONFLICT (content): Merge conflict in datasets/support-bot.dvc" in proc.stdout, proc.stdout + proc.stderr
    assert b"<<<<<<<" in (ws.root / "datasets" / f"{DS}.dvc").read_bytes()
    with pytest.raises(WorkspaceError):
        ws.dataset().manifest()  # the .dvc file is not readable: one clear error
    result = merge(ws)
    assert result.status == "merged" and result.added == 2
    assert git(ws.root, "diff", "--name-only", "--diff-filter=U") == ""
    git(ws.root, "commit", "-q", "--no-edit")
    rows = _rows(ws)
    assert len(rows) == 9 and rows["c1"]["input"] == "Cancel my order now" and rows["c1"]["scenarios"] == ["cancel_order"]
    assert audit.verify(ws.dataset().audit_path).ok
    ops = [e.op for e in audit.read_log(ws.dataset().audit_path).entries]
    assert ops[-2:] == ["merge", "merge"]  # the join of the logs, then the merge's write


def test_merge_refuses_without_a_merge(base_ws: Workspace) -> None:
    res = goldset_cli(base_ws.root, "merge")
    assert res.returncode == 5 and "no git merge is in progress" in res.stderr


def test_pull_request_flow_end_to_end(base_ws: Workspace) -> None:
    """Branch, change, what CI posts on the pull request (`goldset diff main --gate -f
    markdown`), merge into main, snapshot on main: the reports describe the merged data."""
    ws = base_ws
    _switch(ws, "feature", new=True)
    add(ws.dataset(), NEGATIVES)
    snapshot(ws, None, "two negatives")
    comment = goldset_cli(ws.root, "diff", "main", "--gate", "-f", "markdown")
    assert comment.returncode == 0, comment.stderr
    assert "| support-bot | 7 | 9 | 2 | 0 | 0 | 7 |" in comment.stdout, comment.stdout
    assert "Adds 2 negatives to refund_request" in comment.stdout and "stays PASS" in comment.stdout
    # Meanwhile main moves on (a PM's tag), so the merge is a real three-way one.
    _switch(ws, "main")
    tag(ws.dataset(), TagChange(tier="blocking"), ids=["r2"])
    snapshot(ws, None, "r2 blocking")
    proc = _merge(ws.root, "feature")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _rows(ws)
    assert len(rows) == 9 and rows["r2"]["tier"] == "blocking"
    result = snapshot(ws, None, "after merging feature")
    assert result.committed and result.rows == 9
    cov = json.loads((ws.root / "reports" / "coverage.json").read_text())
    assert cov["data"] == ws.dataset().manifest().digest
    assert git(ws.root, "status", "--porcelain", "--untracked-files=no") == ""
    # The history reads through the merge: log lists the merged versions.
    log = goldset_cli(ws.root, "log", "-f", "json")
    assert log.returncode == 0, log.stderr


def test_merge_driver_without_the_other_sides_data(base_ws: Workspace, tmp_path: Path) -> None:
    """Their data in no cache and no remote: one clear line, nothing written."""
    ws = base_ws
    _pm_and_researcher(ws)
    ours_store = {p.name: p.read_bytes() for p in ws.dataset().path.iterdir() if p.is_file()}
    # Forget research's data: the DVC cache of its version and goldset's revision cache.
    import shutil

    shutil.rmtree(ws.root / ".dvc" / "cache")
    shutil.rmtree(ws.root / ".goldset" / "cache", ignore_errors=True)
    proc = _merge(ws.root, "research")
    assert proc.returncode != 0
    assert "neither in the local DVC cache nor on the DVC remote" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p.name: p.read_bytes() for p in ws.dataset().path.iterdir() if p.is_file()} == ours_store
    assert "datasets/support-bot.dvc" in git(ws.root, "diff", "--name-only", "--diff-filter=U")


def test_a_reader_may_not_merge(base_ws: Workspace) -> None:
    """Roles set, the merging user has none: `git merge` keeps ours (the driver refuses, with
    nothing written, not even an audit line in a file git is merging); goldset merge refuses
    with an audited denial."""
    ws = base_ws
    spec = (ws.root / "goldset.yaml").read_text(encoding="utf-8")
    (ws.root / "goldset.yaml").write_text(spec + "    roles: {tester@example.com: admin}\n", encoding="utf-8")
    git(ws.root, "commit", "-qam", "roles")
    _pm_and_researcher(ws)
    proc = subprocess.run(["git", "merge", "--no-edit", "research"], cwd=ws.root, capture_output=True, text=True,
                          env={**env(), "GOLDSET_USER": "reader@example.com"}, check=False)
    assert proc.returncode != 0
    assert "reader@example.com" in proc.stderr and "merge branches" in proc.stderr, proc.stderr
    assert ws.dataset().manifest().rows == 7
    reader = Workspace(ws.root, user="reader@example.com")
    lines = ws.dataset().audit_path.read_text(encoding="utf-8").count("\n")
    with pytest.raises(PermissionDenied):
        merge(reader)
    last = audit.read_log(ws.dataset().audit_path).entries[-1]
    assert (last.user, last.allowed, ws.dataset().audit_path.read_text(encoding="utf-8").count("\n")) == (
        "reader@example.com", False, lines + 1)
