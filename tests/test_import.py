"""Import: formats, mapping, ids, duplicates, and every kind of bad input -> clear message,
nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from goldset.errors import BadInput, DuplicateIds
from goldset.ingest import ImportDefaults, add, import_file, parse_mapping
from goldset.workspace import Workspace

from helpers.workspace import write_jsonl


def _snapshot(ws: Workspace) -> dict[str, bytes]:
    d = ws.dataset().path
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.name != ".goldset.lock"}


def _rows(ws: Workspace) -> list[dict[str, Any]]:
    return ws.dataset().query("SELECT * FROM examples ORDER BY id").to_pylist()


GOOD = [
    {"id": "a1", "input": "I want my money back", "expected": "refund_flow", "scenarios": "refund_request"},
    {"id": "a2", "input": "cancel my order please", "expected": "cancel_flow", "scenarios": ["cancel_order"], "channel": "email"},
]


def test_jsonl_import_fills_defaults_provenance_and_metadata(bare_ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "in.jsonl", GOOD)
    res = import_file(bare_ws.dataset(), f, defaults=ImportDefaults(edge_cases=["typo"], source="expert"))
    assert (res.added, res.unchanged) == (2, 0)
    rows = {r["id"]: r for r in _rows(bare_ws)}
    assert rows["a1"]["scenarios"] == ["refund_request"]  # a scalar becomes a one-element list
    assert rows["a1"]["edge_cases"] == ["typo"]
    assert rows["a1"]["tier"] == "standard" and rows["a1"]["status"] == "draft"
    assert rows["a1"]["polarity"] == "positive" and rows["a1"]["source"] == "expert"
    assert json.loads(rows["a2"]["metadata"]) == {"channel": "email"}  # unmapped fields are kept
    assert rows["a1"]["created_by"] == "tester@example.com" == rows["a1"]["updated_by"]
    assert rows["a1"]["created_at"] is not None and rows["a1"]["reviewed_at"] is None


def test_same_file_twice_is_unchanged(bare_ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "in.jsonl", GOOD)
    import_file(bare_ws.dataset(), f)
    before = _snapshot(bare_ws)
    res = import_file(bare_ws.dataset(), f)
    assert (res.added, res.unchanged, res.parts_written) == (0, 2, 0)
    assert _snapshot(bare_ws) == before


def test_ids_derived_from_normalized_input(bare_ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "in.jsonl", [{"input": "where is my order?"}, {"input": "where is my order?"}, {"input": "hi"}])
    res = import_file(bare_ws.dataset(), f)
    assert res.added == 2 and res.unchanged == 1  # the same input twice is the same example
    rows = _rows(bare_ws)
    assert all(r["id"] == r["input_hash"] and len(r["id"]) == 16 for r in rows)
    # spelling variants normalize to the same id: reported, not silently merged
    g = write_jsonl(tmp_path / "var.jsonl", [{"input": "Where is  my ORDER?"}])
    with pytest.raises(DuplicateIds, match="different content"):
        import_file(bare_ws.dataset(), g)


def test_distinct_ids_may_share_an_input(bare_ws: Workspace, tmp_path: Path) -> None:
    recs = [
        {"id": "q-pos", "input": "Can I get a refund?", "expected": "explain policy"},
        {"id": "q-neg", "input": "Can I get a refund?", "expected": "promise a refund", "polarity": "negative"},
    ]
    res = import_file(bare_ws.dataset(), write_jsonl(tmp_path / "in.jsonl", recs))
    assert res.added == 2
    assert len({r["input_hash"] for r in _rows(bare_ws)}) == 1


def test_csv_with_map_and_list_cells(bare_ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "in.csv"
    f.write_text('question,label,tags,note\n"Refund, please",refund,refund_request;cancel_order,vip\nhi,greet,"[""greeting""]",\n', encoding="utf-8")
    res = import_file(bare_ws.dataset(), f, mapping=parse_mapping(["question=input", "label=expected", "tags=scenarios"]))
    assert res.added == 2
    rows = {r["input"]: r for r in _rows(bare_ws)}
    assert rows["Refund, please"]["scenarios"] == ["cancel_order", "refund_request"]
    assert rows["hi"]["scenarios"] == ["greeting"]
    assert json.loads(rows["Refund, please"]["metadata"]) == {"note": "vip"}
    assert rows["hi"]["metadata"] == "{}"


def test_parquet_import(bare_ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["a", "b"], "scenarios": [["greeting"], []], "polarity": ["positive", "negative"]}), f)
    res = import_file(bare_ws.dataset(), f, mapping={"text": "input"})
    assert res.added == 2
    assert sorted(r["polarity"] for r in _rows(bare_ws)) == ["negative", "positive"]


def test_fast_and_exact_paths_store_identical_rows(bare_ws: Workspace, tmp_path: Path) -> None:
    """A block pyarrow parses (fast path) and the same rows via Python (exact path) are equal."""
    recs = [{"id": f"r{i}", "input": f"text {i}", "scenarios": "greeting", "split": "train", "n": i} for i in range(5)]
    import_file(bare_ws.dataset(), write_jsonl(tmp_path / "fast.jsonl", recs))
    # add() always takes the exact path: identical content -> unchanged
    res = add(bare_ws.dataset(), recs)
    assert (res.added, res.unchanged) == (0, 5)


def _assert_refused(ws: Workspace, path: Path, match: str, **kwargs: Any) -> BadInput:
    before = _snapshot(ws)
    with pytest.raises(BadInput) as err:
        import_file(ws.dataset(), path, **kwargs)
    assert match in str(err.value) or any(match in p for p in err.value.problems), (str(err.value), err.value.problems)
    assert "\n" not in str(err.value)
    assert _snapshot(ws) == before  # nothing written
    return err.value


def _jsonl_text(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("malformed.jsonl", '{"input": "ok"}\n{"input": "broken"\n', "line 2: malformed JSON"),
        ("types.jsonl", '{"input": "ok"}\n{"input": 42}\n', "line 2: input: expected text, got number"),
        ("listtype.jsonl", '{"input": "ok", "scenarios": {"a": 1}}\n', "line 1: scenarios: expected a list"),
        ("missing.jsonl", '{"input": "ok"}\n{"expected": "x"}\n', "line 2: input: missing"),
        ("blank.jsonl", '{"input": "ok"}\n{"input": "   "}\n', "line 2: input: missing"),
        ("utf8.jsonl", b'{"input": "ok"}\n{"input": "caf\xe9"}\n', "line 2: not valid UTF-8"),
        ("unknown.jsonl", '{"input": "ok", "scenarios": ["refund_requets"]}\n', "unknown refund_requets (known scenarios: refund_request"),
        ("edge.jsonl", '{"input": "ok", "edge_cases": ["tpyo"]}\n', "edge_cases: unknown tpyo"),
        ("tier.jsonl", '{"input": "ok", "tier": "gold"}\n', "tier: \"gold\" is not one of the tiers"),
        ("badid.jsonl", '{"id": "has space", "input": "ok"}\n', "is not a valid id"),
        ("notobj.jsonl", '["input", "x"]\n', "expected a JSON object"),
        ("empty.jsonl", "", "holds no rows"),
        ("csvcols.csv", "input,expected\nok,1\ntoo,many,cols\n", "row 2: expected 2 fields"),
        ("csvutf8.csv", b"input,expected\nok,1\ncaf\xe9,2\n", "row 2: not valid UTF-8"),
    ],
)
def test_bad_input_is_refused_with_line_and_reason(bare_ws: Workspace, tmp_path: Path, name: str, content: str | bytes, match: str) -> None:
    add(bare_ws.dataset(), [{"id": "existing", "input": "already here"}])
    _assert_refused(bare_ws, _jsonl_text(tmp_path / name, content), match)


def test_oversize_field(bare_ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "big.jsonl", [{"input": "ok"}, {"input": "x" * (10 << 20)}])
    _assert_refused(bare_ws, f, "line 2: input: 10485760 bytes, more than the 1 MiB limit")


def test_duplicate_ids_in_one_file(bare_ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "d.jsonl", [{"id": "x", "input": "a"}, {"id": "y", "input": "b"}, {"id": "x", "input": "c"}])
    err = _assert_refused(bare_ws, f, "id x (lines 1, 3)")
    assert isinstance(err, DuplicateIds)
    res = import_file(bare_ws.dataset(), f, on_duplicate="skip")
    assert (res.added, res.skipped) == (2, 1)
    assert {r["id"]: r["input"] for r in _rows(bare_ws)}["x"] == "a"  # first wins


def test_duplicate_against_store_error_skip_update(bare_ws: Workspace, tmp_path: Path) -> None:
    ds = bare_ws.dataset()
    add(ds, [{"id": "x", "input": "a", "expected": "old"}])
    f = write_jsonl(tmp_path / "d.jsonl", [{"id": "x", "input": "a", "expected": "new"}, {"id": "z", "input": "z"}])
    err = _assert_refused(bare_ws, f, "already in dataset 'support-bot' with different content (id x: expected differs)")
    assert err.problems == ["id x: expected differs"]
    assert import_file(ds, f, on_duplicate="skip").skipped == 1
    assert {r["id"]: r["expected"] for r in _rows(bare_ws)}["x"] == "old"
    created = {r["id"]: r["created_at"] for r in _rows(bare_ws)}["x"]
    res = import_file(ds, f, on_duplicate="update")
    assert (res.updated, res.unchanged) == (1, 1)
    row = {r["id"]: r for r in _rows(bare_ws)}["x"]
    assert row["expected"] == "new" and row["created_at"] == created  # provenance kept
    assert row["updated_at"] > created


def test_skip_invalid_writes_good_rows_and_rejects(bare_ws: Workspace, tmp_path: Path) -> None:
    f = _jsonl_text(tmp_path / "mixed.jsonl", '{"input": "good one"}\nnot json\n{"input": 5}\n{"input": "good two"}\n')
    rejects = tmp_path / "rejects.jsonl"
    res = import_file(bare_ws.dataset(), f, skip_invalid=True, rejects=rejects)
    assert (res.added, res.rejected) == (2, 2)
    bad = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [b["line"] for b in bad] == [2, 3]
    assert "malformed JSON" in bad[0]["reason"] and "input: expected text" in bad[1]["reason"]


def test_rejects_written_even_when_refused(bare_ws: Workspace, tmp_path: Path) -> None:
    f = _jsonl_text(tmp_path / "m.jsonl", '{"input": "good"}\n{"nope": 1}\n')
    rejects = tmp_path / "r.jsonl"
    _assert_refused(bare_ws, f, "line 2: input: missing", rejects=rejects)
    assert json.loads(rejects.read_text())["line"] == 2


def test_unknown_flag_values_refused_before_reading(bare_ws: Workspace, tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "in.jsonl", GOOD)
    _assert_refused(bare_ws, f, "--scenario: unknown scenario 'nope'", defaults=ImportDefaults(scenarios=["nope"]))
    _assert_refused(bare_ws, f, "--tier: unknown tier", defaults=ImportDefaults(tier="gold"))


def test_bad_map_and_format(bare_ws: Workspace, tmp_path: Path) -> None:
    from goldset.errors import UsageError

    with pytest.raises(UsageError, match="SOURCE=FIELD"):
        parse_mapping(["nonsense"])
    with pytest.raises(UsageError, match="not a field"):
        parse_mapping(["a=inptu"])
    f = tmp_path / "data.txt"
    f.write_text("x")
    _assert_refused(bare_ws, f, "cannot tell the format")


def test_path_traversal_dataset_name_refused(bare_ws: Workspace) -> None:
    from goldset.errors import WorkspaceError

    with pytest.raises(WorkspaceError, match="invalid dataset name"):
        bare_ws.dataset("../x")
    with pytest.raises(WorkspaceError, match="invalid dataset name"):
        bare_ws.dataset_dir("../../etc")
    assert not (bare_ws.root.parent / "x").exists()


def test_large_file_streams_in_blocks(bare_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks are bounded: a file many blocks long imports whole, line numbers stay right."""
    import goldset.ingest._readers as readers

    monkeypatch.setattr(readers, "BLOCK_BYTES", 4096)
    recs = [{"id": f"r{i}", "input": f"row number {i}", "scenarios": "greeting"} for i in range(3000)]
    recs[2500] = {"id": "r2500", "input": 7}
    f = write_jsonl(tmp_path / "big.jsonl", recs)
    _assert_refused(bare_ws, f, "line 2501: input: expected text")
    recs[2500] = {"id": "r2500", "input": "fixed"}
    res = import_file(bare_ws.dataset(), write_jsonl(tmp_path / "big2.jsonl", recs))
    assert res.added == 3000


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bom.jsonl", b'\xef\xbb\xbf{"input": "hello", "scenarios": "greeting"}\n{"input": "bye"}\n'),
        ("bom.csv", b"\xef\xbb\xbfinput,scenarios\nhello,greeting\nbye,\n"),
        ("bomjson.csv", b'\xef\xbb\xbfinput,scenarios\nhello,"[""greeting""]"\nbye,\n'),  # exact path
    ],
)
def test_utf8_byte_order_mark_is_not_part_of_the_data(bare_ws: Workspace, tmp_path: Path, name: str, content: bytes) -> None:
    res = import_file(bare_ws.dataset(), _jsonl_text(tmp_path / name, content))
    assert res.added == 2
    rows = {r["input"]: r for r in _rows(bare_ws)}
    assert rows["hello"]["scenarios"] == ["greeting"] and rows["hello"]["metadata"] == "{}"


def test_staging_leftovers_of_killed_imports_are_removed_after_a_day(bare_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    stale, fresh = tmp_path / "tmp" / "goldset-stage-old", tmp_path / "tmp" / "goldset-stage-running"
    for d in (stale, fresh):
        d.mkdir()
        (d / "chunk-000000.parquet").write_bytes(b"x")
    day_ago = os.stat(stale).st_mtime - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    add(bare_ws.dataset(), [{"input": "hello"}])
    assert not stale.exists() and fresh.exists()
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == ["goldset-stage-running"]  # ours is gone too
