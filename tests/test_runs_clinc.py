"""The launch bar on CLINC150: a synthetic run with a known set of errors, reported, compared
and gated; every number checked against counts made here from the records themselves."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from goldset.errors import RegressionFound
from goldset.runs import add_run, compare_runs, regression_gate, run_report
from goldset.validation import launch
from goldset.workspace import Workspace

from helpers.clinc import CLINC_DIR, clinc_records, clinc_spec, needs_clinc
from helpers.workspace import write_jsonl

pytestmark = [pytest.mark.clinc, needs_clinc]

#: Five banking intents whose every 10th example the synthetic model gets wrong.
BROKEN = ["balance", "bill_due", "freeze_account", "pay_bill", "transfer"]

BAR = """\
    launch_bar:
      min_examples_for_verdict: 30
      priorities:
        P0: {min_pass_rate: 0.95, min_negative_pass_rate: 0.95}
        P1: {min_pass_rate: 0.9}
"""


@pytest.fixture(scope="module")
def clinc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """CLINC150 approved, banking and out_of_scope as P0, with the launch bar above."""
    from click.testing import CliRunner

    from goldset.cli import cli

    root = tmp_path_factory.mktemp("clinc_runs") / "ws"
    root.mkdir()
    spec = clinc_spec("banking", 150).replace("out_of_scope: {priority: P1", "out_of_scope: {priority: P0")
    (root / "goldset.yaml").write_text(spec + BAR, encoding="utf-8")
    records = clinc_records()
    data = write_jsonl(root.parent / "clinc.jsonl", records)
    r = CliRunner().invoke(cli, ["import", str(data), "-C", str(root), "--status", "approved"],
                           env={"GOLDSET_USER": "tester@example.com"})
    assert r.exit_code == 0, r.output
    return root, records


def _outputs(records: list[dict[str, Any]], *, errors: bool) -> tuple[list[dict[str, Any]], set[str]]:
    """The synthetic model: right on every example, except (with ``errors``) every 10th example
    of each BROKEN intent (answered 'greeting') and every out-of-scope query (answered with an
    intent instead of declining). Returns the rows and the ids it gets wrong."""
    seen: Counter[str] = Counter()
    rows, wrong = [], set()
    for rec in records:
        intent = rec["scenarios"]
        k = seen[intent]
        seen[intent] += 1
        out = rec["expected"]
        if errors and ((intent in BROKEN and k % 10 == 0) or intent == "out_of_scope"):
            out = "greeting" if intent != "out_of_scope" else "balance"
            wrong.add(rec["id"])
        rows.append({"id": rec["id"], "output": out, "latency_ms": 100 + (k % 50), "cost_usd": 0.0002})
    return rows, wrong


def test_pass_rates_and_verdicts_follow_the_known_errors(clinc: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    root, records = clinc
    ds = Workspace.open(root).dataset()
    rows, wrong = _outputs(records, errors=True)
    info = add_run(ds, write_jsonl(tmp_path / "a.jsonl", rows), "with-errors", model="synthetic")
    assert (info.counted, info.answered, info.passed) == (len(records), len(records), len(records) - len(wrong))

    # Independent counts: per scenario, examples and the ones this model gets right.
    total: Counter[str] = Counter(r["scenarios"] for r in records)
    right: Counter[str] = Counter(r["scenarios"] for r in records if r["id"] not in wrong)
    report = run_report(ds, "with-errors")
    by_id = {s.id: s for s in report.scenarios}
    assert set(by_id) == set(total)
    for sid, n in total.items():
        s = by_id[sid]
        assert (s.n, s.passed, s.failed) == (n, right[sid], n - right[sid]), sid
        assert s.pass_rate == pytest.approx(right[sid] / n)
        assert s.ci_low is not None and s.ci_high is not None and s.ci_low <= s.pass_rate <= s.ci_high
    assert {sid: by_id[sid].pass_rate for sid in BROKEN} == {sid: pytest.approx(0.9) for sid in BROKEN}
    assert by_id["out_of_scope"].negatives.pass_rate == 0.0

    # The launch bar fails exactly on the scenarios made to fail; every other one passes.
    failing = {s.id for s in report.scenarios if s.verdict == "fail"}
    assert failing == {*BROKEN, "out_of_scope"}
    assert all(s.verdict == "pass" for s in report.scenarios if s.id not in failing)
    assert report.verdict == "fail"
    assert sorted(line.split()[1] for line in report.reasons) == sorted({*BROKEN, "out_of_scope"})
    oos_reasons = " ".join(by_id["out_of_scope"].reasons)
    assert "negative pass rate 0% is below 95%" in oos_reasons

    # Per polarity, independently: negatives are the out-of-scope queries, all wrong.
    polarity = {g.id: g for g in report.polarity}
    negatives = sum(1 for r in records if r["polarity"] == "negative")
    assert (polarity["negative"].n, polarity["negative"].passed) == (negatives, 0)
    assert polarity["positive"].passed == len(records) - len(wrong)

    # And goldset launch says no: for the launch bar, and for CLINC150's own label conflicts
    # (the same text labelled with two intents), which validation finds; the gate passes.
    result = launch(ds, "with-errors")
    assert (result.passed, result.coverage_gate_passed, result.run_verdict) == (False, True, "fail")
    assert [f for f in result.failures if f.startswith("launch bar: ")] == [f"launch bar: {r}" for r in report.reasons]
    others = [f for f in result.failures if not f.startswith("launch bar: ")]
    assert len(others) == 1 and others[0].startswith("validation: label-conflict")


def test_compare_finds_the_fixed_scenarios_and_gates_the_regression(clinc: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    root, records = clinc
    ds = Workspace.open(root).dataset()
    bad, wrong = _outputs(records, errors=True)
    good, _ = _outputs(records, errors=False)
    add_run(ds, write_jsonl(tmp_path / "bad.jsonl", bad), "cmp-bad")
    add_run(ds, write_jsonl(tmp_path / "good.jsonl", good), "cmp-good")

    better = compare_runs(ds, "cmp-bad", "cmp-good")
    assert better.paired == len(records) and better.only_a == better.only_b == better.changed == 0
    assert (better.overall.fixed, better.overall.broken) == (len(wrong), 0)
    improved = {d.id for d in better.scenarios if d.improvement}
    assert improved == {*BROKEN, "out_of_scope"}
    assert not better.regressions
    by_id = {d.id: d for d in better.scenarios}
    for sid in BROKEN:  # 15 fixed, 0 broken of 150: exact McNemar p = 2 * 0.5**15
        d = by_id[sid]
        assert (d.fixed, d.broken, d.n) == (15, 0, 150)
        assert d.p_value == pytest.approx(2 * 0.5**15)
        assert d.delta == pytest.approx(0.1)
        assert d.ci_low is not None and d.ci_high is not None and 0 < d.ci_low < 0.1 < d.ci_high
        assert d.p_adjusted >= d.p_value
    untouched = by_id["greeting"]
    assert (untouched.fixed, untouched.broken, untouched.p_value) == (0, 0, 1.0)

    worse = compare_runs(ds, "cmp-good", "cmp-bad")
    assert set(worse.regressions) == {*BROKEN, "out_of_scope"}
    with pytest.raises(RegressionFound) as exc:
        regression_gate(worse, ["P0"])
    assert len(exc.value.problems) == 6
    regression_gate(worse, ["P2"])  # no P2 scenario regressed: passes


def test_report_counts_match_duckdb_free_arithmetic_per_domain(clinc: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    """Per edge case and tier too: all examples are in the default tier 'standard'."""
    root, records = clinc
    ds = Workspace.open(root).dataset()
    rows, wrong = _outputs(records, errors=True)
    add_run(ds, write_jsonl(tmp_path / "t.jsonl", rows), "tiers")
    report = run_report(ds, "tiers")
    tiers = {t.id: t for t in report.tiers}
    assert (tiers["standard"].n, tiers["standard"].failed) == (len(records), len(wrong))
    assert tiers["blocking"].n == 0 and tiers["blocking"].verdict == "pass"  # no failure, so none too many
    domains = json.loads((CLINC_DIR / "domains.json").read_text(encoding="utf-8"))
    per_domain: defaultdict[str, int] = defaultdict(int)
    for s in report.scenarios:
        for d, intents in domains.items():
            if s.id in intents:
                per_domain[d] += s.failed
    assert per_domain["banking"] == 15 * len(BROKEN)
    assert sum(per_domain.values()) == len(wrong) - sum(1 for r in records if r["scenarios"] == "out_of_scope")
