"""Property: the DuckDB report equals a plain-Python count over random stores."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldset.coverage import compute_coverage
from goldset.ingest import add
from goldset.workspace import Workspace

SPEC = """\
version: 1
datasets:
  p:
    tiers: [t1, t2]
    count_status: [approved, draft]
    edge_cases: [e1, e2, e3]
    requirements:
      P0: {min_examples: 3, min_negatives: 1, min_edge_case_examples: 1}
    scenarios:
      a: {priority: P0, requirements: {required_edge_cases: [e2], min_per_tier: {t1: 1}}}
      b: P0
      c: P1
      z: P2
"""
SCEN = ["a", "b", "c", "gone"]

rows_st = st.lists(
    st.fixed_dictionaries({
        "scenarios": st.lists(st.sampled_from(SCEN), unique=True, max_size=3),
        "edge_cases": st.lists(st.sampled_from(["e1", "e2", "e3"]), unique=True, max_size=2),
        "status": st.sampled_from(["approved", "draft", "retired"]),
        "polarity": st.sampled_from(["positive", "negative"]),
        "tier": st.sampled_from(["t1", "t2"]),
    }),
    max_size=25,
)


def _expected(rows: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    mine = [r for r in rows if sid in r["scenarios"]]
    c = [r for r in mine if r["status"] in ("approved", "draft")]
    return {
        "total": len(mine),
        "counted": len(c),
        "positives": sum(r["polarity"] == "positive" for r in c),
        "negatives": sum(r["polarity"] == "negative" for r in c),
        "edge_case_examples": sum(bool(r["edge_cases"]) for r in c),
        "edge_cases_covered": [e for e in ("e1", "e2", "e3") if any(e in r["edge_cases"] for r in c)],
        "per_tier": {t: sum(r["tier"] == t for r in c) for t in ("t1", "t2")},
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_st)
def test_report_matches_python(rows: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "goldset.yaml").write_text(SPEC + "      gone: P2\n", encoding="utf-8")
        ds = Workspace.open(root).dataset()
        if rows:
            add(ds, [{"id": f"r{i}", "input": f"in {i}", **r} for i, r in enumerate(rows)])
        (root / "goldset.yaml").write_text(SPEC, encoding="utf-8")
        report = compute_coverage(Workspace.open(root).dataset())

    for sid in ("a", "b", "c", "z"):
        got = report.scenario(sid).model_dump()
        want = _expected(rows, sid)
        assert {k: got[k] for k in want} == want, sid
        s = report.scenario(sid)
        assert (s.verdict == "missing") == (s.counted == 0)
        assert (s.verdict == "ok") == (not s.reasons)
    a = report.scenario("a")
    assert ("edge case e2 missing" in a.reasons) == ("e2" not in a.edge_cases_covered)
    assert report.rows == len(rows)
    assert report.untagged == sum(not r["scenarios"] for r in rows)
    gone = sum("gone" in r["scenarios"] for r in rows)
    assert report.unknown_scenarios == ({"gone": gone} if gone else {})
    assert report.gate.failing == [s for s in ("a", "b") if report.scenario(s).verdict != "ok"]
    for sid in ("a", "b", "c"):
        for j, e in enumerate(report.edge_case_matrix.edge_cases):
            want_n = sum(1 for r in rows if sid in r["scenarios"] and e in r["edge_cases"] and r["status"] != "retired")
            assert report.edge_case_matrix.counts[report.edge_case_matrix.scenarios.index(sid)][j] == want_n
