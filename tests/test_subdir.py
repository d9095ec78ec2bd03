"""A workspace in a subdirectory of a larger repository (issue 11.5): `goldset init evals/`
uses the enclosing git repository (no nested .git; DVC's --subdir), commits only its own
directory, and snapshot, --rev, diff, log and pull all work from there. Real git and DVC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from goldset.history import diff, init_workspace, pull, snapshot, version_log
from goldset.ingest import add
from goldset.workspace import Workspace

from helpers.vcs import git, goldset_cli
from helpers.versions import V1_ROWS, rows_of
from helpers.workspace import write_spec


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The team's code repository: one commit, and a file staged for their next commit."""
    top = tmp_path / "product"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    (top / "app.py").write_text("print('the product')\n", encoding="utf-8")
    git(top, "add", "app.py")
    git(top, "commit", "-qm", "the product")
    (top / "wip.py").write_text("# not ready\n", encoding="utf-8")
    git(top, "add", "wip.py")
    return top


def test_init_in_a_subdirectory_uses_the_enclosing_repository(repo: Path, tmp_path: Path) -> None:
    root = repo / "evals"
    root.mkdir()
    write_spec(root)
    result = init_workspace(root, "support-bot", remote=str(tmp_path / "remote"))
    assert not (root / ".git").exists() and not result.git_initialized
    assert result.git_top == str(repo.resolve()) and result.committed
    assert (root / ".dvc").is_dir() and not (repo / ".dvc").exists()
    # The init commit holds the workspace's files only; the team's staged file stays staged.
    files = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert files and all(f.startswith("evals/") for f in files), files
    assert "evals/goldset.yaml" in files and "evals/datasets/support-bot.dvc" in files
    assert git(repo, "status", "--porcelain").splitlines() == ["A  wip.py"]


def _evals(repo: Path, tmp_path: Path) -> Workspace:
    """A workspace in `evals/` of the repository, with a local DVC remote, holding V1_ROWS."""
    root = repo / "evals"
    root.mkdir()
    write_spec(root)
    init_workspace(root, "support-bot", remote=str(tmp_path / "remote"))
    ws = Workspace.open(root)
    add(ws.dataset(), V1_ROWS)
    return ws


def test_snapshot_rev_diff_log_and_pull_from_a_subdirectory(repo: Path, tmp_path: Path) -> None:
    ws = _evals(repo, tmp_path)
    root = ws.root
    first = snapshot(ws, None, "seven examples", tag="v1")
    assert first.committed and first.pushed
    add(ws.dataset(), [{"id": "x1", "input": "Where is my parcel?"}])
    snapshot(ws, None, "one more", tag="v2")
    assert git(repo, "status", "--porcelain").splitlines() == ["A  wip.py"]  # never committed by goldset

    assert [r["id"] for r in rows_of(ws, "v1")] == sorted(r["id"] for r in V1_ROWS)
    report = diff(ws, None, "v1", "v2")
    assert (report.added, report.removed, report.changed) == (1, 0, 0)
    log = version_log(ws, None)
    assert [v.rows for v in log.versions][:2] == [8, 7]
    proc = goldset_cli(root, "list", "--rev", "v1", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 7

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    cws = Workspace.open(clone / "evals")
    assert goldset_cli(cws.root, "stats").returncode == 6  # the data is not on this machine yet
    assert pull(cws).datasets[0].rows == 8
    assert rows_of(cws) == rows_of(ws)


def test_branches_merge_row_by_row_in_a_subdirectory(repo: Path, tmp_path: Path) -> None:
    """The merge driver from `evals/`: git gives it paths from the repository's top. A clone
    gets the driver from `goldset init` run again, which leaves the committed data alone."""
    ws = _evals(repo, tmp_path)
    snapshot(ws, None, "seven examples")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    cws = Workspace.open(clone / "evals")
    assert "merge.goldset.driver" not in git(clone, "config", "--local", "--list")  # git config is not cloned
    again = init_workspace(cws.root, "support-bot")
    assert "git config merge.goldset.driver" in again.created
    assert not (cws.root / "datasets" / "support-bot").exists()  # no empty store where a version is due
    pull(cws)

    git(clone, "checkout", "-q", "-b", "a")
    add(cws.dataset(), [{"id": "a1", "input": "Where is my parcel?"}])
    snapshot(cws, None, "a1")
    git(clone, "checkout", "-q", "main")
    pull(cws)
    git(clone, "checkout", "-q", "-b", "b")
    add(cws.dataset(), [{"id": "b1", "input": "Do you ship to Norway?"}])
    snapshot(cws, None, "b1")
    proc = goldset_cli(cws.root, "stats", "-f", "json")
    assert proc.returncode == 0
    git(clone, "merge", "-q", "--no-edit", "a")
    ids = {r["id"] for r in rows_of(Workspace.open(cws.root))}
    assert ids == {r["id"] for r in V1_ROWS} | {"a1", "b1"}
    assert git(clone, "status", "--porcelain", "--untracked-files=no") == ""
