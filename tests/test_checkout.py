"""The store must be what the commit says (issue 11.1): a clone without `dvc pull`, or a `git
checkout` without `dvc checkout`, never reads as an empty or wrong golden set, and never gets
written or snapshotted; `goldset pull` fixes it, and never discards changes no commit holds.
Real git, real DVC, a real local DVC remote."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from goldset.history import pull, snapshot
from goldset.ingest import add
from goldset.workspace import Workspace

from helpers.curation import store_bytes
from helpers.vcs import dvc, git, goldset_cli
from helpers.versions import V1_ROWS, rows_of

#: Every verb that reads or writes the dataset, as CLI arguments.
READERS = [["stats"], ["list"], ["show", "r1"], ["coverage"], ["query", "SELECT count(*) FROM examples"],
           ["validate"], ["check"]]
WRITERS = [["add", "a new example"], ["tag", "r1", "--scenario", "greeting"], ["review", "--approve", "c1"],
           ["remove", "g1"], ["snapshot", "-m", "should not happen"], ["compact"]]


@pytest.fixture
def origin(git_ws: Workspace, tmp_path: Path) -> Workspace:
    """A workspace with a local DVC remote and one pushed snapshot of the seven V1 rows."""
    dvc(git_ws.root, "remote", "add", "-d", "storage", str(tmp_path / "remote"))
    add(git_ws.dataset(), V1_ROWS)
    snapshot(git_ws, None, "seven examples", tag="v1")
    return git_ws


def clone(origin: Workspace, dest: Path) -> Workspace:
    git(origin.root.parent, "clone", "-q", str(origin.root), str(dest))
    return Workspace.open(dest)


def test_a_fresh_clone_refuses_every_command_until_goldset_pull(origin: Workspace, tmp_path: Path) -> None:
    ws = clone(origin, tmp_path / "clone")
    commit = git(ws.root, "rev-parse", "--short=12", "HEAD").strip()
    for args in READERS + WRITERS:
        proc = goldset_cli(ws.root, *args)
        assert proc.returncode == 6, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr, (args, proc.stderr)
        assert f"the store of support-bot at commit {commit} is not on this machine" in lines[0]
        assert "7 rows" in lines[0] and "goldset pull" in lines[0]
    # Nothing was written: no store directory beyond what git checked out, no commit, no audit line.
    assert not (ws.root / "datasets" / "support-bot" / "_manifest.json").exists()
    assert git(ws.root, "rev-parse", "--short=12", "HEAD").strip() == commit
    assert git(ws.root, "status", "--porcelain").strip() == ""

    proc = goldset_cli(ws.root, "pull")
    assert proc.returncode == 0, proc.stderr
    assert "support-bot: fetched: 7 rows" in proc.stdout + proc.stderr
    assert rows_of(ws) == rows_of(origin)
    again = goldset_cli(ws.root, "pull", "-f", "json")
    assert '"status": "up to date"' in again.stdout


def test_git_checkout_without_dvc_checkout_is_refused_then_pulled(origin: Workspace) -> None:
    root = origin.root
    git(root, "checkout", "-q", "-b", "more")
    add(origin.dataset(), [{"id": "m1", "input": "one more on the branch"}])
    snapshot(origin, None, "one more", tag="v2")
    git(root, "checkout", "-q", "main")  # the store is still the branch's 8 rows
    for args in (["stats"], ["add", "x"], ["snapshot", "-m", "wrong"]):
        proc = goldset_cli(root, *args)
        assert proc.returncode == 6, (args, proc.stderr)
        assert "is not the one commit" in proc.stderr and "the commit has 7 rows" in proc.stderr
        assert "(8 rows)" in proc.stderr and "goldset pull" in proc.stderr
    assert git(root, "log", "--oneline", "main").count("\n") == 2  # init + v1: nothing snapshotted

    result = pull(origin)
    assert [(d.dataset, d.status, d.rows) for d in result.datasets] == [("support-bot", "checked out", 7)]
    assert rows_of(origin) == rows_of(origin, "v1")
    git(root, "checkout", "-q", "more")
    assert goldset_cli(root, "stats").returncode == 6
    assert pull(origin).datasets[0].rows == 8
    assert rows_of(origin) == rows_of(origin, "v2")


def test_local_work_since_the_snapshot_is_fine_and_pull_keeps_it(origin: Workspace) -> None:
    ds = origin.dataset()
    add(ds, [{"id": "w1", "input": "work in progress"}])
    add(ds, [{"id": "w2", "input": "more work"}])
    assert ds.count() == 9
    before = store_bytes(origin)
    result = pull(origin)
    assert result.datasets[0].status == "local changes"
    assert store_bytes(origin) == before
    # Uncommitted work is not bound to a branch (like git's): a new branch at the same commit
    # names the same version, so the work goes on there and is snapshotted there.
    git(origin.root, "checkout", "-q", "-b", "feature")
    assert snapshot(origin, None, "two more").committed
    assert rows_of(origin, "HEAD") == rows_of(origin)


def test_pull_never_discards_changes_that_no_commit_holds(origin: Workspace) -> None:
    root = origin.root
    git(root, "checkout", "-q", "-b", "other")
    add(origin.dataset(), [{"id": "o1", "input": "snapshotted on other"}])
    snapshot(origin, None, "on other")
    add(origin.dataset(), [{"id": "o2", "input": "not snapshotted"}])  # unsealed work on other's version
    git(root, "stash", "-q")  # its audit line: git would not switch branches over it
    git(root, "checkout", "-q", "main")
    before = store_bytes(origin)
    proc = goldset_cli(root, "pull")
    assert proc.returncode == 5, proc.stderr
    assert "holds changes that no commit records" in proc.stderr and "--force" in proc.stderr
    assert store_bytes(origin) == before
    # Back on its branch, the work is local work again, and is kept.
    git(root, "checkout", "-q", "other")
    git(root, "stash", "pop", "-q")
    assert pull(origin).datasets[0].status == "local changes"
    git(root, "stash", "-q")
    git(root, "checkout", "-q", "main")
    assert pull(origin, force=True).datasets[0].rows == 7
    assert rows_of(origin) == rows_of(origin, "v1")


def test_a_sealed_version_from_another_branch_is_replaced_without_force(origin: Workspace) -> None:
    """A snapshotted store is in DVC's cache: checking out another version loses nothing."""
    git(origin.root, "checkout", "-q", "-b", "other")
    add(origin.dataset(), [{"id": "o1", "input": "snapshotted on other"}])
    snapshot(origin, None, "on other")
    git(origin.root, "checkout", "-q", "main")
    assert pull(origin).datasets[0].status == "checked out"
    git(origin.root, "checkout", "-q", "other")
    assert pull(origin).datasets[0].rows == 8


