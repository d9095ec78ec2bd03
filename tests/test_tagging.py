"""Tagging by id and by predicate: counts, copy-on-write, unknown names, dry runs, CLINC150."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import TagChange, tag
from goldset.errors import BadInput, UnknownId, UsageError

from helpers.clinc import clinc_records, clinc_spec, needs_clinc
from helpers.curation import audit_lines, make_ws, rows, seed, store_bytes
from helpers.workspace import SPEC, write_jsonl


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    w = make_ws(tmp_path / "ws", SPEC)
    seed(w, 6)
    return w


def test_tag_by_ids_adds_and_removes_sorted_and_distinct(ws: Any) -> None:
    ds = ws.dataset()
    r = tag(ds, TagChange(add_scenarios=["refund_request", "greeting"]), ids=["x0", "x1"])
    assert (r.updated, r.parts_replaced, r.parts_written) == (2, 2, 1)  # the two touched parts are rewritten as one
    # already carried: not counted, no part rewritten
    r = tag(ds, TagChange(add_scenarios=["greeting"]), ids=["x0", "x1", "x2"])
    assert (r.updated, r.parts_replaced) == (1, 1)
    r = tag(ds, TagChange(remove_scenarios=["refund_request"], add_edge_cases=["typo"], tier="blocking"), ids=["x0"])
    assert r.updated == 1
    got = {x["id"]: x for x in rows(ws)}
    assert got["x0"]["scenarios"] == ["greeting"] and got["x0"]["edge_cases"] == ["typo"] and got["x0"]["tier"] == "blocking"
    assert got["x1"]["scenarios"] == ["greeting", "refund_request"]
    assert got["x2"]["scenarios"] == ["greeting"]
    assert got["x3"]["scenarios"] == [] and got["x3"]["tier"] == "standard"
    # provenance: updated_at moves on changed rows only
    assert got["x3"]["updated_at"] < got["x0"]["updated_at"]
    assert ws.dataset().count() == 6


def test_tag_by_predicate_and_by_both(ws: Any) -> None:
    ds = ws.dataset()
    r = tag(ds, TagChange(polarity="negative"), where="input ILIKE '%order%'")
    assert r.updated == 2 and r.ids_sample == ["x0", "x1"]
    # ids AND predicate: only x1 of the two ids matches
    r = tag(ds, TagChange(tier="monitor"), ids=["x1", "x2"], where="polarity = 'negative'")
    assert r.ids_sample == ["x1"]
    assert [x["id"] for x in rows(ws) if x["tier"] == "monitor"] == ["x1"]


def test_unknown_ids_and_names_write_nothing(ws: Any) -> None:
    ds = ws.dataset()
    before, log_before = store_bytes(ws), audit_lines(ws)
    with pytest.raises(UnknownId, match=r"zz, zz2; nothing written"):
        tag(ds, TagChange(add_scenarios=["greeting"]), ids=["x0", "zz", "zz2"])
    with pytest.raises(BadInput, match=r"--scenario: unknown scenario 'nope' \(known scenarios: refund_request, cancel_order, greeting\)"):
        tag(ds, TagChange(add_scenarios=["nope"]), ids=["x0"])
    with pytest.raises(BadInput, match=r"--remove-edge-case: unknown edge case 'nah'.*typo, multilingual"):
        tag(ds, TagChange(remove_edge_cases=["nah"]), ids=["x0"])
    with pytest.raises(BadInput, match=r"--tier: unknown tier 'gold' \(known tiers: blocking, standard, monitor\)"):
        tag(ds, TagChange(tier="gold"), ids=["x0"])
    with pytest.raises(UsageError):
        tag(ds, TagChange(add_scenarios=["greeting"]))
    with pytest.raises(UsageError):
        tag(ds, TagChange(), ids=["x0"])
    with pytest.raises(UsageError, match=r"both added and removed"):
        tag(ds, TagChange(add_scenarios=["greeting"], remove_scenarios=["greeting"]), ids=["x0"])
    assert store_bytes(ws) == before and audit_lines(ws) == log_before


def test_dry_run_writes_nothing(ws: Any, run_cli: Any) -> None:
    before, log_before = store_bytes(ws), audit_lines(ws)
    r = run_cli("tag", "--where", "input ILIKE '%order%'", "--scenario", "cancel_order", "--tier", "blocking",
                "--dry-run", "-C", str(ws.root))
    assert r.exit_code == 0, r.stderr
    assert "would change support-bot: updated 2" in r.stdout
    assert "cancel order 12" in r.stdout  # the sample
    r = run_cli("tag", "x0", "x3", "--negative", "--dry-run", "--format", "json", "-C", str(ws.root))
    out = json.loads(r.stdout)
    assert out["dry_run"] and out["updated"] == 2 and [s["id"] for s in out["sample"]] == ["x0", "x3"]
    assert store_bytes(ws) == before  # manifest and every part byte-identical
    assert audit_lines(ws) == log_before


def test_cli_tag_errors(ws: Any, run_cli: Any) -> None:
    root = str(ws.root)
    r = run_cli("tag", "x0", "missing-1", "--scenario", "greeting", "-C", root)
    assert r.exit_code == 3 and "missing-1" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("tag", "--scenario", "greeting", "-C", root)
    assert r.exit_code == 2
    r = run_cli("tag", "x0", "--tier", "gold", "-C", root)
    assert r.exit_code == 3 and "known tiers: blocking, standard, monitor" in r.stderr
    r = run_cli("tag", "x0", "x1", "--scenario", "greeting", "--edge-case", "typo", "--note", "batch 1", "-C", root)
    assert r.exit_code == 0 and "updated 2" in r.stdout
    last = audit_lines(ws)[-1]
    assert (last["op"], last["rows"], last["ids"]) == ("tag", 2, ["x0", "x1"])
    assert last["note"] == "+scenario greeting, +edge_case typo: batch 1"


@needs_clinc
@pytest.mark.clinc
def test_tag_by_predicate_on_clinc150(tmp_path: Path, run_cli: Any) -> None:
    import duckdb

    from goldset.ingest import import_file

    ws = make_ws(tmp_path / "ws", clinc_spec())
    import_file(ws.dataset(), write_jsonl(tmp_path / "clinc.jsonl", clinc_records(True)))
    pred = "input ILIKE '%credit card%'"
    files = ws.dataset().files()
    con = duckdb.connect()
    expected = con.execute(f"SELECT count(*) FROM read_parquet({files!r}) WHERE {pred}").fetchone()[0]  # type: ignore[index]
    assert expected > 100  # CLINC150 talks about credit cards a lot
    r = run_cli("tag", "--where", pred, "--edge-case", "card", "--format", "json", "-C", str(ws.root))
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["updated"] == expected
    files = ws.dataset().files()
    tagged, also_match = con.execute(
        f"SELECT count(*) FILTER (WHERE list_contains(edge_cases, 'card')), "
        f"count(*) FILTER (WHERE list_contains(edge_cases, 'card') AND {pred}) FROM read_parquet({files!r})"
    ).fetchone()  # type: ignore[misc]
    assert tagged == also_match == expected
    assert ws.dataset().count() == len(clinc_records(True))
    last = audit_lines(ws, "clinc")[-1]
    assert (last["op"], last["rows"], last["predicate"]) == ("tag", expected, pred)
