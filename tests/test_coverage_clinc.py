"""CLINC150 as a real golden set: 150 intents x 150 examples in 10 groups + 1,200 oos negatives."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goldset.coverage import compute_coverage
from goldset.workspace import Workspace

from helpers.clinc import CLINC_DIR, clinc_records, clinc_spec, needs_clinc
from helpers.workspace import write_jsonl

pytestmark = [pytest.mark.clinc, needs_clinc]


@pytest.fixture(scope="module")
def clinc_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One import of the whole CLINC150 set (approved), shared by the tests of this module."""
    from click.testing import CliRunner

    from goldset.cli import cli

    root = tmp_path_factory.mktemp("clinc") / "ws"
    root.mkdir()
    (root / "goldset.yaml").write_text(clinc_spec("banking", 200), encoding="utf-8")
    data = write_jsonl(root.parent / "clinc.jsonl", clinc_records())
    r = CliRunner().invoke(cli, ["import", str(data), "-C", str(root), "--status", "approved"],
                           env={"GOLDSET_USER": "tester@example.com"})
    assert r.exit_code == 0, r.output
    return root


def _spec(root: Path, text: str) -> None:
    (root / "goldset.yaml").write_text(text, encoding="utf-8")


def test_counts_match_the_dataset(clinc_root: Path) -> None:
    _spec(clinc_root, clinc_spec("banking", 200))
    report = compute_coverage(Workspace.open(clinc_root).dataset())
    domains = json.loads((CLINC_DIR / "domains.json").read_text(encoding="utf-8"))
    assert report.rows == report.counted_rows == 150 * 150 + 1200
    assert len(report.scenarios) == 151 and report.untagged == 0 and report.unknown_scenarios == {}
    by_id = {s.id: s for s in report.scenarios}
    for domain, intents in domains.items():
        for intent in intents:
            s = by_id[intent]
            assert (s.counted, s.total, s.positives, s.negatives, s.group) == (150, 150, 150, 0, domain)
    oos = by_id["out_of_scope"]
    assert (oos.counted, oos.positives, oos.negatives) == (1200, 0, 1200)
    assert sum(s.per_tier["standard"] for s in report.scenarios) == report.rows  # default tier


def test_gate_fails_listing_exactly_the_banking_intents(clinc_root: Path, run_cli: Callable[..., Any]) -> None:
    _spec(clinc_root, clinc_spec("banking", 200))
    banking = json.loads((CLINC_DIR / "domains.json").read_text(encoding="utf-8"))["banking"]
    r = run_cli("coverage", "-C", str(clinc_root), "--gate", "--format", "json")
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert sorted(report["gate"]["failing"]) == sorted(banking) and len(banking) == 15
    for s in report["scenarios"]:
        if s["id"] in banking:
            assert (s["verdict"], s["reasons"]) == ("gap", ["150 of 200 examples"])
    listed = r.stderr.splitlines()[0].split("below their bar: ")[1].split(", ")
    assert sorted(listed) == sorted(banking)
    assert len(r.stderr.splitlines()) == 1 + 15  # the message + one line per failing scenario


def test_gate_passes_at_150(clinc_root: Path, run_cli: Callable[..., Any]) -> None:
    _spec(clinc_root, clinc_spec("banking", 150))
    try:
        r = run_cli("coverage", "-C", str(clinc_root), "--gate")
    finally:
        _spec(clinc_root, clinc_spec("banking", 200))
    assert r.exit_code == 0, r.stderr
    assert "Gate PASSED: every P0 scenario meets its bar" in r.stdout


def test_oos_negative_requirement(clinc_root: Path) -> None:
    _spec(clinc_root, clinc_spec("banking", 150, oos_min_negatives=1500))
    try:
        report = compute_coverage(Workspace.open(clinc_root).dataset(), fail_on=["P1"])
    finally:
        _spec(clinc_root, clinc_spec("banking", 200))
    assert report.gate.failing == ["out_of_scope"]
    assert report.scenario("out_of_scope").reasons == ["1200 of 1500 negatives"]
