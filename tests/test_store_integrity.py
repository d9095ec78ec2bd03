"""A damaged store stops every command with exit 6 and one line, and loses nothing; doctor
says what is wrong and rebuilds a manifest from the parts that are provably live; readers
read one manifest generation while a writer keeps committing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goldset.ingest import add
from goldset.store import JOURNAL, MANIFEST, REMOVED_DIR
from goldset.workspace import Workspace

from helpers.curation import audit_lines

CHILD = Path(__file__).resolve().parent / "writer_child.py"


def _seed(ws: Workspace, n: int = 40) -> None:
    ds = ws.dataset()
    for k in range(2):  # two parts
        add(ds, [{"id": f"r{k}-{i}", "input": f"refund number {k} {i}", "scenarios": ["refund_request"]} for i in range(n // 2)])


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (b"<dir>" if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*")) if p.name != ".goldset.lock"}


def _parts(ws: Workspace) -> list[Path]:
    return sorted(ws.dataset().path.glob("part-*.parquet"))


def _manifest(ws: Workspace) -> Path:
    return ws.dataset().path / MANIFEST


def _edit_manifest(ws: Workspace, change: Callable[[dict[str, Any]], Any]) -> None:
    path = _manifest(ws)
    data = json.loads(path.read_text(encoding="utf-8"))
    out = change(data)
    path.write_text(json.dumps(data if out is None else out), encoding="utf-8")


DAMAGE: dict[str, Callable[[Workspace], None]] = {
    "missing manifest": lambda ws: _manifest(ws).unlink(),
    "empty object": lambda ws: _manifest(ws).write_text("{}", encoding="utf-8"),
    "a JSON list": lambda ws: _manifest(ws).write_text("[]", encoding="utf-8"),
    "rejects lines written over it": lambda ws: _manifest(ws).write_text('{"line": 3, "reason": "input: missing"}\n{"line": 9}\n', encoding="utf-8"),
    "manifest is a directory": lambda ws: (_manifest(ws).unlink(), _manifest(ws).mkdir()),
    "unknown key": lambda ws: _edit_manifest(ws, lambda d: d.update(extra=1)),
    "parts: []": lambda ws: _edit_manifest(ws, lambda d: d.update(parts=[])),
    "a path outside the store": lambda ws: _edit_manifest(ws, lambda d: d["parts"].append({"name": "../../goldset.yaml", "rows": 1, "bytes": 1})),
    "a part named twice": lambda ws: _edit_manifest(ws, lambda d: d["parts"].append(d["parts"][0])),
    "a wrong part": lambda ws: _edit_manifest(ws, lambda d: d["parts"][0].update(name="part-20200101T000000-000000000000.parquet")),
    "a missing part": lambda ws: _parts(ws)[0].unlink(),
    "a truncated part": lambda ws: _parts(ws)[0].write_bytes(_parts(ws)[0].read_bytes()[:100]),
    "a garbage part of the same size": lambda ws: _parts(ws)[0].write_bytes(b"x" * _parts(ws)[0].stat().st_size),
    "a stray part": lambda ws: (ws.dataset().path / "part-20200101T000000-stray0000000.parquet").write_bytes(_parts(ws)[0].read_bytes()),
    "a row count that lies": lambda ws: _edit_manifest(ws, lambda d: d["parts"][0].update(rows=d["parts"][0]["rows"] + 1)),
}

COMMANDS = [
    ["stats"], ["list"], ["list", "--where", "input ILIKE '%refund%'"], ["query", "SELECT count(*) FROM examples"],
    ["show", "r0-1"], ["coverage"], ["add", "one more"], ["tag", "--where", "true", "--edge-case", "typo"],
    ["review", "--approve", "r0-1"], ["remove", "r0-1"], ["compact"],
]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_every_command_stops_on_a_damaged_store_and_loses_nothing(damage: str, bare_ws: Workspace, run_cli: Any) -> None:
    _seed(bare_ws)
    DAMAGE[damage](bare_ws)
    before = _tree(bare_ws.root)
    for args in COMMANDS:
        res = run_cli(*args, "-C", str(bare_ws.root))
        if damage == "a row count that lies" and args[0] in ("stats", "list", "query", "show", "coverage"):
            continue  # only a write reads every footer; readers check names, sizes and trailers
        assert res.exit_code == 6, (damage, args, res.exit_code, res.stdout, res.stderr)
        lines = [line for line in res.stderr.splitlines() if line.strip()]
        assert lines[0].startswith("error: ") and "is damaged" in lines[0], (damage, args, res.stderr)
        assert "Traceback" not in res.stderr
    # Nothing was deleted, moved or rewritten (the audit log aside: refusals are not writes).
    assert {k: v for k, v in _tree(bare_ws.root).items() if not k.endswith(".audit.jsonl")} == \
           {k: v for k, v in before.items() if not k.endswith(".audit.jsonl")}


def test_rejects_and_output_files_may_not_land_in_a_store(bare_ws: Workspace, run_cli: Any, tmp_path: Path) -> None:
    _seed(bare_ws)
    before = _tree(bare_ws.root)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": "fine"}\n{"nope": 1}\n', encoding="utf-8")
    store = bare_ws.dataset().path
    res = run_cli("import", str(bad), "--skip-invalid", "--rejects", str(store / MANIFEST), "-C", str(bare_ws.root))
    assert res.exit_code == 3 and "--rejects" in res.stderr and "inside the dataset store" in res.stderr
    res = run_cli("stats", "-f", "json", "-o", str(store / "stats.json"), "-C", str(bare_ws.root))
    assert res.exit_code == 3 and "inside the dataset store" in res.stderr
    assert _tree(bare_ws.root) == before


def test_doctor_reports_and_rebuilds_a_lost_manifest_from_live_parts(bare_ws: Workspace, run_cli: Any) -> None:
    _seed(bare_ws)
    ds = bare_ws.dataset()
    rows = sorted(ds.query("SELECT id, input FROM examples").to_pylist(), key=lambda r: r["id"])
    _manifest(bare_ws).write_text("garbage", encoding="utf-8")
    parts_before = {p.name: p.read_bytes() for p in _parts(bare_ws)}

    res = run_cli("doctor", "-C", str(bare_ws.root))
    assert res.exit_code == 6 and "DAMAGED" in res.stdout + res.stderr and "a repair would name 2 part(s), 40 rows" in res.stdout + res.stderr
    res = run_cli("doctor", "--repair", "-C", str(bare_ws.root))
    assert res.exit_code == 0, res.stderr
    assert sorted(ds.query("SELECT id, input FROM examples").to_pylist(), key=lambda r: r["id"]) == rows
    assert {p.name: p.read_bytes() for p in _parts(bare_ws)} == parts_before  # nothing deleted or rewritten
    assert any(p.name.startswith("_manifest.damaged-") for p in ds.path.iterdir())  # the old one is kept
    assert audit_lines(bare_ws)[-1]["op"] == "doctor-repair"
    assert run_cli("doctor", "-C", str(bare_ws.root)).exit_code == 0


def test_doctor_refuses_to_guess_between_two_parts_holding_one_id(bare_ws: Workspace, run_cli: Any) -> None:
    _seed(bare_ws)
    first = _parts(bare_ws)[0]
    (first.parent / "part-20990101T000000-copy00000000.parquet").write_bytes(first.read_bytes())
    _manifest(bare_ws).unlink()
    res = run_cli("doctor", "--repair", "-C", str(bare_ws.root))
    assert res.exit_code == 6 and "stale" in res.stdout + res.stderr
    assert not _manifest(bare_ws).exists()


def test_a_killed_writes_journal_accounts_for_its_leftovers(bare_ws: Workspace) -> None:
    _seed(bare_ws)
    ds = bare_ws.dataset()
    left = ds.path / "part-20200101T000000-abandoned000.parquet"
    left.write_bytes(_parts(bare_ws)[0].read_bytes())
    (ds.path / JOURNAL).write_text(left.name + "\n", encoding="utf-8")
    assert ds.count() == 40  # a reader is not confused by it
    add(ds, [{"id": "next", "input": "the next write cleans up"}])
    assert not left.exists() and ds.count() == 41


def test_removed_ids_are_remembered_in_the_store(bare_ws: Workspace) -> None:
    from goldset.curation import remove

    _seed(bare_ws)
    ds = bare_ws.dataset()
    remove(ds, ["r0-1", "r1-3"])
    assert ds.removed_ids() == {"r0-1", "r1-3"}
    assert len(ds.manifest().removed) == 1
    assert all(not p.is_relative_to(ds.path / REMOVED_DIR) for p in ds.path.glob("*.parquet"))  # a glob sees rows only


def test_readers_see_one_generation_while_a_writer_keeps_committing(bare_ws: Workspace, run_cli: Any) -> None:
    """The review found list --where failing 43/43, query 38/43 and tag --where 5/5 with one
    writer running. With pinned reads: zero failures."""
    _seed(bare_ws, 400)
    env = {**os.environ, "GOLDSET_USER": "child@example.com"}
    writer = subprocess.Popen([sys.executable, str(CHILD), str(bare_ws.root), "update-loop", "1", "100000"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "start"
        failures, runs = [], 0
        deadline = time.monotonic() + 20
        commands = [["list", "--where", "input ILIKE '%refund%'", "--limit", "5"], ["query", "SELECT count(*) AS n FROM examples"],
                    ["tag", "--where", "input ILIKE '%number 1%'", "--edge-case", "typo"], ["stats"], ["coverage"]]
        while time.monotonic() < deadline and runs < 60:
            args = commands[runs % len(commands)]
            res = run_cli(*args, "-C", str(bare_ws.root))
            runs += 1
            if res.exit_code != 0:
                failures.append((args, res.exit_code, res.stderr[-300:]))
        assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""  # the writer really ran throughout
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert runs >= 15 and failures == []


def test_a_dropped_part_gone_between_listing_and_journal_read_is_not_damage(bare_ws: Any, monkeypatch: Any) -> None:
    """The race the 50-client load test found: a writer commits, unlinks the parts it dropped,
    then deletes its journal; a reader that listed the directory in between sees a file the
    manifest does not name and no journal. Gone by the time it looks: not damage. A stray
    that is still there (and that no journal names) still is."""
    from goldset.ingest import add
    from goldset.store import StoreDamaged

    ds = bare_ws.dataset()
    add(ds, [{"id": "a", "input": "one"}])
    store = ds.store
    listed = ["part-20260101T000000-aaaaaaaaaaaa.parquet"]  # listed, then unlinked by the writer
    monkeypatch.setattr(type(store), "stray_files", lambda self, manifest=None: list(listed))
    assert store.read_manifest().rows == 1
    (store.root / listed[0]).write_bytes(b"PAR1 stray PAR1")  # still there: damage
    with pytest.raises(StoreDamaged, match="not in the manifest"):
        store.read_manifest()
