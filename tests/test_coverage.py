"""Coverage on a hand-computed store: every count, verdict and reason known in advance."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goldset.cli.render.coverage import markdown, ordered
from goldset.coverage import (
    CoverageReport,
    check_gate,
    compute_coverage,
    parse_traffic,
)
from goldset.errors import CoverageGateFailed, UsageError
from goldset.ingest import add
from goldset.workspace import Dataset, Workspace

from helpers import coverage as H


@pytest.fixture(scope="module")
def hand_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cov") / "ws"
    with pytest.MonkeyPatch.context() as mp:  # module scope: the autouse env fixture is not active yet
        mp.setenv("GOLDSET_USER", "tester@example.com")
        H.build(root)
    return root


@pytest.fixture
def hand(hand_root: Path) -> Dataset:
    return Workspace.open(hand_root).dataset()


@pytest.fixture
def report(hand: Dataset) -> CoverageReport:
    return compute_coverage(hand, now=H.NOW)


@pytest.mark.parametrize("scenario", list(H.EXPECTED))
def test_every_number_verdict_and_reason(report: CoverageReport, scenario: str) -> None:
    got = report.scenario(scenario).model_dump()
    assert {k: got[k] for k in H.EXPECTED[scenario]} == H.EXPECTED[scenario]


def test_scenario_identity_and_resolved_requirements(report: CoverageReport) -> None:
    refund = report.scenario("refund")
    assert (refund.group, refund.priority, refund.owner) == ("billing", "P0", "pm@example.com")
    # Own requirements win, unset ones come from the P0 defaults.
    r = refund.requirements
    assert (r.min_examples, r.min_negatives, r.required_edge_cases, r.min_per_tier, r.min_fresh_share) == (
        4, 1, ["typo", "multilingual"], {"blocking": 2}, 0.5)
    assert report.scenario("shipping").requirements.min_examples == 2
    assert report.scenario("greeting").requirements.model_dump(exclude_defaults=True) == {}
    # Every scenario of the taxonomy, in spec order, including those without examples.
    assert [s.id for s in report.scenarios] == ["refund", "cancel", "billing_dispute", "shipping", "greeting"]


def test_totals_matrix_and_summary(report: CoverageReport) -> None:
    assert (report.rows, report.counted_rows, report.untagged) == (13, 9, 1)
    assert report.unknown_scenarios == {"mystery": 2}
    m = report.edge_case_matrix
    assert m.edge_cases == ["typo", "multilingual", "long"]
    assert m.get("refund", "typo") == 1
    assert m.get("refund", "multilingual") == 0  # only a draft carries it: not counted
    assert m.get("cancel", "long") == 1
    assert sum(map(sum, m.counts)) == 2
    assert report.summary["P0"] == {"missing": 1, "gap": 2, "ok": 0}
    assert report.summary["P1"] == {"missing": 0, "gap": 0, "ok": 1}
    assert report.summary["P2"] == {"missing": 1, "gap": 0, "ok": 0}


def test_gate_default_and_fail_on(hand: Dataset, report: CoverageReport) -> None:
    assert report.gate.model_dump() == {
        "blocking_priorities": ["P0"], "passed": False, "failing": ["refund", "cancel", "billing_dispute"]}
    with pytest.raises(CoverageGateFailed) as exc:
        check_gate(report)
    assert "refund, cancel, billing_dispute" in str(exc.value)
    assert exc.value.exit_code == 1
    assert exc.value.problems[1] == "cancel (gap): 2 of 4 examples; no negatives (need 1)"
    p1 = compute_coverage(hand, fail_on=["P1"], now=H.NOW)
    assert p1.gate.passed and p1.gate.failing == []
    check_gate(p1)  # does not raise
    assert compute_coverage(hand, fail_on=["P1", "P2"], now=H.NOW).gate.failing == ["greeting"]
    with pytest.raises(UsageError):
        compute_coverage(hand, fail_on=["P9"])


def test_freshness_follows_the_clock(hand: Dataset) -> None:
    # 200 days later every review is stale; 1 day after the stale reviews all are fresh.
    late = compute_coverage(hand, now=H.NOW.replace(year=2027))
    assert late.scenario("refund").fresh_share == 0.0
    assert "fresh 0% (need 50%)" in late.scenario("refund").reasons
    early = compute_coverage(hand, now=H.NOW.replace(month=1, day=2))
    assert early.scenario("refund").fresh_share == 1.0
    assert not any(r.startswith("fresh") for r in early.scenario("refund").reasons)


def test_count_status_changes_what_counts(hand_root: Path) -> None:
    spec = H.SPEC.replace("count_status: [approved]", "count_status: [approved, draft]")
    (hand_root / "goldset.yaml").write_text(spec, encoding="utf-8")
    try:
        r = compute_coverage(Workspace.open(hand_root).dataset(), now=H.NOW)
    finally:
        (hand_root / "goldset.yaml").write_text(H.SPEC, encoding="utf-8")
    refund = r.scenario("refund")
    assert (refund.counted, refund.total) == (5, 6)
    assert refund.edge_cases_covered == ["typo", "multilingual"]
    assert refund.required_edge_cases_missing == []
    assert refund.per_tier["blocking"] == 2
    # The draft row is not reviewed: counted but not fresh (1 of 5).
    assert refund.fresh_share == pytest.approx(0.2)
    assert r.scenario("billing_dispute").verdict == "gap"
    assert r.scenario("billing_dispute").reasons == ["1 of 4 examples", "no negatives (need 1)"]


def test_empty_store(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "goldset.yaml").write_text(H.SPEC, encoding="utf-8")
    r = compute_coverage(Workspace.open(root).dataset(), now=H.NOW)
    assert (r.rows, r.counted_rows, r.untagged) == (0, 0, 0)
    assert {s.verdict for s in r.scenarios} == {"missing"}
    assert r.gate.failing == ["refund", "cancel", "billing_dispute"]


def test_traffic_representativeness(hand: Dataset) -> None:
    traffic = parse_traffic("scenario,count\nrefund,50\nshipping,30\ngreeting,10\nunknown_thing,10\n", "t.csv", "csv")
    r = compute_coverage(hand, traffic=traffic, now=H.NOW)
    assert r.traffic is not None
    # Only shipping (30%) is ok; the rest of the traffic meets no bar.
    assert r.traffic.covered_share == pytest.approx(0.3)
    assert r.traffic.attributed_share == pytest.approx(1.0)
    assert r.traffic.unknown == {"unknown_thing": pytest.approx(0.1)}
    refund = r.scenario("refund")
    assert (refund.golden_share, refund.traffic_share) == (pytest.approx(4 / 9), pytest.approx(0.5))
    # greeting: 10% of traffic, no golden example -> under-represented; refund 44% vs 50% is not.
    assert r.traffic.under_represented == ["greeting"]
    assert r.scenario("greeting").under_represented and not refund.under_represented
    assert r.scenario("cancel").traffic_share == 0.0
    assert r.metrics["traffic_covered_share"] == pytest.approx(0.3)


def test_json_round_trip(report: CoverageReport) -> None:
    text = report.model_dump_json(indent=2)
    back = CoverageReport.model_validate_json(text)
    assert back == report
    data = json.loads(text)
    # DVC compares numbers inside nested dicts (it skips lists): per-scenario counts live there.
    assert data["metrics"]["scenarios"]["refund"] == {
        "counted": 4, "total": 6, "positives": 3, "negatives": 1, "edge_case_examples": 1, "ok": 0}
    assert data["metrics"]["gate_passed"] == 0 and data["metrics"]["gate_failing"] == 3


def test_ordered_puts_gaps_first(report: CoverageReport) -> None:
    assert [s.id for s in ordered(report)] == ["billing_dispute", "refund", "cancel", "greeting", "shipping"]


MARKDOWN_SNAPSHOT = """\
### ❌ Coverage of `cov`: Gate FAILED: 3 P0 scenario(s) below their bar: refund, cancel, billing_dispute

