"""Snapshots, `goldset log` and reading any revision (`--rev`) in real git + DVC workspaces."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import TagChange, remove, tag
from goldset.errors import BadInput, StoreError, UsageError, WorkspaceError
from goldset.history import at, snapshot, version_log
from goldset.ingest import add
from goldset.store import db
from goldset.workspace import Workspace

from helpers import versions as H
from helpers.store import rewrite
from helpers.vcs import dvc, git, goldset_cli

RunCli = Callable[..., Any]


def test_snapshot_commits_the_dvc_file_audit_log_and_tag(git_ws: Workspace) -> None:
    root = git_ws.root
    ds = git_ws.dataset()
    add(ds, H.V1_ROWS[:3])
    remove(ds, ["r3"])  # writes an audit line, so the log has something to commit
    result = snapshot(git_ws, None, "first examples", tag="v1")

    assert result.committed and result.rows == 2 and result.tag == "v1"
    assert result.commit == git(root, "rev-parse", "HEAD").strip()
    assert git(root, "rev-parse", "v1^{commit}").strip() == result.commit
    assert {"datasets/support-bot.dvc", "datasets/support-bot.audit.jsonl"} <= set(result.files)
    assert git(root, "log", "-1", "--format=%s").strip() == "first examples"
    # Nothing of the snapshot is left uncommitted, and DVC agrees the store is what was recorded.
    assert git(root, "status", "--porcelain", "--", "datasets", "goldset.yaml") == ""
    assert dvc(root, "status", "datasets/support-bot.dvc").strip() == "Data and pipelines are up to date."
    # The committed .dvc file names exactly the live parts + the manifest (no lock, no leftovers).
    dvc_file = git(root, "show", "HEAD:datasets/support-bot.dvc")
    # parts + the removed-ids file of the removal + the manifest
    assert f"nfiles: {len(ds.manifest().parts) + len(ds.manifest().removed) + 1}" in dvc_file
    assert result.remote is None and not result.pushed


def test_snapshot_with_nothing_changed_makes_no_commit(two_versions: Workspace) -> None:
    head = git(two_versions.root, "rev-parse", "HEAD").strip()
    result = snapshot(two_versions, None, "again")
    assert not result.committed and result.commit == head
    assert git(two_versions.root, "rev-parse", "HEAD").strip() == head


def test_snapshot_cleans_store_leftovers_before_dvc_add(git_ws: Workspace) -> None:
    from goldset.store import JOURNAL

    ds = git_ws.dataset()
    add(ds, H.V1_ROWS)
    (ds.path / "part-20200101T000000-deadbeef0000.parquet").write_bytes(b"crashed write")
    (ds.path / JOURNAL).write_text("part-20200101T000000-deadbeef0000.parquet\n", encoding="utf-8")
    (ds.path / "part-x.parquet.tmp").write_bytes(b"half")
    result = snapshot(git_ws, None, "with leftovers")
    assert sorted(result.leftovers_removed) == [JOURNAL, "part-20200101T000000-deadbeef0000.parquet", "part-x.parquet.tmp"]
    assert sorted(p.name for p in ds.path.iterdir() if p.name != ".goldset.lock") == sorted(
        [*H.manifest_parts(git_ws.root, ds.name), "_manifest.json"])
    assert f"nfiles: {len(ds.manifest().parts) + 1}" in git(git_ws.root, "show", "HEAD:datasets/support-bot.dvc")


def test_snapshot_refuses_a_store_with_files_no_write_accounts_for(git_ws: Workspace) -> None:
    from goldset.errors import StoreError

    ds = git_ws.dataset()
    add(ds, H.V1_ROWS)
    (ds.path / "part-20200101T000000-foreign00000.parquet").write_bytes(b"not ours")
    head = git(git_ws.root, "rev-parse", "HEAD")
    with pytest.raises(StoreError, match="is damaged"):
        snapshot(git_ws, None, "must not version a stray")
    assert git(git_ws.root, "rev-parse", "HEAD") == head
    assert (ds.path / "part-20200101T000000-foreign00000.parquet").exists()


def test_snapshot_commits_only_its_own_paths(git_ws: Workspace) -> None:
    root = git_ws.root
    (root / "notes.txt").write_text("work in progress\n")
    git(root, "add", "notes.txt")
    add(git_ws.dataset(), H.V1_ROWS[:2])
    snapshot(git_ws, None, "two rows")
    assert "notes.txt" not in git(root, "show", "--name-only", "--format=", "HEAD")
    assert git(root, "diff", "--cached", "--name-only").split() == ["notes.txt"]  # still staged, untouched


def test_snapshot_refuses_a_merge_conflict(git_ws: Workspace, run_cli: RunCli) -> None:
    root = git_ws.root
    spec = (root / "goldset.yaml").read_text()
    git(root, "checkout", "-q", "-b", "other")
    (root / "goldset.yaml").write_text(spec.replace("description: test set", "description: theirs"))
    git(root, "commit", "-qam", "theirs")
    git(root, "checkout", "-q", "main")
    (root / "goldset.yaml").write_text(spec.replace("description: test set", "description: ours"))
    git(root, "commit", "-qam", "ours")
    with pytest.raises(subprocess.CalledProcessError):  # the merge stops on the conflict
        git(root, "merge", "-q", "other")
    head = git(root, "rev-parse", "HEAD").strip()

    res = run_cli("snapshot", "-C", str(root), "-m", "during conflict")
    assert res.exit_code == 5
    assert "goldset.yaml" in res.stderr and ("conflict" in res.stderr or "invalid YAML" in res.stderr)
    assert "Traceback" not in res.stderr
    # Resolved in the index but markers left in the file: still refused, by the spec check.
    (root / "goldset.yaml").write_text(spec.replace("description: test set", "description: ours"))
    git(root, "add", "goldset.yaml")
    with pytest.raises(WorkspaceError, match="merge is in progress"):
        snapshot(Workspace.open(root), None, "mid-merge")
    assert git(root, "rev-parse", "HEAD").strip() == head


def test_snapshot_refuses_conflict_markers_left_in_a_file(git_ws: Workspace) -> None:
    audit = git_ws.root / "datasets" / "support-bot.audit.jsonl"
    audit.write_text('<<<<<<< HEAD\n{"op": "a"}\n=======\n{"op": "b"}\n>>>>>>> other\n')
    with pytest.raises(WorkspaceError, match="merge-conflict markers"):
        snapshot(git_ws, None, "markers")


def test_snapshot_refuses_an_existing_tag_before_committing(two_versions: Workspace) -> None:
    head = git(two_versions.root, "rev-parse", "HEAD").strip()
    add(two_versions.dataset(), [{"id": "y1", "input": "new"}])
    with pytest.raises(UsageError, match="tag 'v1' already exists"):
        snapshot(two_versions, None, "dup tag", tag="v1")
    with pytest.raises(UsageError, match="not a valid git tag"):
        snapshot(two_versions, None, "bad tag", tag="bad..name")
    assert git(two_versions.root, "rev-parse", "HEAD").strip() == head


def test_rev_reads_equal_what_was_written_then(two_versions: Workspace) -> None:
    ws = two_versions
    v2_rows = H.rows_of(ws)
    ds = ws.dataset()
    remove(ds, ["r1", "x1"])
    tag(ds, TagChange(tier="blocking"), ids=["r2"])
    now = H.rows_of(ws)
    assert now != v2_rows
    assert H.rows_of(ws, "v2") == v2_rows
    assert H.rows_of(ws, "HEAD") == v2_rows
    v1 = H.rows_of(ws, "v1")
    assert [r["id"] for r in v1] == sorted(r["id"] for r in H.V1_ROWS)
    assert all(r["scenarios"] == [] for r in v1 if r["id"] in ("c1", "c2"))  # before the tagging
    assert H.rows_of(ws, "v2~1") == v1
    assert H.rows_of(ws) == now  # reading the past changed nothing in the present


def test_rev_on_every_read_command(two_versions: Workspace, run_cli: RunCli) -> None:
    root = str(two_versions.root)
    remove(two_versions.dataset(), ["g1"])
    listed = json.loads(run_cli("list", "-C", root, "--rev", "v1", "-f", "json").stdout)
    assert sorted(r["id"] for r in listed) == sorted(r["id"] for r in H.V1_ROWS)
    assert json.loads(run_cli("show", "-C", root, "--rev", "v1", "g1", "-f", "json").stdout)["input"] == "hello there"
    assert run_cli("show", "-C", root, "g1").exit_code == 3  # gone from the working store
    stats = json.loads(run_cli("stats", "-C", root, "--rev", "v2", "-f", "json").stdout)
    assert stats["rows"] == 8 and stats["by_scenario"]["cancel_order"]["total"] == 2
    q = json.loads(run_cli("query", "-C", root, "--rev", "v1", "SELECT count(*) AS n FROM examples", "-f", "json").stdout)
    assert q == [{"n": 7}]
    cov = json.loads(run_cli("coverage", "-C", root, "--rev", "v1", "-f", "json").stdout)
    assert {s["id"]: s["counted"] for s in cov["scenarios"]}["cancel_order"] == 0
    cov2 = json.loads(run_cli("coverage", "-C", root, "--rev", "v2", "-f", "json").stdout)
    assert {s["id"]: s["counted"] for s in cov2["scenarios"]}["cancel_order"] == 0  # tagged, still draft
    val = run_cli("validate", "-C", root, "--rev", "v1", "-f", "json")
    assert val.exit_code == 0, val.stderr
    assert json.loads(val.stdout)["rows"] == 7


def test_rev_uses_that_revisions_spec(two_versions: Workspace, run_cli: RunCli) -> None:
    root = two_versions.root
    spec = (root / "goldset.yaml").read_text()
    (root / "goldset.yaml").write_text(spec.replace("      greeting:", "      billing_dispute: {priority: P1}\n      greeting:"))
    two_versions.reload_spec()
    add(two_versions.dataset(), [{"id": "b1", "input": "Why this fee?", "scenarios": ["billing_dispute"]}])
    snapshot(two_versions, None, "new scenario", tag="v3")
    assert "billing_dispute" in at(two_versions, "v3").spec.datasets["support-bot"].scenarios
    assert "billing_dispute" not in at(two_versions, "v2").spec.datasets["support-bot"].scenarios
    res = run_cli("list", "-C", str(root), "--rev", "v2", "--scenario", "billing_dispute")
    assert res.exit_code == 3 and "unknown scenario 'billing_dispute'" in res.stderr


def test_a_revision_is_read_only(two_versions: Workspace, run_cli: RunCli) -> None:
    past = at(two_versions, "v1")
    assert past.read_only
    ds = past.dataset()
    before = sorted(p.name for p in ds.path.iterdir())
    with pytest.raises(UsageError, match=r"at v1 .* is read-only"):
        add(ds, [{"id": "z", "input": "no"}])
    with pytest.raises(UsageError, match="read-only"):
        rewrite(ds, db.connect(), "true", {"status": "'retired'"}, op="review")
    with pytest.raises(UsageError, match="read-only"):
        remove(ds, ["r1"])
    with pytest.raises(UsageError, match="read-only"):
        tag(ds, TagChange(tier="blocking"), ids=["r1"])
    with pytest.raises(UsageError, match="read-only"):
        ds.store.transaction()
    with pytest.raises(UsageError, match="past revision"):
        snapshot(past, None, "no")
    assert sorted(p.name for p in ds.path.iterdir()) == before
    assert len(H.rows_of(two_versions, "v1")) == 7


def test_unknown_revision_is_a_clear_error(two_versions: Workspace, run_cli: RunCli) -> None:
    root = str(two_versions.root)
    res = run_cli("list", "-C", root, "--rev", "no-such-tag")
    assert res.exit_code == 3 and "unknown revision 'no-such-tag'" in res.stderr and "Traceback" not in res.stderr
    with pytest.raises(BadInput):
        at(two_versions, "--all")
    first = git(two_versions.root, "rev-list", "--max-parents=0", "HEAD").strip()
    # The init commit has the spec and an empty store: readable, zero rows.
    assert H.rows_of(two_versions, first) == []


def test_revision_data_missing_everywhere_is_a_store_error(two_versions: Workspace) -> None:
    root = two_versions.root
    shutil.rmtree(root / ".dvc" / "cache")
    shutil.rmtree(root / ".goldset", ignore_errors=True)
    with pytest.raises(StoreError, match="DVC"):
        H.rows_of(two_versions, "v1")


def test_revision_cache_is_invisible_to_git_and_dvc(two_versions: Workspace) -> None:
    H.rows_of(two_versions, "v1")
    assert (two_versions.root / ".goldset" / "cache").is_dir()
    assert git(two_versions.root, "status", "--porcelain") == ""
    assert "/.goldset/" in (two_versions.root / ".dvcignore").read_text()


def test_log_lists_versions_with_rows_tags_and_gate(two_versions: Workspace, run_cli: RunCli) -> None:
    root = two_versions.root
    # A report written by hand describes the working data, not a version: every snapshot
    # rewrites reports/ from the data it commits, so each version's gate is its own.
    report = str(root / "reports" / "coverage.json")
    assert run_cli("coverage", "-C", str(root), "-f", "json", "-o", report).exit_code == 0
    remove(two_versions.dataset(), ["n1"])  # the only refund negative: the P0 gate now fails
    assert run_cli("coverage", "-C", str(root), "-f", "json", "-o", report).exit_code == 0
    snapshot(two_versions, None, "drop n1", tag="v3")
    add(two_versions.dataset(), [{"id": "y1", "input": "One more"}])
    snapshot(two_versions, None, "add y1")

    log = version_log(two_versions)
    assert [v.message for v in log.versions] == ["add y1", "drop n1", "tag cancels, add x1", "import seven examples", "goldset init"]
    assert [v.tags for v in log.versions] == [[], ["v3"], ["v2"], ["v1"], []]
    assert [v.rows for v in log.versions] == [8, 7, 8, 7, 0]
    # v1 and v2 pass (3 positives + 1 negative approved refunds); init's empty set fails, its
    # commit has no report: computed on the revision.
    assert [v.gate for v in log.versions] == ["fail", "fail", "pass", "pass", "fail"]
    assert [v.gate_source for v in log.versions] == ["report"] * 4 + ["computed"]
    assert log.versions[1].commit == git(root, "rev-parse", "v3^{commit}").strip()
    assert log.versions[0].author == "tester <tester@example.com>"
    listed = json.loads(run_cli("log", "-C", str(root), "-f", "json", "-n", "2").stdout)
    assert [v["tags"] for v in listed["versions"]] == [[], ["v3"]]
    table = run_cli("log", "-C", str(root)).stdout
    assert "drop n1" in table and "v3" in table


def test_list_rev_never_crashes_at_exit(two_versions: Workspace) -> None:
    """Reading a revision through DVC must not abort the process at exit (pyarrow + DVC
    threads did, 7 times in 8, before reads went through local files). Every run starts
    from an empty revision cache, so every run fetches through DVC."""
    root = two_versions.root
    clones = []
    for i in range(2):  # two workspaces so two runs can go in parallel without sharing a cache
        clone = root.parent / f"clone{i}"
        shutil.copytree(root, clone, symlinks=True)
        clones.append(clone)

    def run(i: int) -> tuple[int, str]:
        clone = clones[i % 2]
        shutil.rmtree(clone / ".goldset", ignore_errors=True)
        proc = goldset_cli(clone, "list", "--rev", "v1" if i % 3 else "v2", "-f", "jsonl")
        ok_rows = len(proc.stdout.splitlines()) == (7 if i % 3 else 8)
        return proc.returncode, "" if ok_rows else proc.stdout + proc.stderr

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, range(10)))
    assert [code for code, _ in results] == [0] * 10, results
    assert [err for _, err in results] == [""] * 10


def test_workspace_at_none_is_itself(git_ws: Workspace) -> None:
    assert at(git_ws, None) is git_ws and not git_ws.read_only


def test_init_ignores_the_revision_cache(tmp_path: Path) -> None:
    from goldset.history import init_workspace

    (tmp_path / "w").mkdir()
    (tmp_path / "w" / ".gitignore").write_text("*.log")
    init_workspace(tmp_path / "w", "golden")
    assert (tmp_path / "w" / ".gitignore").read_text().splitlines() == ["*.log", "/.goldset/"]
    init_workspace(tmp_path / "w", "golden")  # idempotent
    assert (tmp_path / "w" / ".gitignore").read_text().count("/.goldset/") == 1
