"""The store's promises: crash safety (SIGKILL at random points), one writer at a time without
lost updates, leftovers cleaned, any Parquet reader sees exactly the live rows."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from goldset.curation import update
from goldset.ingest import add
from goldset.store import LOCK_FILE, MANIFEST, Store
from goldset.workspace import Workspace

from helpers.store import rewrite

CHILD = Path(__file__).with_name("writer_child.py")
CONTENT = "id, input, expected, polarity, scenarios, edge_cases, tier, status, source, metadata"


def _state(root: Path) -> set[tuple[object, ...]]:
    ds = Workspace.open(root).dataset()
    rows = ds.query(f"SELECT {CONTENT} FROM examples").to_pylist()
    return {tuple(str(v) for v in r.values()) for r in rows}


def _spawn(root: Path, mode: str, seed: int, n: int) -> subprocess.Popen[str]:
    env = {**os.environ, "GOLDSET_USER": "child@example.com"}
    return subprocess.Popen([sys.executable, str(CHILD), str(root), mode, str(seed), str(n)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _live_files_exactly_manifest(root: Path) -> None:
    store = Store(root / "datasets" / "support-bot")
    live = {p.name for p in store.read_manifest().parts}
    on_disk = {p.name for p in store.root.iterdir() if p.name not in (MANIFEST, LOCK_FILE)}
    assert on_disk == live


def _run_crash_loop(root: Path, rounds: int) -> tuple[int, int]:
    """Kill writers at random moments; each time the store is exactly before or after."""
    rng = random.Random(1234)
    ds = Workspace.open(root).dataset()
    add(ds, [{"id": f"base-{i}", "input": f"base {i}", "expected": "x"} for i in range(300)])
    # How long does one write take here? Kill points are drawn across that window.
    t0 = time.monotonic()
    p = _spawn(root, "add", 999, 3000)
    assert p.stdout is not None
    p.stdout.readline()
    t_start = time.monotonic()
    p.wait(timeout=60)
    window = max(0.05, time.monotonic() - t_start)
    assert p.returncode == 0, p.stderr.read() if p.stderr else ""
    del t0
    before_count = after_count = 0
    for k in range(rounds):
        mode = "add" if k % 2 == 0 else "update"
        before = _state(root)
        proc = _spawn(root, mode, k, 3000)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0, window * 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        after_state = _state(root)
        if after_state == before:
            before_count += 1
        else:
            # the write committed: the state must be exactly the complete new one
            if mode == "add":
                ids = {r[0] for r in after_state} - {r[0] for r in before}
                assert len(ids) == 3000, f"round {k}: half an add ({len(ids)} new rows)"
                assert {r for r in after_state if r[0] in {b[0] for b in before}} == before
            else:
                assert len(after_state) == len(before)
                assert all(r[2].endswith(f" v{k}") for r in after_state), f"round {k}: half an update"
            after_count += 1
        # The next write removes the crashed writer's leftovers.
        add(Workspace.open(root).dataset(), [{"id": f"probe-{k}", "input": f"probe {k}", "expected": "p"}])
        _live_files_exactly_manifest(root)
    return before_count, after_count


def test_sigkill_at_random_points_leaves_old_or_new_state(bare_ws: Workspace) -> None:
    before, after = _run_crash_loop(bare_ws.root, rounds=10)
    assert before + after == 10


@pytest.mark.slow
def test_sigkill_fifty_times(bare_ws: Workspace) -> None:
    before, after = _run_crash_loop(bare_ws.root, rounds=50)
    assert before + after == 50
    assert before > 0 and after > 0  # the kill points really spanned the write


def test_two_writers_at_once_lose_nothing(bare_ws: Workspace) -> None:
    root = bare_ws.root
    procs = [_spawn(root, "append-loop", s, 15) for s in (1, 2)]
    procs += [_spawn(root, "add", s, 400) for s in (3, 4)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    ds = Workspace.open(root).dataset()
    ids = ds.query("SELECT id FROM examples").column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 2 * 15 + 2 * 400
    # every part is a complete Parquet file, and the parts hold each id once
    files = ds.files()
    total = sum(pq.read_metadata(f).num_rows for f in files)
    assert total == len(ids)
    _live_files_exactly_manifest(root)


def test_reader_does_not_wait_for_writer(bare_ws: Workspace) -> None:
    ds = bare_ws.dataset()
    add(ds, [{"id": "a", "input": "hello"}])
    with ds.store.transaction():
        # the lock is held by "another writer": reading still works at once
        t = time.monotonic()
        assert ds.count() == 1
        assert ds.query("SELECT count(*) AS n FROM examples").column("n")[0].as_py() == 1
        assert time.monotonic() - t < 2


def test_lock_timeout_is_a_clear_store_error(bare_ws: Workspace) -> None:
    from goldset.errors import StoreError

    store = bare_ws.dataset().store
    with store.transaction(), pytest.raises(StoreError, match="another goldset process"), store.transaction(timeout=0.2):
        pass


def test_leftovers_are_removed_on_next_write_and_invisible_to_readers(bare_ws: Workspace) -> None:
    """What an interrupted write left (the files its journal names, temp files) goes at the
    next write; readers never see it."""
    from goldset.store import JOURNAL

    ds = bare_ws.dataset()
    add(ds, [{"id": "a", "input": "hello"}])
    stray = ds.path / "part-20200101T000000-crashed.parquet"
    stray.write_bytes(b"PAR1 half written")
    (ds.path / JOURNAL).write_text(stray.name + "\n", encoding="utf-8")  # as the killed write left it
    tmp = ds.path / "part-x.parquet.tmp"
    tmp.write_bytes(b"junk")
    assert ds.count() == 1  # goldset reads through the manifest
    add(ds, [{"id": "b", "input": "bye"}])
    assert not stray.exists() and not tmp.exists() and not (ds.path / JOURNAL).exists()
    _live_files_exactly_manifest(bare_ws.root)


def test_a_file_no_write_accounts_for_is_damage_and_is_never_deleted(bare_ws: Workspace) -> None:
    from goldset.errors import StoreError

    ds = bare_ws.dataset()
    add(ds, [{"id": "a", "input": "hello"}])
    stray = ds.path / "part-20200101T000000-foreign.parquet"
    stray.write_bytes(b"PAR1 someone else's file")
    before = {p.name: p.read_bytes() for p in ds.path.iterdir()}
    with pytest.raises(StoreError, match=r"is damaged: 1 data file\(s\) are not in the manifest, e.g. part-20200101T000000-foreign.parquet"):
        ds.count()
    with pytest.raises(StoreError, match="is damaged"):
        add(ds, [{"id": "b", "input": "bye"}])
    assert {p.name: p.read_bytes() for p in ds.path.iterdir()} == before


def test_damaged_manifest_is_a_clear_error(bare_ws: Workspace) -> None:
    from goldset.errors import StoreError

    ds = bare_ws.dataset()
    add(ds, [{"id": "a", "input": "hello"}])
    (ds.path / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="is damaged: the manifest is not JSON"):
        ds.count()


def test_update_rewrites_only_the_parts_holding_the_ids(bare_ws: Workspace) -> None:
    ds = bare_ws.dataset()
    for k in range(4):
        add(ds, [{"id": f"p{k}-{i}", "input": f"part {k} row {i}"} for i in range(50)])
    before = {p.name for p in ds.manifest().parts}
    assert len(before) == 4
    from goldset.store import db

    con = db.connect()
    res = rewrite(ds, con, "id IN ('p2-1', 'p2-7')", {"expected": "'new'"}, op="update")
    after = {p.name for p in ds.manifest().parts}
    assert res.updated == 2 and res.parts_replaced == 1 and res.parts_written == 1
    assert len(before & after) == 3  # three parts untouched, byte for byte the same files
    assert ds.query("SELECT count(*) AS n FROM examples WHERE expected = 'new'").column("n")[0].as_py() == 2
    # updating to the same value changes nothing and writes nothing
    again = rewrite(ds, con, "id IN ('p2-1', 'p2-7')", {"expected": "'new'"}, op="update")
    assert again.updated == 0 and again.parts_written == 0


def test_library_update_tags_many_and_edits_one(bare_ws: Workspace) -> None:
    from goldset.errors import BadInput, UsageError

    ds = bare_ws.dataset()
    add(ds, [{"id": f"u{i}", "input": f"question {i}"} for i in range(3)])
    res = update(ds, ["u0", "u1"], add_scenarios=["refund_request"], tier="blocking")
    assert res.updated == 2
    res = update(ds, ["u2"], expected="refund_flow", input="Question two, reworded")
    assert res.updated == 1
    rows = {r["id"]: r for r in ds.query("SELECT * FROM examples").to_pylist()}
    assert rows["u0"]["scenarios"] == ["refund_request"] and rows["u1"]["tier"] == "blocking"
    assert rows["u2"]["expected"] == "refund_flow" and rows["u2"]["input"] == "Question two, reworded"
    assert rows["u2"]["input_hash"] != rows["u0"]["input_hash"]
    with pytest.raises(UsageError, match="one example at a time"):
        update(ds, ["u0", "u1"], expected="x")
    with pytest.raises(UsageError, match="update: colour"):
        update(ds, ["u0"], colour="red")
    with pytest.raises(BadInput, match="unknown scenario"):
        update(ds, ["u0"], add_scenarios=["nope"])
