"""`goldset query` and `--where` run one read-only SELECT / expression within a time and a
memory limit (issue 10, item 6): `range(1e11)`, an endless recursive CTE and an 8.5 GB
`string_agg` ran until killed, `CALL enable_logging(storage='file', ...)` aborted the process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from goldset.errors import BadInput, UsageError
from goldset.ingest import add
from goldset.query import run_query
from goldset.store import predicate
from goldset.workspace import Workspace

from helpers.workspace import SPEC

ENDLESS = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t"
HUGE_AGG = "SELECT length(string_agg(repeat('x', 1000), '')) AS n FROM range(100000000)"


@pytest.fixture
def ws(bare_ws: Workspace) -> Workspace:
    add(bare_ws.dataset(), [
        {"id": "a", "input": "I want a refund", "scenarios": ["refund_request"]},
        {"id": "b", "input": "hello there", "scenarios": ["greeting"]},
        {"id": "c", "input": "cancel my order", "scenarios": ["cancel_order"]},
    ])
    return bare_ws


def _one_error_line(r) -> str:  # type: ignore[no-untyped-def]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in r.stderr
    return str(lines[0])


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        ("CALL enable_logging(storage='file', storage_path='{tmp}/log')", "only a read-only SELECT"),
        ("SELECT * FROM enable_logging(storage='file', storage_path='{tmp}/log')", "table function enable_logging()"),
        ("SELECT * FROM query('CALL enable_logging()')", "table function query()"),
        ("SELECT * FROM query_table('examples')", "table function query_table()"),
        ("SELECT * FROM read_text('/etc/passwd')", "table function read_text()"),
        ("PRAGMA version", "only a read-only SELECT"),
        ("SET memory_limit = '100GB'", "only a read-only SELECT"),
        ("ATTACH '{tmp}/x.db' AS x", "only a read-only SELECT"),
        ("COPY (SELECT 1) TO '{tmp}/out.csv'", "only a read-only SELECT"),
        ("INSERT INTO examples SELECT * FROM examples", "only a read-only SELECT"),
        ("CREATE TABLE t AS SELECT 1", "only a read-only SELECT"),
        ("EXPLAIN ANALYZE SELECT 1", "only a read-only SELECT"),
        ("SELECT 1; SELECT 2", "one statement only"),
        ("SELECT 1; CALL enable_logging()", "only a read-only SELECT"),
    ],
)
def test_only_one_read_only_select_is_accepted(ws: Workspace, tmp_path: Path, run_cli, sql: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    r = run_cli("query", sql.format(tmp=tmp_path), "-C", str(ws.root))
    assert r.exit_code == 3
    line = _one_error_line(r)
    assert line.startswith("error: query failed: ") and fragment in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]  # no log, database or csv file


def test_call_enable_logging_refused_in_a_real_process(ws: Workspace, tmp_path: Path) -> None:
    exe = str(Path(sys.executable).with_name("goldset"))
    proc = subprocess.run(
        [exe, "query", f"CALL enable_logging(storage='file', storage_path='{tmp_path}/logs')", "-C", str(ws.root)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )
    assert proc.returncode == 3, proc.stderr  # not an abort (-6)
    assert proc.stderr.startswith("error: query failed: only a read-only SELECT") and proc.stderr.count("\n") == 1
    assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) AS n FROM examples;",
        "FROM examples SELECT count(*) AS n",
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT count(*) AS n FROM t",
        "SELECT count(*) AS n FROM range(3)",
        "SELECT count(*) AS n FROM (SELECT unnest(scenarios) FROM examples)",
    ],
)
def test_plain_selects_still_run(ws: Workspace, sql: str) -> None:
    assert run_query(ws.dataset(), sql).column("n").to_pylist() == [3]


def test_an_endless_recursive_cte_stops_at_the_timeout(ws: Workspace, run_cli) -> None:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    r = run_cli("query", ENDLESS, "--timeout", "1", "-C", str(ws.root))
    assert time.perf_counter() - t < 15
    assert r.exit_code == 3
    assert _one_error_line(r) == "error: query stopped after 1 s (limit: --timeout)"


def test_a_huge_string_agg_stops_at_the_memory_limit(ws: Workspace, run_cli) -> None:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    r = run_cli("query", HUGE_AGG, "--memory-limit", "50MB", "--timeout", "60", "-C", str(ws.root))
    assert time.perf_counter() - t < 15
    assert r.exit_code == 3
    assert _one_error_line(r) == "error: query stopped: it needs more than 50MB of memory (limit: --memory-limit)"


def test_a_result_larger_than_the_memory_limit_stops(ws: Workspace, run_cli) -> None:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    r = run_cli("query", "SELECT * FROM range(1e11::BIGINT)", "--memory-limit", "50MB", "-f", "csv", "-C", str(ws.root))
    assert time.perf_counter() - t < 15
    assert r.exit_code == 3
    assert "its result is larger than 50MB (limit: --memory-limit)" in _one_error_line(r)


def test_limits_come_from_the_spec_and_flags_override_them(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "ws"
    root.mkdir()
    spec = SPEC.replace("    description: test set\n", "    description: test set\n    query: {timeout_s: 1, memory_limit: 30MB}\n")
    (root / "goldset.yaml").write_text(spec, encoding="utf-8")
    ws = Workspace.open(root)
    ws.dataset().store.create()
    r = run_cli("query", ENDLESS, "-C", str(root))
    assert r.exit_code == 3 and _one_error_line(r) == "error: query stopped after 1 s (limit: --timeout)"
    mid = "SELECT length(string_agg(repeat('x', 1000), '')) AS n FROM range(50000)"  # a 50 MB string
    r = run_cli("query", mid, "-C", str(root))
    assert r.exit_code == 3 and "more than 30MB of memory" in _one_error_line(r)
    r = run_cli("query", mid, "--memory-limit", "1GB", "--timeout", "60", "-f", "csv", "-C", str(root))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.split() == ["n", "50000000"]


def test_bad_limit_values_are_usage_errors(ws: Workspace, run_cli) -> None:  # type: ignore[no-untyped-def]
    r = run_cli("query", "SELECT 1", "--memory-limit", "lots", "-C", str(ws.root))
    assert r.exit_code == 2 and "--memory-limit: 'lots' is not a memory size" in _one_error_line(r)
    r = run_cli("query", "SELECT 1", "--memory-limit", "1MB", "-C", str(ws.root))
    assert r.exit_code == 2 and "too small" in _one_error_line(r)
    r = run_cli("query", "SELECT 1", "--timeout", "0", "-C", str(ws.root))
    assert r.exit_code == 2
    with pytest.raises(UsageError):
        predicate.Limits(timeout_s=-1)


@pytest.mark.parametrize("verb", [("list",), ("tag", "--scenario", "greeting"), ("review", "--approve")])
def test_where_verbs_stop_at_the_timeout_and_write_nothing(ws: Workspace, run_cli, verb: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    slow = "list_sum(list_transform(range(20000000), lambda x: x * x)) > 0"
    before = ws.dataset().manifest().generation
    t = time.perf_counter()
    r = run_cli(*verb, "--where", slow, "--timeout", "0.5", "-C", str(ws.root))
    assert time.perf_counter() - t < 30
    assert r.exit_code == 3
    assert _one_error_line(r) == "error: --where stopped after 0.5 s (limit: --timeout)"
    assert ws.dataset().manifest().generation == before


def test_where_still_filters_within_limits(ws: Workspace) -> None:
    ids = predicate.matching_ids(ws.dataset().files(), "input ILIKE '%refund%'", predicate.Limits(timeout_s=5, memory_limit="64MB"))
    assert ids.column("id").to_pylist() == ["a"]
    with pytest.raises(BadInput, match="--where: "):
        predicate.matching_ids(ws.dataset().files(), "no_such_column = 1")
