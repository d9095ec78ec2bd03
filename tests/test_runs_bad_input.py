"""Bad run files and bad ``run add`` calls: each is refused with one clear line (a GoldsetError
naming the file, and the row for a row's problem) and leaves nothing behind: no run file, no
temp file under ``.goldset/tmp``, no audit line (a role's denial aside, which is audited)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from goldset.curation import review
from goldset.errors import (
    BadInput,
    DuplicateIds,
    GoldsetError,
    PermissionDenied,
    ReadOnly,
    UsageError,
)
from goldset.ingest import import_file
from goldset.runs import add_run, list_runs, runs_dir
from goldset.workspace import Workspace

from helpers.workspace import SPEC, write_jsonl, write_spec

EXAMPLES = [
    {"id": "r1", "input": "I want a refund", "expected": "refund", "scenarios": ["refund_request"]},
    {"id": "r2", "input": "refund my order", "expected": "refund", "scenarios": ["refund_request"]},
    {"id": "c1", "input": "cancel my order", "expected": "cancel", "scenarios": ["cancel_order"]},
]
GOOD = [{"id": "r1", "output": "refund"}, {"id": "r2", "output": "refund"}, {"id": "c1", "output": "cancel"}]
INJECTION = "x'; DROP TABLE examples; --"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_ws(tmp_path / "ws")


def make_ws(root: Path, spec: str = SPEC, examples: list[dict[str, Any]] = EXAMPLES) -> Workspace:
    root.mkdir(parents=True)
    write_spec(root, spec)
    ws = Workspace.open(root)
    ds = ws.dataset()
    ds.store.create()
    import_file(ds, write_jsonl(root.parent / "examples.jsonl", examples))
    review(ds, "approve", ids=[e["id"] for e in examples])
    return ws


def audit_count(ws: Workspace) -> int:
    path = ws.root / "datasets" / "support-bot.audit.jsonl"
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def leftovers(ws: Workspace) -> list[str]:
    """Every file under runs/ and .goldset/tmp (what a refused add must not have created)."""
    found = []
    for d in (ws.root / "runs", ws.root / ".goldset" / "tmp"):
        if d.is_dir():
            found += [str(p.relative_to(ws.root)) for p in d.rglob("*") if p.is_file()]
    return sorted(found)


def refused(ws: Workspace, path: Path, error: type[GoldsetError], *fragments: str, name: str = "run1",
            names_file: bool = True, **kwargs: Any) -> str:
    """``add_run`` of ``path`` raises ``error``: one line, naming the file and ``fragments``;
    nothing written or audited. Returns the message."""
    before = (audit_count(ws), leftovers(ws))
    with pytest.raises(GoldsetError) as info:
        add_run(ws.dataset(), path, name, **kwargs)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    assert message and "\n" not in message and "\r" not in message, repr(message)
    assert "Traceback" not in message
    if names_file:
        assert path.name in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert (audit_count(ws), leftovers(ws)) == before
    return message


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# -- ids ------------------------------------------------------------------------------------
def test_unknown_ids_are_listed(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [*GOOD, {"id": "ghost", "output": "x"}, {"id": "phantom", "output": "y"}])
    refused(ws, path, BadInput, "'ghost'", "'phantom'", "2 row(s)", "--skip-unknown")


def test_skip_unknown_drops_and_records_them(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [*GOOD, {"id": "ghost", "output": "x"}])
    info = add_run(ws.dataset(), path, "run1", skip_unknown=True)
    assert (info.skipped_unknown, info.counted, info.answered, info.passed) == (1, 3, 3, 3)
    ids = pq.read_table(runs_dir(ws, "support-bot") / "run1.parquet", columns=["id"]).column("id").to_pylist()
    assert sorted(ids) == ["c1", "r1", "r2"]
    [info_again] = list_runs(ws.dataset())
    assert info_again.skipped_unknown == 1


def test_duplicate_ids(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [*GOOD, {"id": "r1", "output": "again"}])
    refused(ws, path, DuplicateIds, "'r1'", "rows 1, 4")


def test_a_row_without_an_id(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [*GOOD, {"id": " ", "output": "x"}])
    refused(ws, path, BadInput, "row 4", "no id")


def test_input_matching_two_examples_is_ambiguous(tmp_path: Path) -> None:
    # Two examples whose inputs normalize alike ("Refund  ME" and "refund me"): one input hash.
    ws = make_ws(tmp_path / "ws", examples=[*EXAMPLES, {"id": "d1", "input": "Refund  ME", "expected": "a"},
                                            {"id": "d2", "input": "refund me", "expected": "b"}])
    path = write_jsonl(tmp_path / "run.jsonl", [{"input": "I want a refund", "output": "refund"},
                                                {"input": "refund me", "output": "a"}])
    refused(ws, path, BadInput, "row 2", "d1", "d2", "give the example id")


def test_rows_matched_by_input(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [{"input": "I WANT a refund ", "output": "refund"},
                                                {"input": "cancel my order", "output": "nope"}])
    info = add_run(ws.dataset(), path, "run1")
    rows = {r["id"]: r["passed"] for r in pq.read_table(runs_dir(ws, "support-bot") / "run1.parquet").to_pylist()}
    assert rows == {"r1": True, "c1": False, "r2": False}
    assert (info.answered, info.passed) == (2, 1)


def test_an_input_matching_no_example_is_unknown(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [{"input": "never seen", "output": "x"}])
    refused(ws, path, BadInput, "never seen")


# -- columns and values ----------------------------------------------------------------------
def test_missing_output_column_and_the_mapping_that_fixes_it(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [{"id": r["id"], "prediction": r["output"]} for r in GOOD])
    refused(ws, path, BadInput, "'output'", "prediction")
    info = add_run(ws.dataset(), path, "run1", mapping={"output": "prediction"})
    assert info.passed == 3


def test_mapping_to_a_column_the_file_lacks(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", GOOD)
    refused(ws, path, BadInput, "'pred'", mapping={"output": "pred"})


def test_mapping_an_unknown_field(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", GOOD)
    refused(ws, path, UsageError, "'verdict'", names_file=False, mapping={"verdict": "output"})


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("latency_ms", "fast", "latency_ms 'fast' is not a number >= 0"),
    ("latency_ms", -5, "is not a number >= 0"),
    ("cost_usd", -0.01, "cost_usd '-0.01' is not a number >= 0"),
    ("score", "high", "score 'high' is not a number"),
    ("passed", "maybe", "passed 'maybe' is not true or false"),
])
def test_bad_values_name_their_row(ws: Workspace, tmp_path: Path, field: str, value: Any, fragment: str) -> None:
    rows = [dict(r) for r in GOOD]
    rows[1][field] = value
    refused(ws, write_jsonl(tmp_path / "run.jsonl", rows), BadInput, "row 2", fragment)


def test_nan_score_in_csv(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "run.csv", "id,output,score\nr1,refund,0.5\nr2,refund,NaN\nc1,cancel,0.1\n")
    refused(ws, path, BadInput, "row 2", "score 'NaN' is not a number")


def test_nan_and_infinite_values_in_jsonl(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", '{"id": "r1", "output": "refund", "score": NaN}\n')
    refused(ws, path, BadInput)
    path = write(tmp_path / "inf.jsonl", '{"id": "r1", "output": "refund", "latency_ms": Infinity}\n')
    refused(ws, path, BadInput)


def test_infinite_latency_in_csv(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "run.csv", "id,output,latency_ms\nr1,refund,inf\n")
    refused(ws, path, BadInput, "row 1", "latency_ms 'inf'")


def test_many_bad_values_are_counted(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [{**r, "latency_ms": "slow"} for r in GOOD])
    refused(ws, path, BadInput, "row 1", "and 2 more rows")


# -- files that are not what they claim --------------------------------------------------------
def test_malformed_jsonl_line(ws: Workspace, tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in GOOD]
    lines[1] = '{"id": "r2", "output": refund}'
    refused(ws, write(tmp_path / "run.jsonl", "\n".join(lines) + "\n"), BadInput, "not valid JSON", "line 2")
    lines[1] = '{"id": "r2", "output": "refund"'
    refused(ws, write(tmp_path / "run.jsonl", "\n".join(lines) + "\n"), BadInput, "not valid JSON")


def test_malformed_jsonl_names_the_broken_line(ws: Workspace, tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in GOOD]
    lines[1] = '{"id": "r2", "output": refund}'
    refused(ws, write(tmp_path / "run.jsonl", "\n".join(lines) + "\n"), BadInput, "line 2")


def test_empty_file(ws: Workspace, tmp_path: Path) -> None:
    refused(ws, write(tmp_path / "run.jsonl", ""), BadInput)
    refused(ws, write(tmp_path / "blank.jsonl", "\n\n"), BadInput)
    refused(ws, write(tmp_path / "run.csv", ""), BadInput)
    refused(ws, write(tmp_path / "run.json", "[]"), BadInput)


@pytest.mark.parametrize(("name", "text"), [("run.jsonl", ""), ("run.csv", ""), ("run.json", "[]")])
def test_empty_file_says_it_is_empty(ws: Workspace, tmp_path: Path, name: str, text: str) -> None:
    message = refused(ws, write(tmp_path / name, text), BadInput)
    assert "no 'output' column" not in message and ("empty" in message or "no rows" in message), message


def test_csv_header_only(ws: Workspace, tmp_path: Path) -> None:
    """A file with no rows is no run: every counted example would silently be 'no output'."""
    refused(ws, write(tmp_path / "run.csv", "id,output\n"), BadInput)


def test_csv_ragged_row(ws: Workspace, tmp_path: Path) -> None:
    refused(ws, write(tmp_path / "run.csv", "id,output\nr1,refund\nr2,refund,extra,fields\nc1,cancel\n"), BadInput)
    refused(ws, write(tmp_path / "short.csv", "id,output\nr1,refund\nr2\nc1,cancel\n"), BadInput)
    refused(ws, write(tmp_path / "quote.csv", 'id,output\nr1,"a, b"\nr2,"unterminated\n'), BadInput)


def test_csv_ragged_row_names_the_row(ws: Workspace, tmp_path: Path) -> None:
    message = refused(ws, write(tmp_path / "run.csv", "id,output\nr1,refund\nr2,refund,extra,fields\nc1,cancel\n"),
                      BadInput)
    assert "no 'output' column" not in message and ("line 3" in message or "row 2" in message), message


def test_binary_file(ws: Workspace, tmp_path: Path) -> None:
    refused(ws, write(tmp_path / "run.jsonl", bytes(range(256)) * 4), BadInput)


def test_a_lone_surrogate_escape_is_named_by_its_line(ws: Workspace, tmp_path: Path) -> None:
    text = '{"id": "r1", "output": "refund"}\n{"id": "r2", "output": "bad \\ud800 text"}\n'
    refused(ws, write(tmp_path / "run.jsonl", text), BadInput, "line 2", "lone surrogate")


def test_not_a_regular_file(ws: Workspace, tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.jsonl")  # reading it would block forever
    refused(ws, tmp_path / "pipe.jsonl", BadInput, "not a regular file")
    refused(ws, tmp_path, BadInput, "not a regular file", names_file=False)


def test_utf16_file(ws: Workspace, tmp_path: Path) -> None:
    text = "\n".join(json.dumps(r) for r in GOOD) + "\n"
    refused(ws, write(tmp_path / "run.jsonl", text.encode("utf-16")), BadInput)
    refused(ws, write(tmp_path / "run.csv", "id,output\nr1,refund\n".encode("utf-16")), BadInput)


def test_not_parquet(ws: Workspace, tmp_path: Path) -> None:
    refused(ws, write(tmp_path / "run.parquet", "id,output\nr1,refund\n"), BadInput)


def test_no_such_file(ws: Workspace, tmp_path: Path) -> None:
    refused(ws, tmp_path / "missing.jsonl", BadInput, "no such file")


def test_unknown_extension(ws: Workspace, tmp_path: Path) -> None:
    refused(ws, write(tmp_path / "run.txt", "id,output\n"), UsageError, "cannot tell the format")


def test_parquet_run_file_works(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "run.parquet"
    pq.write_table(pa.Table.from_pylist(GOOD), path)
    assert add_run(ws.dataset(), path, "run1").passed == 3


# -- names and repeats -------------------------------------------------------------------------
@pytest.mark.parametrize("name", [
    "../escape", "a/b", "/abs", "..", ".hidden", "", "a b", "x" * 101, "r\n1", "a\\b",
    "r1\n",
])
def test_bad_run_names(ws: Workspace, tmp_path: Path, name: str) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", GOOD)
    refused(ws, path, UsageError, "invalid run name", name=name, names_file=False)
    assert not (tmp_path / "escape.parquet").exists() and not (ws.root / "runs" / "escape.parquet").exists()


def test_second_run_with_the_same_name(ws: Workspace, tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "first.jsonl", GOOD)
    add_run(ws.dataset(), first, "run1")
    run_file = runs_dir(ws, "support-bot") / "run1.parquet"
    before = run_file.read_bytes()
    second = write_jsonl(tmp_path / "second.jsonl", [{**r, "output": "wrong"} for r in GOOD])
    refused(ws, second, UsageError, "'run1' already exists", names_file=False)
    assert run_file.read_bytes() == before


# -- who and where --------------------------------------------------------------------------
ROLES = """\
    roles:
      pm@example.com: pm
      eng@example.com: eng
      res@example.com: research
