"""The generated expectations follow the current spec (issue 10, item 21): after `goldset
scenario add` or a hand edit of goldset.yaml, `validate` passes without `goldset expectations
generate`; the user's own expectations still run; an unknown id is named with its count."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from goldset.validation import generate_suite, suite_path, validate
from goldset.workspace import Workspace

from helpers.validation import clean

USER_EXP = {
    "type": "expect_column_values_to_not_match_regex",
    "kwargs": {"column": "input", "regex": "(?i)competitor"},
    "meta": {"owner": "legal", "severity": "error"},
    "description": "never name the competitor",
}


def _with_user_expectation(ws: Workspace) -> None:
    """The suite file as init writes it (generated from the spec of that moment), plus one
    expectation of the user's."""
    generate_suite(ws.dataset())
    path = suite_path(ws.dataset())
    data = json.loads(path.read_text(encoding="utf-8"))
    data["expectations"].append(USER_EXP)
    path.write_text(json.dumps(data), encoding="utf-8")


def _add_scenario_by_hand(ws: Workspace, sid: str) -> None:
    text = ws.spec_path.read_text(encoding="utf-8")
    ws.spec_path.write_text(text.replace("    scenarios:\n", f"    scenarios:\n      {sid}: {{priority: P2}}\n"), encoding="utf-8")


def test_scenario_add_then_validate_passes(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    _with_user_expectation(bare_ws)
    r = run_cli("scenario", "add", "warranty_claim", "--priority", "P1", "-C", str(bare_ws.root))
    assert r.exit_code == 0, r.stderr
    ds = Workspace.open(bare_ws.root).dataset()
    clean(ds, [{"id": "w1", "input": "my toaster broke", "expected": "warranty", "scenarios": ["warranty_claim"]},
               {"id": "w2", "input": "is it covered", "expected": "warranty", "scenarios": ["warranty_claim"],
                "edge_cases": ["typo"]}])
    r = run_cli("validate", "-C", str(bare_ws.root))
    assert r.exit_code == 0, r.stderr + r.stdout
    report = validate(ds)
    known = next(o for o in report.results if o.check == "scenario-known")
    assert known.success and known.element_count == 9  # 7 scenario tags + 2 edge-case tag rows
    assert [o.description for o in report.results if not o.generated] == ["never name the competitor"]


def test_hand_edited_spec_then_validate_passes(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    _with_user_expectation(bare_ws)
    _add_scenario_by_hand(bare_ws, "lost_package")
    text = bare_ws.spec_path.read_text(encoding="utf-8")
    bare_ws.spec_path.write_text(text.replace("edge_cases: {typo: Misspellings,", "edge_cases: {sarcasm: Not meant, typo: Misspellings,"),
                                 encoding="utf-8")
    ds = Workspace.open(bare_ws.root).dataset()
    clean(ds, [{"id": "p1", "input": "where is my parcel", "expected": "track", "scenarios": ["lost_package"],
                "edge_cases": ["sarcasm"]}])
    r = run_cli("validate", "-C", str(bare_ws.root))
    assert r.exit_code == 0, r.stderr + r.stdout
    # The file itself was not rewritten: validation derived the generated checks in memory.
    stale = json.loads(suite_path(ds).read_text(encoding="utf-8"))
    known = next(e for e in stale["expectations"] if e.get("meta", {}).get("check") == "scenario-known")
    assert "lost_package" not in known["kwargs"]["value_set"]


def test_user_expectation_still_runs_and_fails(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    _with_user_expectation(bare_ws)
    _add_scenario_by_hand(bare_ws, "pricing")
    ds = Workspace.open(bare_ws.root).dataset()
    clean(ds, [{"id": "x1", "input": "is Competitor cheaper?", "expected": "deflect", "scenarios": ["pricing"]}])
    r = run_cli("validate", "-C", str(bare_ws.root))
    assert r.exit_code == 1
    assert "expect_column_values_to_not_match_regex: 1 failing: x1" in r.stderr
    assert "scenario-known" not in r.stderr  # 'pricing' is known: the generated checks are current


def test_unknown_scenario_and_edge_case_are_named_with_counts(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    original = bare_ws.spec_path.read_text(encoding="utf-8")
    _add_scenario_by_hand(bare_ws, "mystery")
    _add_scenario_by_hand(bare_ws, "ghost")
    bare_ws.spec_path.write_text(bare_ws.spec_path.read_text(encoding="utf-8").replace(
        "edge_cases: {typo: Misspellings,", "edge_cases: {tpyo: Misspelt, typo: Misspellings,"), encoding="utf-8")
    ds = Workspace.open(bare_ws.root).dataset()
    clean(ds, [
        {"id": "m1", "input": "what is this", "expected": "?", "scenarios": ["mystery"]},
        {"id": "m2", "input": "what is that", "expected": "?", "scenarios": ["mystery", "greeting"], "edge_cases": ["tpyo"]},
        {"id": "h1", "input": "boo", "expected": "?", "scenarios": ["ghost"]},
    ])
    bare_ws.spec_path.write_text(original, encoding="utf-8")  # the taxonomy loses them, the rows keep them
    r = run_cli("validate", "-C", str(bare_ws.root))
    assert r.exit_code == 1
    assert "  scenario-known: 3 failing; unknown scenarios: mystery (2), ghost (1)" in r.stderr.splitlines()
    assert "  edge-case-known: 1 failing; unknown edge cases: tpyo (1)" in r.stderr.splitlines()
    report = validate(Workspace.open(bare_ws.root).dataset())
    known = next(o for o in report.results if o.check == "scenario-known")
    assert known.unexpected_values == {"mystery": 2, "ghost": 1}
    r = run_cli("validate", "-f", "markdown", "-C", str(bare_ws.root))
    assert "unknown scenarios: mystery (2), ghost (1)" in r.stdout  # the report's table names them too
