"""`goldset restore --rev REV`: the store back to a past version as a new, audited write, on real
git and DVC histories (a local DVC remote where the data must come from one)."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import TagChange, edit, remove, review, tag
from goldset.errors import ReadOnly
from goldset.history import at, diff, restore, snapshot
from goldset.ingest import add, import_file
from goldset.store import MANIFEST, REMOVED_DIR
from goldset.workspace import Workspace

from helpers import versions as H
from helpers.curation import audit_lines, store_bytes
from helpers.vcs import dvc, env, git
from helpers.workspace import write_jsonl

RunCli = Callable[..., Any]


# -- helpers --------------------------------------------------------------------------------
def _bad_import_history(ws: Workspace, tmp_path: Path) -> Path:
    """v1: V1_ROWS with c2 removed (one tombstone), pushed to a local DVC remote. v2: a bad
    import (two junk rows, r1's expected overwritten), then a tag, a tier, a retirement, a
    removal of n1. Then an edit nobody snapshotted. Returns the remote's directory."""
    remote = tmp_path / "dvc-remote"
    dvc(ws.root, "remote", "add", "--local", "-d", "storage", str(remote))
    ds = ws.dataset()
    add(ds, H.V1_ROWS)
    remove(ds, ["c2"])
    assert snapshot(ws, None, "import seven, drop c2", tag="v1").pushed
    bad = write_jsonl(tmp_path / "bad.jsonl", [
        {"id": "b1", "input": "asdf asdf"},
        {"id": "b2", "input": "lorem ipsum", "scenarios": ["refund_request"]},
        {"id": "r1", "input": "Refund my order please", "expected": "sure, here is a coupon"},
    ])
    import_file(ds, bad, on_duplicate="update")
    tag(ds, TagChange(add_scenarios=["cancel_order"]), ids=["c1"])
    tag(ds, TagChange(tier="blocking"), ids=["g1"])
    review(ds, "retire", ids=["r3"])
    remove(ds, ["n1"])
    assert snapshot(ws, None, "bad import", tag="v2").pushed
    edit(ds, "r2", expected="a refund")
    return remote


def _table(ws: Workspace, rev: str | None = None) -> Any:
    """Every row, every column, as Arrow, sorted by id."""
    return at(ws, rev).dataset().query("SELECT * FROM examples ORDER BY id")


def _manifest(ws: Workspace) -> dict[str, Any]:
    return json.loads((ws.dataset().path / MANIFEST).read_text())  # type: ignore[no-any-return]


def _state(ws: Workspace) -> tuple[dict[str, bytes], dict[str, bytes], bytes]:
    """The store's files, its tombstone files and the audit log, byte for byte."""
    removed = ws.dataset().path / REMOVED_DIR
    tombstones = {p.name: p.read_bytes() for p in sorted(removed.iterdir())} if removed.is_dir() else {}
    return store_bytes(ws), tombstones, ws.dataset().audit_path.read_bytes()


def _json(res: Any) -> dict[str, Any]:
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)  # type: ignore[no-any-return]


# -- the undo -------------------------------------------------------------------------------
def test_restore_brings_back_v1_exactly_as_one_audited_write(git_ws: Workspace, tmp_path: Path, run_cli: RunCli) -> None:
    ws = git_ws
    _bad_import_history(ws, tmp_path)
    assert not _table(ws).equals(_table(ws, "v1"))
    lines_before = len(audit_lines(ws))

    r = _json(run_cli("restore", "-C", str(ws.root), "--rev", "v1", "-m", "undo the bad import", "-f", "json"))
    # n1 comes back; b1, b2 go; r1 (import), r2 (edit), c1 (tag), g1 (tier), r3 (retired) become v1's.
    assert (r["added"], r["removed"], r["updated"], r["unchanged"]) == (1, 2, 5, 0)
    assert r["rev"] == "v1" and r["commit"] == git(ws.root, "rev-parse", "v1^{commit}").strip()
    assert r["tombstones"] == 1 and r["tombstones_changed"] and not r["identical"] and not r["dry_run"]
    assert r["actions"] == ["tag_scenarios", "set_tier", "review", "import", "remove", "edit"]

    # Every row, every column (provenance included), as at v1; the tombstones are v1's file.
    assert _table(ws).equals(_table(ws, "v1"))
    assert ws.dataset().removed_ids() == {"c2"}
    v1 = at(ws, "v1").dataset().manifest()
    now = _manifest(ws)
    assert [(p["name"], p["bytes"]) for p in now["removed"]] == [(p.name, p.bytes) for p in v1.removed]
    # A clean commit: no journal, no stray file, the dropped parts gone.
    store = ws.dataset().store
    assert store.stray_files() == [] and not (store.root / ".goldset.journal").exists()
    assert sorted(p.name for p in store.root.glob("*.parquet")) == sorted(p["name"] for p in now["parts"])

    lines = audit_lines(ws)
    assert len(lines) == lines_before + 1
    line = lines[-1]
    assert (line["op"], line["allowed"], line["rows"]) == ("restore", True, 8)
    assert {k: line["detail"][k] for k in ("added", "removed", "updated")} == {"added": 1, "removed": 2, "updated": 5}
    assert line["note"] == f"to v1 ({r['commit']}): undo the bad import"
    assert sorted(line["ids"]) == ["b1", "b2", "c1", "g1", "n1", "r1", "r2", "r3"]
    assert now["audit"] == line["hash"]  # the commit confirms the record

    d = _json(run_cli("diff", "-C", str(ws.root), "v1", "--no-coverage", "-f", "json"))
    assert (d["added"], d["removed"], d["changed"]) == (0, 0, 0)
    # The restore is the working store's: the next snapshot records it as a new version.
    assert snapshot(ws, None, "back to v1", tag="v3").committed
    assert diff(ws, None, "v1", "v3", coverage=False).identical
    assert not diff(ws, None, "v2", "v3", coverage=False).identical


