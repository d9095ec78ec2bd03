"""--where attacks: each is refused (exit 3, one line) or harmless, and no file is touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from goldset.errors import BadInput
from goldset.store import predicate

from helpers.curation import audit_lines, make_ws, seed, store_bytes
from helpers.workspace import SPEC


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    w = make_ws(tmp_path / "ws", SPEC)
    seed(w, 3)
    (tmp_path / "secret.csv").write_text("user,password\nroot,hunter2\n")
    return w


def _attacks(tmp: Path) -> list[str]:
    secret, out = tmp / "secret.csv", tmp / "stolen.csv"
    return [
        "1=1; DROP TABLE examples",
        "true; COPY examples TO '" + str(out) + "'",
        f"read_csv('{secret}') IS NOT NULL",
        f"read_text('{secret}') <> ''",
        f"main.read_blob('{secret}') IS NOT NULL",
        f'"read_csv_auto"(\'{secret}\') IS NOT NULL',
        "(SELECT count(*) FROM examples) > 0",
        f"id IN (SELECT id FROM read_csv('{secret}'))",
        "EXISTS (SELECT 1)",
        "input IN (FROM examples SELECT input)",
        "list_transform([1], lambda x: (SELECT 1)) IS NOT NULL",
        f"COPY examples TO '{out}'",
        f"true)) UNION ALL SELECT * FROM read_csv('{secret}') --",
        "true UNION SELECT * FROM examples",
        "true ORDER BY 1",
        "true LIMIT 1",
        "row_number() OVER () > 0",
        "count(*) > 0",
        "getenv('HOME') IS NOT NULL",
        "glob('/etc/*') IS NOT NULL",
        "sql_auto_complete('SEL') IS NOT NULL",
        f"parquet_metadata('{secret}') IS NOT NULL",
        "input = ?",
        "",
    ]


def test_attacks_refused_through_cli_and_nothing_touched(ws: Any, run_cli: Any, tmp_path: Path) -> None:
    before, log_before = store_bytes(ws), audit_lines(ws)
    spec_before = (ws.root / "goldset.yaml").read_bytes()
    outside_before = sorted(p.name for p in tmp_path.iterdir())
    for i, attack in enumerate(_attacks(tmp_path)):
        r = run_cli("tag", "--where", attack, "--scenario", "greeting", "-C", str(ws.root))
        assert r.exit_code == 3, (attack, r.exit_code, r.stdout, r.stderr)
        assert r.stderr.startswith("error: --where") and "Traceback" not in r.stderr, (attack, r.stderr)
        assert "hunter2" not in r.stdout + r.stderr
        if i < 8:  # the same fence guards review: a few are enough to show it
            r = run_cli("review", "--where", attack, "--approve", "-C", str(ws.root))
            assert r.exit_code == 3, (attack, r.stderr)
    assert store_bytes(ws) == before
    assert audit_lines(ws) == log_before
    assert (ws.root / "goldset.yaml").read_bytes() == spec_before
    assert sorted(p.name for p in tmp_path.iterdir()) == outside_before  # nothing written next door


def test_sandbox_blocks_file_access_even_without_the_parser_fence(ws: Any, tmp_path: Path) -> None:
    """Second fence: the connection itself cannot read files or load extensions."""
    import duckdb

    con = predicate.sandboxed_connection(ws.dataset().files())
    try:
        assert con.execute("SELECT count(*) FROM examples").fetchone() == (3,)
        for sql in (f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')",
                    f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'",
                    "INSTALL httpfs", "LOAD spatial"):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    finally:
        con.close()
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("expr, ids", [
    ("input ILIKE '%order%'", ["x0", "x1"]),
    ("list_contains(scenarios, 'greeting') OR tier = 'blocking'", []),
    ("len(list_filter(edge_cases, lambda x: x LIKE 't%')) = 0 AND id <> 'x0'", ["x1", "x2"]),
    ("json_extract_string(metadata, '$.a') IS NULL AND created_at <= now()", ["x0", "x1", "x2"]),
    ("regexp_matches(input, '^hello') AND status IN ('draft', 'approved')", ["x2"]),
])
def test_ordinary_predicates_work(ws: Any, expr: str, ids: list[str]) -> None:
    got = sorted(predicate.matching_ids(ws.dataset().files(), expr).column("id").to_pylist())
    assert got == ids


def test_runtime_error_is_bad_input(ws: Any) -> None:
    with pytest.raises(BadInput, match="--where"):
        predicate.matching_ids(ws.dataset().files(), "no_such_column = 1")
    with pytest.raises(BadInput, match="--where"):
        predicate.matching_ids(ws.dataset().files(), "CAST(input AS INTEGER) > 1")