cov: 5 scenarios (1 ok, 2 gap, 2 missing); 9 of 13 examples count (approved); 1 untagged; 2 tagged with 1 scenario(s) not in the taxonomy

#### Below their bar (4)

| verdict | scenario | prio | group | counted | all | neg | edge | fresh | reasons |
|---|---|---|---|---|---|---|---|---|---|
| missing | billing_dispute | P0 | billing | 0/4 | 1 | 0 | 0 |  | 0 of 4 examples; no negatives (need 1) |
| gap | refund | P0 | billing | 4/4 | 6 | 1 | 1 | 25% | edge case multilingual missing; blocking tier 1 of 2; fresh 25% (need 50%) |
| gap | cancel | P0 | orders | 2/4 | 2 | 0 | 1 | 100% | 2 of 4 examples; no negatives (need 1) |
| missing | greeting | P2 |  | 0 | 0 | 0 | 0 |  | no counted examples |

<details><summary>All 5 scenarios</summary>

| verdict | scenario | prio | group | counted | all | neg | edge | fresh | reasons |
|---|---|---|---|---|---|---|---|---|---|
| missing | billing_dispute | P0 | billing | 0/4 | 1 | 0 | 0 |  | 0 of 4 examples; no negatives (need 1) |
| gap | refund | P0 | billing | 4/4 | 6 | 1 | 1 | 25% | edge case multilingual missing; blocking tier 1 of 2; fresh 25% (need 50%) |
| gap | cancel | P0 | orders | 2/4 | 2 | 0 | 1 | 100% | 2 of 4 examples; no negatives (need 1) |
| missing | greeting | P2 |  | 0 | 0 | 0 | 0 |  | no counted examples |
| ok | shipping | P1 | orders | 2/2 | 2 | 0 | 0 | 100% |  |

