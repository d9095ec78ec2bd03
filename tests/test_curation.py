"""Editing and reviewing examples, and compacting the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from goldset.curation import edit, review
from goldset.errors import BadInput, PermissionDenied, UnknownId, UsageError
from goldset.ingest import add

from helpers.curation import as_user, make_ws, rows, seed, store_bytes
from helpers.workspace import SPEC


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    w = make_ws(tmp_path / "ws", SPEC)
    seed(w, 6)
    return w


def test_edit_input_recomputes_hash_like_import(ws: Any) -> None:
    ds = ws.dataset()
    r = edit(ds, "x0", input="  Brand NEW   input ", expected="new_label", metadata='{"ticket": "T-1"}', source="production")
    assert (r.updated, r.parts_replaced) == (1, 1)
    add(ds, [{"input": "brand new input"}])  # same normalized input: import derives the same hash
    got = rows(ws, "SELECT id, input, expected, metadata, source, input_hash FROM examples WHERE input ILIKE '%brand new%' ORDER BY id")
    assert len(got) == 2 and got[0]["input_hash"] == got[1]["input_hash"]
    x0 = next(g for g in got if g["id"] == "x0")
    assert (x0["input"], x0["expected"], x0["metadata"], x0["source"]) == ("  Brand NEW   input ", "new_label", '{"ticket": "T-1"}', "production")


def test_edit_errors_write_nothing(ws: Any) -> None:
    ds = ws.dataset()
    before = store_bytes(ws)
    with pytest.raises(UnknownId):
        edit(ds, "nope", expected="a")
    with pytest.raises(BadInput, match=r"--metadata: not JSON"):
        edit(ds, "x0", metadata="{bad")
    with pytest.raises(BadInput, match=r"JSON object"):
        edit(ds, "x0", metadata="[1]")
    with pytest.raises(BadInput, match=r"--input: must not be empty"):
        edit(ds, "x0", input="  ")
    with pytest.raises(UsageError):
        edit(ds, "x0")
    assert store_bytes(ws) == before


def test_review_sets_status_and_reviewer(ws: Any) -> None:
    ds = as_user(ws, "reviewer@example.com").dataset()
    r = review(ds, "approve", ids=["x0", "x1"], note="ok")
    assert r.updated == 2
    review(ds, "retire", where="id = 'x2'")
    review(ds, "reject", ids=["x1"])
    got = {x["id"]: x for x in rows(ws)}
    assert [got[i]["status"] for i in ("x0", "x1", "x2", "x3")] == ["approved", "draft", "retired", "draft"]
    assert got["x0"]["reviewed_by"] == "reviewer@example.com" and got["x0"]["reviewed_at"] is not None
    assert got["x3"]["reviewed_at"] is None
    first = got["x0"]["reviewed_at"]
    review(ds, "approve", ids=["x0"])  # re-approval refreshes the review date
    assert rows(ws, "SELECT reviewed_at FROM examples WHERE id = 'x0'")[0]["reviewed_at"] > first


def test_review_dry_run_and_cli(ws: Any, run_cli: Any) -> None:
    before = store_bytes(ws)
    r = run_cli("review", "--where", "input ILIKE '%order%'", "--approve", "--dry-run", "-C", str(ws.root))
    assert r.exit_code == 0 and "would change support-bot: updated 2" in r.stdout
    assert store_bytes(ws) == before
    assert run_cli("review", "x0", "-C", str(ws.root)).exit_code == 2
    r = run_cli("review", "x0", "--retire", "--note", "stale", "-C", str(ws.root))
    assert r.exit_code == 0 and "retire support-bot: updated 1" in r.stdout
    r = run_cli("edit", "x1", "--expected", "fixed", "-C", str(ws.root))
    assert r.exit_code == 0 and "edit support-bot: updated 1" in r.stdout
    assert run_cli("edit", "x1", "--metadata", "nope", "-C", str(ws.root)).exit_code == 3


def test_distinct_reviewer(tmp_path: Path) -> None:
    ws = make_ws(tmp_path / "ws", SPEC + "    review: {require_distinct_reviewer: true}\n")
    author, other = as_user(ws, "author@example.com"), as_user(ws, "other@example.com")
    add(author.dataset(), [{"id": "a1", "input": "one"}, {"id": "a2", "input": "two"}])
    add(other.dataset(), [{"id": "o1", "input": "three"}])
    before = store_bytes(ws)
    with pytest.raises(PermissionDenied, match=r"author@example.com created a1, a2"):
        review(author.dataset(), "approve", where="true")
    assert store_bytes(ws) == before
    review(author.dataset(), "retire", ids=["a1"])  # only approval is restricted
    assert review(author.dataset(), "approve", ids=["o1"]).updated == 1
    assert review(other.dataset(), "approve", ids=["a2"]).updated == 1


def test_compact_keeps_every_row(ws: Any, run_cli: Any) -> None:
    from goldset.workspace import compact

    ds = ws.dataset()
    before = rows(ws)
    assert len(ds.manifest().parts) == 6
    r = compact(ds, dry_run=True)
    assert (r.parts_replaced, r.parts_written) == (6, 1) and len(ds.manifest().parts) == 6
    r = compact(ds, part_rows=4)
    assert (r.parts_replaced, r.parts_written, r.unchanged) == (6, 2, 6)
    m = ds.manifest()
    assert sorted(p.rows for p in m.parts) == [2, 4] and m.rows == 6
    assert rows(ws) == before  # every row, every column, provenance included
    assert sorted(p.name for p in ds.path.glob("*.parquet")) == sorted(p.name for p in m.parts)
    r = run_cli("compact", "-C", str(ws.root))  # the 4-row part is small too at 100,000: both merge
    assert r.exit_code == 0 and "merged 2 part(s) (6 rows) into 1" in r.stdout
    assert run_cli("compact", "-C", str(ws.root)).stdout.strip() == "compact support-bot: nothing to merge"
    assert rows(ws) == before
