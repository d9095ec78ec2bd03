"""CLINC150 as a real golden set: of its 5 repeated texts, 4 are under different intents
(label conflicts among positives) and 1 is a true duplicate; the counts match plain DuckDB."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goldset.store import db
from goldset.validation import validate
from goldset.workspace import Workspace

from helpers.clinc import clinc_records, clinc_spec, needs_clinc
from helpers.workspace import write_jsonl

pytestmark = [pytest.mark.clinc, needs_clinc]


@pytest.fixture(scope="module")
def clinc_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    from click.testing import CliRunner

    from goldset.cli import cli

    root = tmp_path_factory.mktemp("clinc-validate") / "ws"
    root.mkdir()
    (root / "goldset.yaml").write_text(clinc_spec(), encoding="utf-8")
    data = write_jsonl(root.parent / "clinc.jsonl", clinc_records(True))
    r = CliRunner().invoke(cli, ["import", str(data), "-C", str(root), "--status", "approved"],
                           env={"GOLDSET_USER": "tester@example.com"})
    assert r.exit_code == 0, r.output
    return Workspace.open(root)


def _duckdb(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    con = db.connect()
    return con.execute(sql.replace("EX", f"read_parquet({db.sql_list(ws.dataset().files())})")).fetchall()


def test_clinc_repeats_and_label_conflicts(clinc_ws: Workspace) -> None:
    report = validate(clinc_ws.dataset(), sample=50)
    assert report.rows == 23_700
    failed = {r.check: r for r in report.failed()}
    assert set(failed) == {"repeated-input", "label-conflict"}

    repeated, conflict = failed["repeated-input"], failed["label-conflict"]
    # 5 texts occur twice (all positives); 1 of them twice with the same intent: a true
    # duplicate, 2 rows in 1 group (the other 4 are label conflicts, not duplicates)
    assert repeated.unexpected_count == 2
    assert len({o.value for o in repeated.offenders}) == 1
    # 4 of them under two different intents: 8 rows, 4 groups, an error
    assert conflict.unexpected_count == 8 and conflict.severity == "error"
    groups = {o.value for o in conflict.offenders}
    assert "turn up your volume -> change_volume | whisper_mode" in groups
    assert len(groups) == 4
    # the same-intent repeat is a duplicate and no conflict; the conflicts are no duplicates
    assert {o.id for o in repeated.offenders} == {"val-2369", "train-11896"}  # "hey what's up", greeting twice
    assert not {o.id for o in repeated.offenders} & {o.id for o in conflict.offenders}
    assert not report.success and report.errors_failed == 1 and report.warnings_failed == 1

    # the same questions in plain DuckDB over the Parquet parts
    (rep_rows, rep_groups), = _duckdb(clinc_ws, """
        SELECT sum(n), count(*) FROM (SELECT count(*) AS n FROM EX GROUP BY input_hash, polarity, expected HAVING count(*) > 1)""")
    (conf_rows, conf_groups), = _duckdb(clinc_ws, """
        SELECT sum(n), count(*) FROM (SELECT count(*) AS n FROM EX WHERE polarity = 'positive'
        GROUP BY input_hash HAVING count(DISTINCT expected) > 1)""")
    assert (repeated.unexpected_count, len({o.value for o in repeated.offenders})) == (rep_rows, rep_groups) == (2, 1)
    assert (conflict.unexpected_count, len(groups)) == (conf_rows, conf_groups) == (8, 4)
    conflict_ids = {r[0] for r in _duckdb(clinc_ws, """
        SELECT id FROM EX WHERE polarity = 'positive' AND input_hash IN (
          SELECT input_hash FROM EX WHERE polarity = 'positive' GROUP BY input_hash HAVING count(DISTINCT expected) > 1)""")}
    assert {o.id for o in conflict.offenders} == conflict_ids


def test_clinc_cli_exit_code(clinc_ws: Workspace, run_cli: Callable[..., Any], tmp_path: Path) -> None:
    r = run_cli("validate", "-C", str(clinc_ws.root), "--only", "error")
    assert r.exit_code == 1 and "label-conflict" in r.stderr