def test_no_remote_and_no_cache_is_one_clear_line(git_ws: Workspace, tmp_path: Path) -> None:
    add(git_ws.dataset(), V1_ROWS)
    snapshot(git_ws, None, "seven, no remote")
    ws = clone(git_ws, tmp_path / "clone")  # a clone has no DVC cache
    proc = goldset_cli(ws.root, "pull")
    assert proc.returncode == 7, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "not in this machine's DVC cache and no DVC remote is configured" in lines[0]
    assert not (ws.root / "datasets" / "support-bot" / "_manifest.json").exists()


def test_an_unreachable_remote_is_one_clear_line(origin: Workspace, tmp_path: Path) -> None:
    ws = clone(origin, tmp_path / "clone")
    (tmp_path / "remote").rename(tmp_path / "remote-gone")
    proc = goldset_cli(ws.root, "pull")
    assert proc.returncode == 7, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not fetch the store of support-bot" in lines[0]
    assert "'storage'" in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("text", ["outs: [\n", "just a string\n", "outs: []\n", "- a\n- b\n"])
def test_a_dvc_file_edited_into_garbage_is_one_line(origin: Workspace, text: str) -> None:
    path = origin.root / "datasets" / "support-bot.dvc"
    path.write_text(text, encoding="utf-8")
    before = store_bytes(origin)
    for args in (["stats"], ["add", "x"], ["pull"]):
        proc = goldset_cli(origin.root, *args)
        assert proc.returncode == 5, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "datasets/support-bot.dvc: not a DVC file goldset can read" in lines[0]
        assert "git checkout -- datasets/support-bot.dvc" in lines[0]
    assert store_bytes(origin) == before


def test_a_dvc_file_without_goldsets_record_still_refuses_a_missing_store(origin: Workspace, tmp_path: Path) -> None:
    """A .dvc written by `dvc add` by hand (or by an older goldset) has no meta: the store
    must at least exist; anything present passes (no cheap way to know more)."""
    path = origin.root / "datasets" / "support-bot.dvc"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("meta:")], encoding="utf-8")
    git(origin.root, "commit", "-qam", "a .dvc without meta")
    assert goldset_cli(origin.root, "stats").returncode == 0
    ws = clone(origin, tmp_path / "clone")
    proc = goldset_cli(ws.root, "stats")
    assert proc.returncode == 6 and "is not on this machine" in proc.stderr
    assert goldset_cli(ws.root, "pull").returncode == 0
    assert rows_of(ws) == rows_of(origin)


def test_the_dvc_file_records_the_version_and_a_snapshot_without_changes_commits_nothing(origin: Workspace) -> None:
    from goldset.workspace import read_recorded

    recorded = read_recorded(origin.root, "support-bot")
    manifest = origin.dataset().manifest()
    assert recorded is not None and recorded.rows == 7
    assert recorded.manifest == manifest.digest and recorded.version == manifest.version is not None
    head = git(origin.root, "rev-parse", "HEAD")
    assert not snapshot(origin, None, "nothing new").committed
    assert git(origin.root, "rev-parse", "HEAD") == head
    assert origin.dataset().manifest().digest == manifest.digest  # not sealed again


def test_a_clone_of_an_empty_version_can_be_written_without_pull(git_ws: Workspace, tmp_path: Path) -> None:
    """The version `goldset init` records is empty: nothing to fetch, so a clone may write at
    once, and its writes are local work on that version (then snapshot, then a second clone)."""
    ws = clone(git_ws, tmp_path / "clone")
    assert not (ws.root / "datasets" / "support-bot").exists()
    assert goldset_cli(ws.root, "stats").returncode == 0
    add(ws.dataset(), V1_ROWS[:2])
    assert goldset_cli(ws.root, "stats").returncode == 0
    assert pull(ws).datasets[0].status == "local changes"
    assert snapshot(ws, None, "two rows").committed
    other = clone(ws, tmp_path / "clone2")
    proc = goldset_cli(other.root, "stats")
    assert proc.returncode == 6 and "the commit has 2 rows" in proc.stderr


def test_a_snapshot_of_a_never_written_dataset_is_an_empty_version(tmp_path: Path) -> None:
    from goldset.history import init_workspace
    from goldset.workspace import read_recorded

    from helpers.workspace import write_spec

    root = tmp_path / "fresh"
    root.mkdir()
    write_spec(root)
    init_workspace(root, "support-bot")
    ws = Workspace.open(root)
    shutil.rmtree(ws.dataset().path)  # as in a clone: the empty version is not materialized
    snapshot(ws, None, "empty")
    recorded = read_recorded(root, "support-bot")
    manifest = ws.dataset().manifest()
    assert recorded is not None and recorded.rows == 0 and recorded.version == manifest.version is not None