</details>

<details><summary>Priority x verdict</summary>

| priority | ok | gap | missing |
|---|---|---|---|
| P0 | 0 | 2 | 1 |
| P1 | 1 | 0 | 0 |
| P2 | 0 | 0 | 1 |

</details>

<details><summary>Scenario x edge case (counted examples)</summary>

| scenario | typo | multilingual | long |
|---|---|---|---|
| refund | 1 | 0 | 0 |
| cancel | 0 | 0 | 1 |

</details>

<details><summary>Scenarios not in the taxonomy</summary>

| scenario | examples |
|---|---|
| mystery | 2 |

</details>

<sub>as of 2026-06-10 00:00 UTC (fresh = reviewed within 30 days); dataset cov, data <DATA>, spec <SPEC>; by goldset coverage</sub>
"""


def test_markdown_snapshot(report: CoverageReport) -> None:
    # The footer names what the report describes: the manifest digest it scanned, the spec hash.
    manifest = (report.data or "", report.spec or "")
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in manifest)
    expected = MARKDOWN_SNAPSHOT.replace("<DATA>", manifest[0][:12]).replace("<SPEC>", manifest[1][:12])
    assert markdown(report) == expected


# -- CLI -------------------------------------------------------------------------------------


def test_cli_table_reports_and_exits_0(hand_root: Path, run_cli: Callable[..., Any]) -> None:
    r = run_cli("coverage", "-C", str(hand_root))
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "Gate FAILED: 3 P0 scenario(s) below their bar: refund, cancel, billing_dispute" in out
    # Gaps first: billing_dispute's row comes before shipping's (ok).
    assert out.index("billing_dispute") < out.index("shipping")
    flat = re.sub(r"[\s│]+", " ", out)  # undo rich's wrapping inside cells
    assert "0 of 4 examples no negatives (need 1)" in flat


def test_cli_gate_fails_after_printing(hand_root: Path, run_cli: Callable[..., Any]) -> None:
    r = run_cli("coverage", "-C", str(hand_root), "--gate", "--format", "json")
    assert r.exit_code == 1
    report = CoverageReport.model_validate_json(r.stdout)  # the report came out before the failure
    assert report.gate.failing == ["refund", "cancel", "billing_dispute"]
    first = r.stderr.splitlines()[0]
    assert first == "error: coverage gate failed: 3 P0 scenario(s) below their bar: refund, cancel, billing_dispute"
    assert "greeting" not in r.stderr and "shipping" not in r.stderr


def test_cli_fail_on_overrides(hand_root: Path, run_cli: Callable[..., Any]) -> None:
    assert run_cli("coverage", "-C", str(hand_root), "--gate", "--fail-on", "P1").exit_code == 0
    r = run_cli("coverage", "-C", str(hand_root), "--gate", "--fail-on", "p1,P2", "-f", "json")
    assert r.exit_code == 1
    assert "below their bar: greeting" in r.stderr
    assert json.loads(r.stdout)["gate"]["blocking_priorities"] == ["P1", "P2"]
    bad = run_cli("coverage", "-C", str(hand_root), "--fail-on", "P0,high")
    assert bad.exit_code == 2 and "'high' is not a priority" in bad.stderr


def test_cli_output_file_and_usage_errors(hand_root: Path, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    out = tmp_path / "reports" / "coverage.json"
    r = run_cli("coverage", "-C", str(hand_root), "--format", "json", "--output", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert f"wrote {out}" in r.stderr
    assert CoverageReport.model_validate_json(out.read_text()).scenario("refund").counted == 4
    html = run_cli("coverage", "-C", str(hand_root), "--format", "html")
    assert html.exit_code == 0 and html.stdout.startswith("<!DOCTYPE html>")  # HTML may go to stdout
    missing = run_cli("coverage", "-C", str(hand_root), "--traffic", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 3 and "no such file" in missing.stderr
    md = run_cli("coverage", "-C", str(hand_root), "--format", "markdown")
    assert md.exit_code == 0 and md.stdout.startswith("### ❌ Coverage of `cov`")


def test_cli_traffic(hand_root: Path, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    f = tmp_path / "traffic.json"
    f.write_text(json.dumps([{"scenario": "shipping", "share": 0.6}, {"scenario": "greeting", "share": 0.2}]))
    r = run_cli("coverage", "-C", str(hand_root), "--traffic", str(f), "-f", "json")
    assert r.exit_code == 0, r.stderr
    t = json.loads(r.stdout)["traffic"]
    assert t["covered_share"] == pytest.approx(0.6) and t["attributed_share"] == pytest.approx(0.8)
    # shipping: 22% of golden rows vs 60% of traffic (< half); greeting: none vs 20%.
    assert t["under_represented"] == ["shipping", "greeting"]
    table = run_cli("coverage", "-C", str(hand_root), "--traffic", str(f))
    assert "60% of production traffic meets its bar" in table.stdout
    assert "22%/60% LOW" in table.stdout  # shipping: golden share vs traffic share, flagged
    rows = [ln for ln in table.stdout.splitlines() if ln.startswith("│")]
    assert rows and all(ln.rstrip().endswith("│") for ln in rows)  # widened, never cropped


def test_no_taxonomy_says_what_to_do(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "goldset.yaml").write_text("version: 1\ndatasets:\n  x: {}\n", encoding="utf-8")
    add(Workspace.open(root).dataset(), [{"input": "hello", "status": "approved"}])
    r = run_cli("coverage", "-C", str(root), "--gate")
    assert r.exit_code == 0
    assert "1 untagged" in r.stdout and "no scenarios defined" in r.stdout


def test_damaged_store_is_a_store_error(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    ds = H.build(tmp_path / "ws")
    Path(ds.files()[0]).unlink()  # a live part gone, not by a concurrent writer
    r = run_cli("coverage", "-C", str(tmp_path / "ws"))
    assert r.exit_code == 6
    assert "is damaged: part " in r.stderr and "named by the manifest is missing" in r.stderr and "Traceback" not in r.stderr