def test_restore_fetches_from_the_dvc_remote_and_fails_cleanly_without_it(git_ws: Workspace, tmp_path: Path, run_cli: RunCli) -> None:
    ws = git_ws
    remote = _bad_import_history(ws, tmp_path)
    expected = _table(ws, "v1")
    first = git(ws.root, "rev-list", "--max-parents=0", "HEAD").strip()
    # Back to the init commit: no rows, no tombstones; so v1's tombstone file is nowhere local.
    empty = restore(ws, None, first)
    assert (empty.removed, empty.added, empty.tombstones, empty.actions) == (7, 0, 0, ["remove"])
    assert ws.dataset().count() == 0 and ws.dataset().removed_ids() == set()
    shutil.rmtree(ws.root / ".dvc" / "cache")
    shutil.rmtree(ws.root / ".goldset")

    r = restore(ws, None, "v1")  # parts and tombstones come from the remote
    assert (r.added, r.removed, r.updated, r.tombstones) == (6, 0, 0, 1)
    assert _table(ws).equals(expected) and ws.dataset().removed_ids() == {"c2"}

    # v2's data in no cache and on no remote: one line, exit 6, nothing written.
    shutil.rmtree(ws.root / ".dvc" / "cache", ignore_errors=True)
    shutil.rmtree(ws.root / ".goldset")
    shutil.rmtree(remote)
    before = _state(ws)
    res = run_cli("restore", "-C", str(ws.root), "--rev", "v2")
    assert res.exit_code == 6, res.stderr
    assert res.stderr.startswith("error: dataset 'support-bot' at ") and "DVC" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert _state(ws) == before


def test_dry_run_writes_nothing_and_counts_what_the_restore_does(story: Workspace, run_cli: RunCli) -> None:
    before = _state(story)
    res = run_cli("restore", "-C", str(story.root), "--rev", "v1", "--dry-run", "-f", "json")
    plan = _json(res)
    assert plan["dry_run"] and (plan["added"], plan["removed"], plan["updated"]) == (1, 0, 2)
    assert plan["actions"] == ["tag_scenarios", "review", "import", "remove"]
    assert "needs the rights: tag_scenarios, review, import, remove" in res.stderr
    assert _state(story) == before
    table = run_cli("restore", "-C", str(story.root), "--rev", "v1", "--dry-run")
    assert table.stdout.strip() == "would change support-bot: added 1, updated 2, unchanged 4"
    assert _state(story) == before

    done = restore(story, None, "v1")
    assert (done.added, done.removed, done.updated, done.unchanged) == (plan["added"], plan["removed"], plan["updated"], plan["unchanged"])
    assert _table(story).equals(_table(story, "v1")) and story.dataset().removed_ids() == set()


