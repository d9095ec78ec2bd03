"""`goldset check` = validate + coverage gate: one JSON document, one exit code; and the DVC
pipeline (`dvc repro`) running the validate and coverage stages."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from goldset.ingest import add
from goldset.workspace import Workspace

from helpers.validation import CLEAN, clean
from helpers.vcs import dvc, git


def _check(run_cli: Callable[..., Any], ws: Workspace) -> tuple[int, dict[str, Any]]:
    r = run_cli("check", "-C", str(ws.root), "--format", "json")
    return r.exit_code, json.loads(r.stdout)


def _parts(run_cli: Callable[..., Any], ws: Workspace) -> tuple[dict[str, Any], dict[str, Any]]:
    v = run_cli("validate", "-C", str(ws.root), "--format", "json", "--exit-zero")
    c = run_cli("coverage", "-C", str(ws.root), "--format", "json")
    return json.loads(v.stdout), json.loads(c.stdout)


def test_check_passes_when_both_pass(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    clean(bare_ws.dataset())
    code, doc = _check(run_cli, bare_ws)
    assert code == 0
    assert doc["passed"] and doc["validation_passed"] and doc["coverage_gate_passed"] and doc["failures"] == []
    validation, coverage = _parts(run_cli, bare_ws)
    assert [r["check"] for r in doc["validation"]["results"]] == [r["check"] for r in validation["results"]]
    assert doc["coverage"]["gate"] == coverage["gate"]
    assert doc["coverage"]["scenarios"] == coverage["scenarios"]


def test_check_fails_on_validation_only(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    clean(bare_ws.dataset(), [{"id": "x1", "input": "cancel my order", "expected": "refund", "scenarios": ["cancel_order"]}])
    code, doc = _check(run_cli, bare_ws)
    assert code == 1
    assert (doc["passed"], doc["validation_passed"], doc["coverage_gate_passed"]) == (False, False, True)
    assert doc["failures"] == ["validation: label-conflict: 2 failing: c1, x1"]
    validation, coverage = _parts(run_cli, bare_ws)
    assert doc["validation"]["metrics"] == validation["metrics"]
    assert doc["coverage"]["gate"] == coverage["gate"]


def test_check_fails_on_coverage_only(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    add(bare_ws.dataset(), [r for r in CLEAN if r["id"] != "r3"])  # refund_request loses its negative
    code, doc = _check(run_cli, bare_ws)
    assert code == 1
    assert (doc["passed"], doc["validation_passed"], doc["coverage_gate_passed"]) == (False, True, False)
    assert doc["failures"] == ["coverage gate: refund_request is below its bar"]
    r = run_cli("check", "-C", str(bare_ws.root))
    assert r.exit_code == 1
    assert "check FAILED: validation passed, coverage gate FAILED" in r.stdout
    assert "coverage gate: refund_request is below its bar" in r.stderr


@pytest.mark.slow
def test_dvc_repro_runs_validate_and_coverage(git_ws: Workspace) -> None:
    root = git_ws.root
    clean(git_ws.dataset(), [{"id": "x1", "input": "cancel my order", "expected": "refund", "scenarios": ["cancel_order"]}])
    dvc(root, "add", "-q", "datasets/support-bot")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "data")
    # dvc runs each stage's `goldset ...` through the shell: helpers.vcs puts this venv's first on PATH.
    out = dvc(root, "repro")
    assert "Running stage 'reports'" in out
    validation = json.loads((root / "reports" / "validation.json").read_text())
    coverage = json.loads((root / "reports" / "coverage.json").read_text())
    # The stage succeeds and records the failure, in the report and in the metrics for `dvc metrics`
    assert validation["success"] is False and validation["metrics"]["label-conflict"] == 2
    assert coverage["gate"]["passed"] is True
    shown = json.loads(dvc(root, "metrics", "show", "--json"))
    metrics = next(iter(shown.values()))["data"]["reports/metrics.json"]["data"]
    assert metrics["validation"]["errors"] == 1 and metrics["gate"]["pass"] == 1