"""


def test_a_role_that_may_not_add_runs(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", SPEC, EXAMPLES)
    write_spec(ws.root, SPEC + ROLES)
    path = write_jsonl(tmp_path / "run.jsonl", GOOD)
    pm = Workspace.open(ws.root, user="pm@example.com")
    before = audit_count(pm)
    with pytest.raises(PermissionDenied) as info:
        add_run(pm.dataset(), path, "run1")
    assert "\n" not in str(info.value) and "eng" in str(info.value)
    assert leftovers(pm) == []
    lines = (ws.root / "datasets" / "support-bot.audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == before + 1
    denial = json.loads(lines[-1])
    assert (denial["user"], denial["allowed"]) == ("pm@example.com", False)
    # Those whose role may: engineering and research.
    for user, name in (("eng@example.com", "by-eng"), ("res@example.com", "by-research")):
        assert add_run(Workspace.open(ws.root, user=user).dataset(), path, name).passed == 3


def test_a_user_without_a_role_may_not_add_runs(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws")
    write_spec(ws.root, SPEC + ROLES)
    path = write_jsonl(tmp_path / "run.jsonl", GOOD)
    with pytest.raises(PermissionDenied):
        add_run(Workspace.open(ws.root, user="nobody@example.com").dataset(), path, "run1")
    assert leftovers(ws) == []


def test_read_only_workspace(two_versions: Workspace, tmp_path: Path) -> None:
    from goldset.history import open_revision

    past = open_revision(two_versions, "v1")
    ds = past.dataset()
    ids = [r["id"] for r in ds.query("SELECT id FROM examples").to_pylist()]
    path = write_jsonl(tmp_path / "run.jsonl", [{"id": i, "output": "x"} for i in ids])
    audit = two_versions.root / "datasets" / "support-bot.audit.jsonl"
    before = audit.read_bytes()
    with pytest.raises(ReadOnly) as info:
        add_run(ds, path, "run1")
    assert "\n" not in str(info.value) and "read-only" in str(info.value)
    assert not (past.root / "runs").exists() and not (two_versions.root / "runs").exists()
    assert audit.read_bytes() == before


# -- SQL-shaped data --------------------------------------------------------------------------
def test_sql_injection_shaped_id_is_data(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [*GOOD, {"id": INJECTION, "output": "x"}])
    refused(ws, path, BadInput, repr(INJECTION))
    info = add_run(ws.dataset(), path, "run1", skip_unknown=True)
    assert (info.skipped_unknown, info.passed) == (1, 3)
    assert ws.dataset().query("SELECT count(*) AS n FROM examples").to_pylist() == [{"n": 3}]


def test_sql_injection_shaped_column_name_is_data(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [{"id": r["id"], INJECTION: r["output"], 'q"uote': 1.5} for r in GOOD])
    info = add_run(ws.dataset(), path, "run1", mapping={"output": INJECTION, "latency_ms": 'q"uote'})
    assert info.passed == 3
    table = pq.read_table(runs_dir(ws, "support-bot") / "run1.parquet")
    assert set(table.column("latency_ms").to_pylist()) == {1.5}
    assert ws.dataset().query("SELECT count(*) AS n FROM examples").to_pylist() == [{"n": 3}]


def test_sql_injection_shaped_values_are_data(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "run.jsonl", [{**r, "output": INJECTION, "error": INJECTION, "grader": INJECTION}
                                                for r in GOOD])
    info = add_run(ws.dataset(), path, "run1", model=INJECTION, params={INJECTION: INJECTION})
    assert (info.passed, info.model) == (0, INJECTION)
    [listed] = list_runs(ws.dataset())
    assert listed.params == {INJECTION: INJECTION}
    table = pq.read_table(runs_dir(ws, "support-bot") / "run1.parquet")
    assert set(table.column("output").to_pylist()) == {INJECTION}


def test_sql_injection_shaped_missing_column_and_file_name(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "it's; --.jsonl", GOOD)
    refused(ws, path, BadInput, repr(INJECTION), mapping={"output": INJECTION})
    assert add_run(ws.dataset(), path, "run1").passed == 3
