"""Suite files: generate, keep the user's expectations, run them, and fail clearly on bad ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goldset.errors import SpecError
from goldset.validation import default_expectations, generate_suite, suite_path
from goldset.workspace import Workspace

from helpers.validation import clean, failing, outcome, run

USER_EXP = {
    "type": "expect_column_values_to_not_match_regex",
    "kwargs": {"column": "input", "regex": "(?i)competitor"},
    "meta": {"owner": "legal", "severity": "error"},
    "description": "never name the competitor",
}


def _suite(ws: Workspace) -> dict[str, Any]:
    return json.loads(suite_path(ws.dataset()).read_text())  # type: ignore[no-any-return]


def _write(ws: Workspace, data: Any) -> Path:
    path = suite_path(ws.dataset())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_generate_writes_a_plain_gx_suite(bare_ws: Workspace) -> None:
    import great_expectations as gx

    result = generate_suite(bare_ws.dataset())
    assert result.created and result.kept == 0
    data = _suite(bare_ws)
    assert data["name"] == "support-bot"
    assert len(data["expectations"]) == result.generated == len(default_expectations(bare_ws.dataset().spec))
    assert all(e["meta"]["goldset"] == "generated" and e["meta"]["severity"] in ("error", "warning") for e in data["expectations"])
    suite = gx.ExpectationSuite(**data)  # GX itself reads it back, nothing dropped
    assert len(suite.expectations) == result.generated
    # regenerating the same spec gives the same bytes (clean git diffs)
    before = suite_path(bare_ws.dataset()).read_bytes()
    generate_suite(bare_ws.dataset())
    assert suite_path(bare_ws.dataset()).read_bytes() == before


def test_user_expectation_survives_generate_and_runs(bare_ws: Workspace) -> None:
    generate_suite(bare_ws.dataset())
    data = _suite(bare_ws)
    data["expectations"].append(USER_EXP)
    data["meta"]["team"] = "support"
    _write(bare_ws, data)
    # the spec changes: a new tier; regenerate
    bare_ws.spec_path.write_text(bare_ws.spec_path.read_text().replace("tiers: [blocking, standard, monitor]",
                                                                        "tiers: [blocking, standard, monitor, shadow]"))
    ws = Workspace.open(bare_ws.root)
    result = generate_suite(ws.dataset())
    assert (result.kept, result.replaced, result.created) == (1, result.generated, False)
    data = _suite(ws)
    assert [e for e in data["expectations"] if "goldset" not in e.get("meta", {})] == [USER_EXP]
    assert data["meta"]["team"] == "support"
    tier = next(e for e in data["expectations"] if e["meta"].get("check") == "tier-known")
    assert tier["kwargs"]["value_set"] == ["blocking", "standard", "monitor", "shadow"]

    ds = clean(ws.dataset(), [{"id": "bad", "input": "is Competitor cheaper?", "expected": "deflect", "scenarios": ["greeting"]}])
    report = run(ds)
    assert report.suite_source == "file"
    assert failing(report) == {"expect_column_values_to_not_match_regex": ["bad"]}
    r = outcome(report, "expect_column_values_to_not_match_regex")
    assert r.severity == "error" and not r.generated and r.description == "never name the competitor"
    assert not report.success


def test_user_expectation_severity_and_batches(bare_ws: Workspace) -> None:
    _write(bare_ws, {"name": "support-bot", "expectations": [
        # GX's own severity field, no goldset meta: a warning
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "source", "value_set": ["expert"]}, "severity": "warning"},
        # the long taxonomy batch: edge-case rows have no scenario
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "scenario"}, "meta": {"batch": "taxonomy"}},
        # a table-level expectation sees the whole examples frame
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 10}},
    ]})
    report = run(clean(bare_ws.dataset()))
    own = [r for r in report.results if not r.generated]  # the spec's generated ones run too
    assert [r.severity for r in own] == ["warning", "error", "error"]
    assert [r.success for r in own] == [False, False, False]
    assert own[0].unexpected_count == 5
    assert own[1].sample_ids == ["c1"]  # c1's edge-case tag row
    assert own[2].observed_value == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON at line 1"),
        ({"expectations": {"type": "x"}}, "'expectations' must be a list"),
        ({"expectations": [{"kwargs": {}}]}, "expectation 1: missing 'type'"),
        ({"expectations": [USER_EXP, {"type": "expect_the_moon", "kwargs": {}}]}, "expectation 2 (expect_the_moon) is invalid"),
        ({"expectations": [{"type": "expect_column_values_to_be_in_set", "kwargs": {"value_set": [1]}}]},
         "expectation 1 (expect_column_values_to_be_in_set) is invalid"),
        ({"expectations": [{**USER_EXP, "meta": {"severity": "fatal"}}]}, "meta.severity must be"),
        ({"expectations": [{**USER_EXP, "meta": {"batch": "rows"}}]}, "meta.batch 'rows' is not one of"),
    ],
)
def test_malformed_suite_names_file_and_expectation(bare_ws: Workspace, content: Any, message: str) -> None:
    path = _write(bare_ws, content)
    with pytest.raises(SpecError) as err:
        run(bare_ws.dataset())
    assert str(path) in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_generate_refuses_a_malformed_file_without_touching_it(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    path = _write(bare_ws, "{oops")
    r = run_cli("expectations", "generate", "-C", str(bare_ws.root))
    assert r.exit_code == 5
    assert str(path) in r.stderr and "invalid JSON" in r.stderr and "Traceback" not in r.stderr
    assert path.read_text() == "{oops"


def test_cli_malformed_suite_is_one_line_exit_5(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    _write(bare_ws, {"expectations": [{"type": "expect_the_moon", "kwargs": {}}]})
    r = run_cli("validate", "-C", str(bare_ws.root))
    assert r.exit_code == 5
    assert r.stderr.count("\n") == 1 and "expect_the_moon" in r.stderr and r.stdout == ""


def test_expectation_on_a_missing_column_fails_with_gx_message(bare_ws: Workspace) -> None:
    _write(bare_ws, {"name": "support-bot", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "langauge"}, "meta": {"severity": "error"}},
    ]})
    report = run(clean(bare_ws.dataset()))
    (r,) = [r for r in report.results if not r.generated]
    assert not r.success and r.exception and "langauge" in r.exception
    assert not report.success


def test_invalid_pii_pattern_is_a_spec_error(bare_ws: Workspace, run_cli: Callable[..., Any]) -> None:
    bare_ws.spec_path.write_text(bare_ws.spec_path.read_text() + "    pii: {patterns: {badge: 'B[0-9'}}\n")
    r = run_cli("validate", "-C", str(bare_ws.root))
    assert r.exit_code == 5
    assert "goldset.yaml: datasets.support-bot.pii.patterns: 'badge' is not a valid regular expression" in r.stderr
