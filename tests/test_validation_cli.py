"""`goldset validate` on the command line: formats, --only, --output, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from goldset.workspace import Workspace

from helpers.validation import clean


def _conflicting(ws: Workspace) -> None:
    """A label conflict (an error) and PII kept a warning by the spec (a warning)."""
    ws.spec_path.write_text(ws.spec_path.read_text() + "    pii: {severity: warning}\n")
    ws.reload_spec()
    clean(ws.dataset(), [
        {"id": "x1", "input": "cancel my order", "expected": "refund", "scenarios": ["refund_request"]},
        {"id": "p1", "input": "mail jane@example.com", "expected": "ok", "scenarios": ["greeting"]},
    ])


def test_clean_store_exits_0(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    clean(bare_ws.dataset())
    r = run_cli("validate", "-C", str(bare_ws.root))
    assert r.exit_code == 0, r.stderr
    assert "validation passed" in r.stdout and "label-conflict" in r.stdout
    assert "default suite" in r.stderr  # says it used the generated default


def test_error_failure_exits_1_and_lists_ids(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    _conflicting(bare_ws)
    r = run_cli("validate", "-C", str(bare_ws.root))
    assert r.exit_code == 1
    line = next(x for x in r.stdout.splitlines() if "label-conflict" in x)
    assert "FAIL" in line and "c1" in line and "x1" in line
    assert "error: validation failed: 1 error-severity" in r.stderr
    assert "label-conflict: 2 failing: c1, x1" in r.stderr or "label-conflict: 2 failing: x1, c1" in r.stderr


def test_json_markdown_and_only(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    _conflicting(bare_ws)
    r = run_cli("validate", "-C", str(bare_ws.root), "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    failed = {x["check"]: sorted(o["id"] for o in x["offenders"]) for x in doc["results"] if not x["success"]}
    assert failed == {"label-conflict": ["c1", "x1"], "pii-input": ["p1"]}
    assert (doc["errors_failed"], doc["warnings_failed"], doc["success"]) == (1, 1, False)

    r = run_cli("validate", "-C", str(bare_ws.root), "--only", "warning", "--format", "json")
    assert r.exit_code == 0  # warnings never fail
    doc = json.loads(r.stdout)
    assert {x["severity"] for x in doc["results"]} == {"warning"} and doc["warnings_failed"] == 1  # pii-input

    r = run_cli("validate", "-C", str(bare_ws.root), "--only", "error", "--format", "markdown")
    assert r.exit_code == 1
    assert "| FAIL | error | label-conflict |" in r.stdout and "pii-input" not in r.stdout


def test_output_file_and_exit_zero(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    _conflicting(bare_ws)
    out = bare_ws.root / "reports" / "validation.json"
    r = run_cli("validate", "-C", str(bare_ws.root), "--format", "json", "--output", str(out), "--exit-zero")
    assert r.exit_code == 0
    assert r.stdout == ""
    assert f"wrote {out}: validation FAILED" in r.stderr
    doc = json.loads(out.read_text())
    assert doc["errors_failed"] == 1 and doc["dataset"] == "support-bot"


def test_expectations_generate_cli(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    r = run_cli("expectations", "generate", "-C", str(bare_ws.root))
    assert r.exit_code == 0 and "created" in r.stderr
    r = run_cli("expectations", "generate", "-C", str(bare_ws.root), "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["created"] is False and doc["replaced"] == doc["generated"] and doc["kept"] == 0
    r = run_cli("validate", "-C", str(bare_ws.root))
    assert r.exit_code == 0 and "default suite" not in r.stderr