def test_a_role_without_a_needed_right_is_refused_and_audited(story: Workspace, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = story.root / "goldset.yaml"
    spec.write_text(spec.read_text() + "    roles:\n      res@example.com: research\n      boss@example.com: admin\n")
    before = _state(story)
    monkeypatch.setenv("GOLDSET_USER", "res@example.com")
    # v3 -> v1 brings n1 back (import: research may) but also changes c1/c2's scenarios (pm).
    res = run_cli("restore", "-C", str(story.root), "--rev", "v1")
    assert res.exit_code == 4
    assert "res@example.com (role research) may not tag examples with scenarios" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    stores, tombstones, log = _state(story)
    assert (stores, tombstones) == before[:2]
    denied = audit_lines(story)[-1]
    assert log.startswith(before[2]) and len(audit_lines(story)) == before[2].count(b"\n") + 1
    assert (denied["op"], denied["allowed"], denied["user"]) == ("tag_scenarios", False, "res@example.com")
    assert "n1" in denied["ids"]

    monkeypatch.setenv("GOLDSET_USER", "boss@example.com")
    res = run_cli("restore", "-C", str(story.root), "--rev", "v1")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("restore support-bot: added 1, updated 2")
    assert audit_lines(story)[-1]["op"] == "restore" and audit_lines(story)[-1]["user"] == "boss@example.com"


def test_same_rows_but_other_tombstones_restores_the_tombstones(story: Workspace) -> None:
    ds = story.dataset()
    add(ds, [{"id": "tmp", "input": "added then removed"}])
    remove(ds, ["tmp"])
    assert diff(story, None, "v3", None, coverage=False).identical
    r = restore(story, None, "v3")
    assert (r.changed, r.tombstones_changed, r.actions, r.identical) == (0, True, ["remove"], False)
    assert ds.removed_ids() == {"n1"}
    assert audit_lines(story)[-1]["op"] == "restore"


_CHILD = """\
import sys
from goldset.history import restore
from goldset.workspace import Workspace
print("start", flush=True)
restore(Workspace.open(sys.argv[1]), None, sys.argv[2])
print("done", flush=True)
"""


def _version(ws: Workspace) -> tuple[list[dict[str, Any]], set[str]]:
    return _table(ws).to_pylist(), ws.dataset().removed_ids()


def test_sigkill_during_a_restore_leaves_the_old_or_the_new_version(story: Workspace, tmp_path: Path) -> None:
    """A restore killed at a random moment leaves the store as it was or as REV, never between;
    the next write removes what the killed one left."""
    child = tmp_path / "restore_child.py"
    child.write_text(_CHILD)
    versions = {"v3": _version(story)}  # the story's working store is v3: n1 removed

    def spawn(rev: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, str(child), str(story.root), rev], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env())

    proc = spawn("v1")  # how long a whole restore takes here: kill points are drawn across it
    assert proc.stdout is not None and proc.stdout.readline().strip() == "start"
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    window = time.monotonic() - t0
    versions["v1"] = _version(story)
    assert versions["v1"] == (_table(story, "v1").to_pylist(), set()) and versions["v3"][1] == {"n1"}
    rng = random.Random(7)
    for _ in range(6):
        before = _version(story)
        target = "v3" if before == versions["v1"] else "v1"
        proc = spawn(target)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0, window * 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        after = _version(story)  # readable: a killed write's leftovers are journaled, not damage
        assert after in (before, versions[target])
    restore(story, None, "v3" if _version(story) == versions["v1"] else "v1")  # cleans leftovers
    store = story.dataset().store
    manifest = store.read_manifest()
    on_disk = {p.name for p in store.root.glob("*.parquet")} | {f"{REMOVED_DIR}/{p.name}" for p in (store.root / REMOVED_DIR).glob("*")}
    assert on_disk == {p.name for p in manifest.parts} | {f"{REMOVED_DIR}/{p.name}" for p in manifest.removed}


# -- nothing to do, and the errors -----------------------------------------------------------
def test_restore_to_the_current_version_writes_nothing(story: Workspace, run_cli: RunCli) -> None:
    before = _state(story)
    res = run_cli("restore", "-C", str(story.root), "--rev", "v3")
    assert res.exit_code == 0, res.stderr
    assert "support-bot already equals v3" in res.stderr and "nothing written" in res.stderr
    assert res.stdout.strip() == "restore support-bot: unchanged 6"
    r = restore(story, None, "HEAD", note="again")
    assert r.identical and r.changed == 0 and r.actions == []
    assert _state(story) == before


def test_unknown_rev_and_missing_dataset_are_one_line_each(story: Workspace, run_cli: RunCli) -> None:
    before = _state(story)
    res = run_cli("restore", "-C", str(story.root), "--rev", "no-such-tag")
    assert res.exit_code == 3
    assert res.stderr.startswith("error: unknown revision 'no-such-tag'") and "'goldset log'" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert run_cli("restore", "-C", str(story.root)).exit_code == 2  # --rev is required

    # A dataset the working spec defines but v1 did not.
    spec = story.root / "goldset.yaml"
    spec.write_text(spec.read_text() + "  other:\n    tiers: [standard]\n")
    res = run_cli("restore", "-C", str(story.root), "-d", "other", "--rev", "v1")
    assert res.exit_code == 5
    assert res.stderr.startswith("error: dataset 'other' did not exist at v1 (")
    assert len(res.stderr.strip().splitlines()) == 1
    assert _state(story) == before


def test_a_past_revision_cannot_be_restored_into(story: Workspace) -> None:
    before = _state(story)
    with pytest.raises(ReadOnly, match=r"at v2 \(.*\) is a past revision, which is read-only"):
        restore(at(story, "v2"), None, "v1")
    assert _state(story) == before
