"""Runs merge at `git merge`, run file by run file (real git, real DVC): runs added on two
branches are both there after the merge, a run removed on one branch is removed, the same run
name with different content on both is a conflict with nothing written, theirs' data out of
reach is one clear line, and a fast-forward merge is followed by `goldset pull`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from goldset.history import pull, snapshot
from goldset.ingest import add
from goldset.runs import RunInfo, add_run, list_runs, remove_run, runs_dir
from goldset.workspace import Workspace

from helpers.vcs import BIN, dvc, env, git, goldset_cli
from helpers.versions import V1_ROWS
from helpers.workspace import write_jsonl

DS = "support-bot"
RUNS_DVC = f"runs/{DS}.dvc"
EXPECTED = {"r1": "refund", "r2": "refund", "r3": "refund", "g1": "hello"}
#: Outputs for the counted examples (approved: r1, r2, r3, n1, g1).
OUTPUTS = [{"id": "r1", "output": "refund"}, {"id": "r2", "output": "chit-chat"}, {"id": "r3", "output": "refund"},
           {"id": "n1", "output": "decline"}, {"id": "g1", "output": "hello"}]


@pytest.fixture
def ws(git_ws: Workspace, tmp_path: Path) -> Workspace:
    """main: seven examples with labels, snapshotted, with a local DVC remote."""
    dvc(git_ws.root, "remote", "add", "-d", "storage", str(tmp_path / "remote"))
    add(git_ws.dataset(), [{**r, "expected": r.get("expected", EXPECTED.get(r["id"]))} for r in V1_ROWS])
    snapshot(git_ws, None, "seven examples")
    return git_ws


def _run(ws: Workspace, tmp_path: Path, name: str, wrong: str = "r2") -> RunInfo:
    """Add run ``name`` (the outputs differ with ``wrong``: a different file)."""
    rows = [dict(o, output="nonsense") if o["id"] == wrong else o for o in OUTPUTS]
    return add_run(ws.dataset(), write_jsonl(tmp_path / f"{name}-{wrong}.jsonl", rows), name)


def _switch(ws: Workspace, branch: str, *, new: bool = False) -> None:
    git(ws.root, "checkout", "-q", *(["-b"] if new else []), branch)
    pull(ws)


def _merge(root: Path, branch: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "merge", "--no-edit", branch], cwd=root, capture_output=True, text=True, env=env(),
                          check=False)


def _files(ws: Workspace) -> dict[str, bytes]:
    here = runs_dir(ws, DS)
    return {p.name: p.read_bytes() for p in sorted(here.iterdir()) if p.is_file()}


def _infos(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {i.name: i.model_dump() for i in list_runs(Workspace.open(ws.root).dataset())}


def _dvc_clean(root: Path) -> bool:
    proc = subprocess.run([sys.executable, "-m", "dvc", "status", "-q", RUNS_DVC], cwd=root, capture_output=True,
                          text=True, env=env(), check=False)
    return proc.returncode == 0


@pytest.mark.parametrize("first", [True, False], ids=["first-runs-on-both", "runs-in-base"])
def test_runs_added_on_two_branches_merge(ws: Workspace, tmp_path: Path, first: bool) -> None:
    """Each branch adds a run; `git merge` gives both, DVC agrees, a snapshot afterwards changes
    no run, and a clone pulls both. ``first``: the base has no runs (both branches add
    ``runs/<ds>.dvc``: git's add/add); else it has one."""
    expected: dict[str, dict[str, Any]] = {}
    if not first:
        expected["base"] = _run(ws, tmp_path, "base", wrong="r1").model_dump()
        snapshot(ws, None, "a base run")
    _switch(ws, "exp", new=True)
    expected["cand"] = _run(ws, tmp_path, "cand", wrong="r3").model_dump()
    snapshot(ws, None, "cand")
    _switch(ws, "main")
    if first:
        # main records no runs: nothing tells goldset pull to clear exp's directory (git ignores it).
        shutil.rmtree(runs_dir(ws, DS))
    expected["prod"] = _run(ws, tmp_path, "prod").model_dump()
    snapshot(ws, None, "prod")
    ours_dvc = (ws.root / RUNS_DVC).read_bytes()

    proc = _merge(ws.root, "exp")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"goldset: {RUNS_DVC}: merged the runs of {DS} run by run: +1 -0 ~0" in proc.stderr, proc.stderr
    assert "CONFLICT" not in proc.stdout
    assert len(git(ws.root, "log", "-1", "--format=%P").split()) == 2
    assert git(ws.root, "status", "--porcelain", "--untracked-files=no") == ""
    # No pull: the driver put both runs in the working directory, git wrote the merged .dvc.
    assert sorted(_files(ws)) == sorted(f"{n}.parquet" for n in expected)
    assert _infos(ws) == expected  # every record intact
    assert (ws.root / RUNS_DVC).read_bytes() != ours_dvc
    assert f"nfiles: {len(expected)}" in (ws.root / RUNS_DVC).read_text(encoding="utf-8")
    assert _dvc_clean(ws.root)
    assert pull(ws).datasets[0].runs == "up to date"

    after = snapshot(ws, None, "after the merge")
    assert RUNS_DVC not in after.files and after.pushed  # the merged runs go to the remote
    assert _dvc_clean(ws.root) and _infos(ws) == expected

    clone = tmp_path / "clone"
    git(ws.root.parent, "clone", "-q", str(ws.root), str(clone))
    cws = Workspace.open(clone)
    assert pull(cws).datasets[0].runs == "fetched"
    assert _infos(cws) == expected


def test_a_run_removed_on_one_branch_is_removed(ws: Workspace, tmp_path: Path) -> None:
    a, _b = _run(ws, tmp_path, "a", wrong="r1"), _run(ws, tmp_path, "b", wrong="r3")
    snapshot(ws, None, "two runs")
    _switch(ws, "cleanup", new=True)
    remove_run(ws.dataset(), "b")
    snapshot(ws, None, "b removed")
    _switch(ws, "main")
    assert sorted(_infos(ws)) == ["a", "b"]  # back on main: pull checked b out again
    c = _run(ws, tmp_path, "c")
    snapshot(ws, None, "c")

    proc = _merge(ws.root, "cleanup")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "+0 -1 ~0 (2 run file(s))" in proc.stderr, proc.stderr
    assert sorted(_files(ws)) == ["a.parquet", "c.parquet"]
    assert _infos(ws) == {"a": a.model_dump(), "c": c.model_dump()}
    assert _dvc_clean(ws.root)
    assert git(ws.root, "status", "--porcelain", "--untracked-files=no") == ""


def test_the_same_run_name_with_other_content_conflicts(ws: Workspace, tmp_path: Path) -> None:
    """Both branches add run `cand`, each of other outputs: a conflict naming it, nothing
    written; the resolution the message gives (take theirs, pull) works."""
    _run(ws, tmp_path, "keep")
    snapshot(ws, None, "a base run")
    _switch(ws, "exp", new=True)
    theirs = _run(ws, tmp_path, "cand", wrong="r3")
    snapshot(ws, None, "their cand")
    _switch(ws, "main")
    _run(ws, tmp_path, "cand", wrong="r1")
    _run(ws, tmp_path, "mine")
    snapshot(ws, None, "our cand")
    ours_files, ours_dvc = _files(ws), (ws.root / RUNS_DVC).read_bytes()

    proc = _merge(ws.root, "exp")
    assert proc.returncode != 0
    assert "run cand: added on both branches with different content" in proc.stderr, proc.stderr
    assert f"git checkout --ours {RUNS_DVC}" in proc.stderr and "--name NEW" in proc.stderr
    assert [line.strip() for line in proc.stderr.splitlines() if line.startswith("  run ")] == [
        "run cand: added on both branches with different content"]  # the one conflicting run, no other
    assert "Traceback" not in proc.stderr
    assert RUNS_DVC in git(ws.root, "diff", "--name-only", "--diff-filter=U")
    # Nothing written: the working runs and the .dvc file are ours.
    assert _files(ws) == ours_files
    assert (ws.root / RUNS_DVC).read_bytes() == ours_dvc

    # The driver itself, run on git's stages: exit code 1, %A untouched.
    stages = tmp_path / "stages"
    stages.mkdir()
    for n in (1, 2, 3):
        (stages / str(n)).write_bytes(subprocess.run(["git", "show", f":{n}:{RUNS_DVC}"], cwd=ws.root,
                                                     capture_output=True, check=True).stdout)
    driver = subprocess.run([str(BIN / "goldset"), "merge-driver", *(str(stages / str(n)) for n in (1, 2, 3)), RUNS_DVC],
                            cwd=ws.root, capture_output=True, text=True, env=env(), check=False)
    assert driver.returncode == 1, driver.stderr
    assert [line.strip() for line in driver.stderr.splitlines()[1:]] == [
        "run cand: added on both branches with different content"]
    assert (stages / "2").read_bytes() == ours_dvc and _files(ws) == ours_files

    # Resolve as the message says: their runs, checked out by pull.
    git(ws.root, "checkout", "--theirs", RUNS_DVC)
    git(ws.root, "add", RUNS_DVC)
    pulled = goldset_cli(ws.root, "--dataset", DS, "pull", "--force")
    assert pulled.returncode == 0, pulled.stderr
    git(ws.root, "commit", "-q", "--no-edit")
    assert _infos(ws)["cand"] == theirs.model_dump() and "mine" not in _infos(ws)
    assert _dvc_clean(ws.root)


def test_a_run_not_snapshotted_stops_the_merge(ws: Workspace, tmp_path: Path) -> None:
    """A merge starts from snapshots: a run added since the last one is neither swept into the
    merge nor lost."""
    _run(ws, tmp_path, "base", wrong="r1")
    snapshot(ws, None, "a base run")
    _switch(ws, "exp", new=True)
    _run(ws, tmp_path, "cand", wrong="r3")
    snapshot(ws, None, "cand")
    _switch(ws, "main")
    _run(ws, tmp_path, "prod")
    snapshot(ws, None, "prod")
    _run(ws, tmp_path, "local", wrong="g1")  # not snapshotted
    before, ours_dvc = _files(ws), (ws.root / RUNS_DVC).read_bytes()
    proc = _merge(ws.root, "exp")
    assert proc.returncode != 0
    assert "differ from this branch's runs/support-bot.dvc (local)" in proc.stderr, proc.stderr
    assert _files(ws) == before and (ws.root / RUNS_DVC).read_bytes() == ours_dvc
    assert pull(ws).datasets[0].runs == "local changes"  # and goldset pull keeps it too


def test_hostile_paths_are_refused(ws: Workspace, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    for path in ("/etc/runs/x.dvc", f"runs/../runs/{DS}.dvc", "runs/no-such-dataset.dvc", "runs/Bad Name!.dvc"):
        proc = subprocess.run([str(BIN / "goldset"), "merge-driver", str(empty), str(empty), str(empty), path],
                              cwd=ws.root, capture_output=True, text=True, env=env(), check=False)
        assert proc.returncode != 0, path
        assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert empty.read_bytes() == b""


def test_their_runs_out_of_reach_is_one_clear_line(ws: Workspace, tmp_path: Path) -> None:
    """No DVC cache of theirs' runs and no remote: one line, nothing written, git keeps ours."""
    dvc(ws.root, "remote", "remove", "storage")
    _switch(ws, "exp", new=True)
    _run(ws, tmp_path, "cand", wrong="r3")
    snapshot(ws, None, "cand")
    _switch(ws, "main")
    shutil.rmtree(runs_dir(ws, DS))
    _run(ws, tmp_path, "prod")
    snapshot(ws, None, "prod")
    ours_files, ours_dvc = _files(ws), (ws.root / RUNS_DVC).read_bytes()
    # Forget exp's runs: DVC's cache keeps only what main's commit names.
    cache = ws.root / ".dvc" / "cache"
    shutil.rmtree(cache)
    dvc(ws.root, "add", "-q", f"runs/{DS}")
    dvc(ws.root, "add", "-q", f"datasets/{DS}")
    git(ws.root, "checkout", "--", RUNS_DVC, f"datasets/{DS}.dvc")

    proc = _merge(ws.root, "exp")
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"the runs of {DS!r} on the theirs side" in errors[0], proc.stderr
    assert "neither in the local DVC cache nor on the DVC remote" in errors[0], errors
    assert "Traceback" not in proc.stderr
    assert _files(ws) == ours_files and (ws.root / RUNS_DVC).read_bytes() == ours_dvc
    assert RUNS_DVC in git(ws.root, "diff", "--name-only", "--diff-filter=U")


def test_a_fast_forward_then_pull_gets_the_runs(ws: Workspace, tmp_path: Path) -> None:
    """No driver runs in a fast-forward: `goldset pull` checks the runs out (documented)."""
    base = _run(ws, tmp_path, "base", wrong="r1")
    snapshot(ws, None, "a base run")
    _switch(ws, "exp", new=True)
    cand = _run(ws, tmp_path, "cand", wrong="r3")
    snapshot(ws, None, "cand")
    _switch(ws, "main")
    assert sorted(_files(ws)) == ["base.parquet"]
    proc = _merge(ws.root, "exp")
    assert proc.returncode == 0 and "Fast-forward" in proc.stdout, proc.stdout + proc.stderr
    assert pull(ws).datasets[0].runs == "checked out"
    assert _infos(ws) == {"base": base.model_dump(), "cand": cand.model_dump()}
    assert _dvc_clean(ws.root)


def test_init_adds_the_runs_line_to_an_existing_workspace(ws: Workspace) -> None:
    from goldset.history import init_workspace

    attributes = ws.root / ".gitattributes"
    assert "runs/*.dvc merge=goldset" in attributes.read_text(encoding="utf-8").splitlines()
    older = [line for line in attributes.read_text(encoding="utf-8").splitlines() if not line.startswith("runs/")]
    attributes.write_text("\n".join(older) + "\n", encoding="utf-8")
    result = init_workspace(ws.root, DS)
    assert ".gitattributes (runs/*.dvc merge=goldset appended)" in result.created
    lines = attributes.read_text(encoding="utf-8").splitlines()
    assert lines.count("runs/*.dvc merge=goldset") == 1 and len(lines) == len(older) + 1
    assert init_workspace(ws.root, DS).created == []  # again: nothing to add
    assert git(ws.root, "check-attr", "merge", "--", RUNS_DVC).strip().endswith("merge: goldset")
