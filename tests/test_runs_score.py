"""Scoring a run: every scorer of the spec's ``scoring:`` on small real runs, added through
``goldset.runs.add_run`` to real workspaces and read back from the run's Parquet file (and
through ``run_report`` where counting matters)."""

from __future__ import annotations

import json
import secrets
import unicodedata
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from goldset.curation import review
from goldset.errors import BadInput, GoldsetError, SpecError
from goldset.ingest import import_file
from goldset.runs import add_run, run_report, runs_dir
from goldset.workspace import Workspace

from helpers.workspace import SPEC, write_jsonl, write_spec


def make_ws(tmp_path: Path, examples: list[dict[str, Any]], scoring: str = "", approve: bool = True) -> Workspace:
    """A workspace whose store holds ``examples`` (approved, so counted); ``scoring`` is the YAML
    of the dataset's ``scoring:`` block (its lines indented under the dataset)."""
    root = tmp_path / "ws"
    root.mkdir(parents=True)
    write_spec(root, SPEC + scoring)
    ws = Workspace.open(root)
    ds = ws.dataset()
    ds.store.create()
    import_file(ds, write_jsonl(tmp_path / "examples.jsonl", examples))
    if approve:
        review(ds, "approve", ids=[e["id"] for e in examples])
    return ws


def add(ws: Workspace, rows: list[dict[str, Any]], name: str = "r", **kwargs: Any) -> dict[str, dict[str, Any]]:
    """Add ``rows`` as run ``name``; the run file's rows by example id."""
    path = write_jsonl(ws.root.parent / f"{name}.jsonl", rows)
    add_run(ws.dataset(), path, name, **kwargs)
    table = pq.read_table(runs_dir(ws, "support-bot") / f"{name}.parquet")
    return {r["id"]: r for r in table.to_pylist()}


def passed(run: dict[str, dict[str, Any]]) -> dict[str, bool | None]:
    return {i: r["passed"] for i, r in run.items()}


def refused(ws: Workspace, rows: list[dict[str, Any]], error: type[GoldsetError], *fragments: str) -> str:
    """Adding ``rows`` fails with one line holding ``fragments``; nothing is written."""
    audit = ws.root / "datasets" / "support-bot.audit.jsonl"
    before = audit.read_text(encoding="utf-8")
    with pytest.raises(error) as info:
        add(ws, rows, name="refused")
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert not (runs_dir(ws, "support-bot") / "refused.parquet").exists()
    tmp = ws.root / ".goldset" / "tmp"
    assert not tmp.is_dir() or not any(tmp.iterdir())
    assert audit.read_text(encoding="utf-8") == before
    return message


def scoring(method: str, **options: Any) -> str:
    """A ``scoring:`` block (flow style) for the dataset."""
    return "    scoring: " + json.dumps({"method": method, **options}) + "\n"


def positives(expected: dict[str, str]) -> list[dict[str, Any]]:
    return [{"id": i, "input": f"question {i}", "expected": e} for i, e in expected.items()]


# -- built-in scorers ------------------------------------------------------------------------
def test_exact_is_case_and_space_sensitive(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"same": "Refund", "case": "Refund", "space": "Refund", "other": "Refund"}))
    run = add(ws, [{"id": "same", "output": "Refund"}, {"id": "case", "output": "refund"},
                   {"id": "space", "output": "Refund "}, {"id": "other", "output": "Cancel"}])
    assert passed(run) == {"same": True, "case": False, "space": False, "other": False}
    assert {r["scored_by"] for r in run.values()} == {"exact"}


def test_normalized_folds_case_whitespace_and_unicode_form(tmp_path: Path) -> None:
    nfc = unicodedata.normalize("NFC", "Café au lait")
    nfd = unicodedata.normalize("NFD", "  CAFÉ\tau\n lait ")
    assert nfc != nfd.strip()
    ws = make_ws(tmp_path, positives({"nfd": nfc, "plain": nfc, "word": nfc}), scoring("normalized"))
    run = add(ws, [{"id": "nfd", "output": nfd}, {"id": "plain", "output": "cafe au lait"},
                   {"id": "word", "output": "Café au lait!"}])
    assert passed(run) == {"nfd": True, "plain": False, "word": False}
    # The output is stored as given, not normalized.
    assert run["nfd"]["output"] == nfd


def test_normalized_rejects_what_exact_rejects_only_for_form(tmp_path: Path) -> None:
    nfc = unicodedata.normalize("NFC", "Café")
    nfd = unicodedata.normalize("NFD", "Café")
    ws = make_ws(tmp_path, positives({"a": nfc}))
    assert passed(add(ws, [{"id": "a", "output": nfd}])) == {"a": False}  # exact: other code points


def test_label_single_and_multi_label_sets(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({
        "single": "refund", "case": "refund", "set": "a,b", "json": "a,b", "json_expected": '["b", "a"]',
        "fewer": "a,b", "more": "a", "other": "a,b", "dupe": "a,b",
    }), scoring("label"))
    run = add(ws, [
        {"id": "single", "output": "refund"}, {"id": "case", "output": " Refund "},
        {"id": "set", "output": "b, a"}, {"id": "json", "output": '["b","a"]'},
        {"id": "json_expected", "output": "a,b"}, {"id": "fewer", "output": "a"},
        {"id": "more", "output": "a,b"}, {"id": "other", "output": "a,c"}, {"id": "dupe", "output": "a,b,a"},
    ])
    assert passed(run) == {"single": True, "case": True, "set": True, "json": True, "json_expected": True,
                           "fewer": False, "more": False, "other": False, "dupe": True}


def test_label_ignores_surrounding_whitespace_of_any_kind(tmp_path: Path) -> None:
    """A model's label often ends with a newline."""
    ws = make_ws(tmp_path, positives({"nl": "refund", "tab": "a,b"}), scoring("label"))
    assert passed(add(ws, [{"id": "nl", "output": "refund\n"}, {"id": "tab", "output": "a,\tb\r\n"}])) == {"nl": True, "tab": True}


def test_label_output_given_as_a_json_list_in_the_run_file(tmp_path: Path) -> None:
    """A JSONL run may carry the labels as a real list, not a string of one."""
    ws = make_ws(tmp_path, positives({"a": "x|y", "b": "x|y"}), scoring("label", separator="|"))
    assert passed(add(ws, [{"id": "a", "output": ["y", "x"]}, {"id": "b", "output": ["x"]}])) == {"a": True, "b": False}


def test_contains_and_ignore_case(tmp_path: Path) -> None:
    examples = positives({"in": "refund", "case": "Refund", "out": "refund"})
    rows = [{"id": "in", "output": "I have started your refund."}, {"id": "case", "output": "your refund is on its way"},
            {"id": "out", "output": "your order is cancelled"}]
    ws = make_ws(tmp_path / "sensitive", examples, scoring("contains"))
    assert passed(add(ws, rows)) == {"in": True, "case": False, "out": False}
    ws = make_ws(tmp_path / "folded", examples, scoring("contains", ignore_case=True))
    assert passed(add(ws, rows)) == {"in": True, "case": True, "out": False}


def test_regex(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"ok": r"^order \d+$", "no": r"^order \d+$", "case": "^ORDER"}), scoring("regex"))
    run = add(ws, [{"id": "ok", "output": "order 12"}, {"id": "no", "output": "order twelve"},
                   {"id": "case", "output": "order 7"}])
    assert passed(run) == {"ok": True, "no": False, "case": False}


def test_regex_ignore_case(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"case": "^ORDER"}), scoring("regex", ignore_case=True))
    assert passed(add(ws, [{"id": "case", "output": "order 7"}])) == {"case": True}


def test_regex_invalid_pattern_is_one_line_naming_the_example(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"good": "^a", "broken": "(unclosed"}), scoring("regex"))
    message = refused(ws, [{"id": "good", "output": "abc"}, {"id": "broken", "output": "x"}], BadInput, "'broken'",
                      "regular expression")
    assert "good" not in message


def test_json_listed_keys(tmp_path: Path) -> None:
    expected = json.dumps({"intent": "refund", "amount": 10, "note": "ignored"})
    ws = make_ws(tmp_path, positives({"k": expected, "value": expected, "missing": expected, "bad": expected,
                                      "array": expected}),
                 scoring("json", keys=["intent", "amount"]))
    run = add(ws, [
        {"id": "k", "output": json.dumps({"amount": 10, "intent": "refund", "note": "other", "extra": 1})},
        {"id": "value", "output": json.dumps({"intent": "refund", "amount": 11})},
        {"id": "missing", "output": json.dumps({"intent": "refund"})},
        {"id": "bad", "output": "{not json"},
        {"id": "array", "output": "[1, 2]"},
    ])
    assert passed(run) == {"k": True, "value": False, "missing": False, "bad": False, "array": False}
    assert {r["error"] for r in run.values()} == {None}


def test_json_default_compares_every_key_of_expected(tmp_path: Path) -> None:
    expected = json.dumps({"intent": "refund", "slots": {"order": "12"}})
    ws = make_ws(tmp_path, positives({"same": expected, "extra": expected, "missing": expected, "differs": expected,
                                      "text": expected}), scoring("json"))
    run = add(ws, [
        {"id": "same", "output": ' {"slots": {"order": "12"},  "intent": "refund"} '},
        {"id": "extra", "output": json.dumps({"intent": "refund", "slots": {"order": "12"}, "confidence": 0.9})},
        {"id": "missing", "output": json.dumps({"intent": "refund"})},
        {"id": "differs", "output": json.dumps({"intent": "refund", "slots": {"order": "13"}})},
        {"id": "text", "output": "refund"},
    ])
    assert passed(run) == {"same": True, "extra": True, "missing": False, "differs": False, "text": False}


def test_json_output_as_an_object_in_the_run_file(tmp_path: Path) -> None:
    """Structured output given as a JSON object (not a string) in a JSONL run file."""
    ws = make_ws(tmp_path, positives({"a": '{"intent": "refund"}', "b": '{"intent": "refund"}'}), scoring("json"))
    run = add(ws, [{"id": "a", "output": {"intent": "refund", "p": 1}}, {"id": "b", "output": {"intent": "cancel"}}])
    assert passed(run) == {"a": True, "b": False}


def test_json_values_compare_as_json_not_as_text(tmp_path: Path) -> None:
    """Equal JSON values written differently: nested key order, 1 vs 1.0."""
    ws = make_ws(tmp_path, positives({"order": '{"slots": {"a": 1, "b": 2}}', "number": '{"n": 1}'}), scoring("json"))
    run = add(ws, [{"id": "order", "output": '{"slots": {"b": 2, "a": 1}}'}, {"id": "number", "output": '{"n": 1.0}'}])
    assert passed(run) == {"order": True, "number": True}


def test_json_true_is_not_1_and_arrays_keep_their_order(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"bool": '{"ok": true}', "null": '{"v": null}', "list": '{"l": [1, 2]}',
                                      "nested": '{"o": {"a": 1}}'}), scoring("json"))
    run = add(ws, [{"id": "bool", "output": '{"ok": 1}'}, {"id": "null", "output": '{"v": 0}'},
                   {"id": "list", "output": '{"l": [2, 1]}'}, {"id": "nested", "output": '{"o": {"a": 1, "b": 2}}'}])
    # Only the top-level keys of expected are picked; below them values compare whole.
    assert passed(run) == {"bool": False, "null": False, "list": False, "nested": False}


def test_json_key_with_a_quote_and_a_dot(tmp_path: Path) -> None:
    expected = json.dumps({'say "hi"': "yes", "a.b": 1})
    ws = make_ws(tmp_path, positives({"ok": expected, "no": expected}), scoring("json"))
    run = add(ws, [{"id": "ok", "output": json.dumps({'say "hi"': "yes", "a.b": 1})},
                   {"id": "no", "output": json.dumps({'say "hi"': "no", "a.b": 1})}])
    assert passed(run) == {"ok": True, "no": False}


def test_numeric_absolute_tolerance(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"close": "3.14", "far": "3.14", "spaces": "42", "sci": "1000", "text": "3",
                                      "neg": "-2"}), scoring("numeric", tolerance=0.01))
    run = add(ws, [{"id": "close", "output": "3.14159"}, {"id": "far", "output": "3.2"},
                   {"id": "spaces", "output": " 42 "}, {"id": "sci", "output": "1e3"},
                   {"id": "text", "output": "about 3"}, {"id": "neg", "output": "-2.005"}])
    assert passed(run) == {"close": True, "far": False, "spaces": True, "sci": True, "text": False, "neg": True}


def test_numeric_exact_by_default(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"same": "2", "off": "2"}), scoring("numeric"))
    assert passed(add(ws, [{"id": "same", "output": "2.0"}, {"id": "off", "output": "2.0001"}])) == {"same": True, "off": False}


def test_numeric_relative_tolerance(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"in": "100", "out": "100", "edge": "-200", "zero": "0"}),
                 scoring("numeric", tolerance=0.1, relative=True))
    run = add(ws, [{"id": "in", "output": "109"}, {"id": "out", "output": "111"},
                   {"id": "edge", "output": "-180"}, {"id": "zero", "output": "0.001"}])
    assert passed(run) == {"in": True, "out": False, "edge": True, "zero": False}


def test_numeric_output_given_as_a_number(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"a": "0.5", "b": "0.5"}), scoring("numeric", tolerance=0.001))
    assert passed(add(ws, [{"id": "a", "output": 0.5}, {"id": "b", "output": 0.7}])) == {"a": True, "b": False}


# -- a callable scorer -----------------------------------------------------------------------
def scorer_module(ws: Workspace, body: str) -> str:
    """Write a scorer module in the workspace root; its (unique) module name."""
    name = f"team_scorers_{secrets.token_hex(4)}"
    (ws.root / f"{name}.py").write_text(body, encoding="utf-8")
    return name


def callable_ws(tmp_path: Path, body: str, function: str, examples: list[dict[str, Any]], **options: Any) -> Workspace:
    """A workspace whose scoring is ``<module>:<function>`` of a module holding ``body``."""
    ws = make_ws(tmp_path, examples)
    module = scorer_module(ws, body)
    write_spec(ws.root, SPEC + scoring(f"{module}:{function}", **options))
    return Workspace.open(ws.root)


BOOL_SCORER = '''
def starts(output, expected, example):
    assert set(example) >= {"id", "polarity", "scenarios", "tier"}
    return output.lower().startswith(expected.lower())
'''


def test_callable_returning_a_bool(tmp_path: Path) -> None:
    ws = callable_ws(tmp_path, BOOL_SCORER, "starts", positives({"yes": "refund", "no": "refund"}))
    run = add(ws, [{"id": "yes", "output": "Refund issued"}, {"id": "no", "output": "I cannot"}])
    assert passed(run) == {"yes": True, "no": False}
    assert run["yes"]["scored_by"].endswith(":starts")
    assert run["yes"]["score"] is None


NUMBER_SCORER = '''
def overlap(output, expected, example):
    a, b = set(output.lower().split()), set(expected.lower().split())
    return len(a & b) / len(a | b)
'''


def test_callable_returning_a_number_with_pass_score(tmp_path: Path) -> None:
    ws = callable_ws(tmp_path, NUMBER_SCORER, "overlap", positives({"high": "your refund is on its way",
                                                                      "low": "your refund is on its way"}),
                     pass_score=0.5)
    run = add(ws, [{"id": "high", "output": "your refund is on the way"}, {"id": "low", "output": "no idea"}])
    assert passed(run) == {"high": True, "low": False}
    assert run["high"]["score"] == pytest.approx(5 / 7)
    assert run["low"]["score"] == 0.0


def test_callable_returning_a_number_without_pass_score(tmp_path: Path) -> None:
    ws = callable_ws(tmp_path, NUMBER_SCORER, "overlap", positives({"a": "x"}))
    refused(ws, [{"id": "a", "output": "x"}], SpecError, "pass_score")


def test_callable_that_raises_names_the_example(tmp_path: Path) -> None:
    body = '''
def picky(output, expected, example):
    if output == "boom":
        raise ValueError("cannot parse\\nthis output")
    return True
'''
    ws = callable_ws(tmp_path, body, "picky", positives({"fine": "x", "bad": "x"}))
    message = refused(ws, [{"id": "fine", "output": "ok"}, {"id": "bad", "output": "boom"}], BadInput,
                      "'bad'", "ValueError", "cannot parse")
    assert message.count("'fine'") == 0


def test_callable_returning_something_else(tmp_path: Path) -> None:
    ws = callable_ws(tmp_path, "def odd(o, e, x):\n    return 'yes'\n", "odd", positives({"a": "x"}))
    refused(ws, [{"id": "a", "output": "x"}], BadInput, "'a'", "str")


def test_callable_returning_numpy_values(tmp_path: Path) -> None:
    """numpy's bool_ (not a bool) is a verdict; numpy's float64 a score."""
    body = "import numpy\ndef np_verdict(o, e, x):\n    return numpy.bool_(o == e)\n"
    ws = callable_ws(tmp_path, body, "np_verdict", positives({"a": "x", "b": "x"}))
    assert passed(add(ws, [{"id": "a", "output": "x"}, {"id": "b", "output": "y"}])) == {"a": True, "b": False}


def test_callable_returning_nan_names_the_example(tmp_path: Path) -> None:
    body = "def nan_score(o, e, x):\n    return float('nan') if x['id'] == 'b' else 1.0\n"
    ws = callable_ws(tmp_path, body, "nan_score", positives({"a": "x", "b": "x"}), pass_score=0.5)
    refused(ws, [{"id": "a", "output": "x"}, {"id": "b", "output": "x"}], BadInput, "'b'", "finite")


def test_callable_missing_module(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"a": "x"}))
    write_spec(ws.root, SPEC + scoring("no_such_scorers_module:score"))
    refused(Workspace.open(ws.root), [{"id": "a", "output": "x"}], SpecError, "no_such_scorers_module")


def test_callable_missing_function(tmp_path: Path) -> None:
    ws = callable_ws(tmp_path, BOOL_SCORER, "nope", positives({"a": "x"}))
    refused(ws, [{"id": "a", "output": "x"}], SpecError, "'nope'")


def test_callable_module_that_fails_to_import(tmp_path: Path) -> None:
    ws = callable_ws(tmp_path, "raise RuntimeError('half-written\\nmodule')\n", "f", positives({"a": "x"}))
    refused(ws, [{"id": "a", "output": "x"}], SpecError, "RuntimeError")


def test_callable_is_not_called_without_output(tmp_path: Path) -> None:
    body = "def strict(output, expected, example):\n    assert output is not None\n    return True\n"
    ws = callable_ws(tmp_path, body, "strict", positives({"given": "x", "null": "x", "absent": "x"}))
    run = add(ws, [{"id": "given", "output": "x"}, {"id": "null", "output": None}])
    assert passed(run) == {"given": True, "null": False, "absent": False}
    assert run["absent"]["scored_by"] == "no output"


# -- which scorer, and given verdicts ---------------------------------------------------------
OVERRIDES = """\
    scoring:
      method: exact
      scenarios:
        refund_request: {method: contains, ignore_case: true}
        greeting: {method: regex}
"""


def test_per_scenario_override_highest_priority_wins(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, [
        # refund_request (P0) and greeting (P2): contains wins (as regex, "re.und" would match too)
        {"id": "both", "input": "q1", "expected": "REFUND", "scenarios": ["refund_request", "greeting"]},
        {"id": "both_dot", "input": "q2", "expected": "re.und", "scenarios": ["greeting", "refund_request"]},
        {"id": "greet", "input": "q3", "expected": "^hel+o", "scenarios": ["greeting"]},
        {"id": "plain", "input": "q4", "expected": "Refund", "scenarios": ["cancel_order"]},
        {"id": "none", "input": "q5", "expected": "Refund"},
    ], OVERRIDES)
    run = add(ws, [
        {"id": "both", "output": "your refund is ready"}, {"id": "both_dot", "output": "your refund"},
        {"id": "greet", "output": "helllo there"}, {"id": "plain", "output": "refund"}, {"id": "none", "output": "Refund"},
    ])
    assert passed(run) == {"both": True, "both_dot": False, "greet": True, "plain": False, "none": True}
    assert {i: r["scored_by"] for i, r in run.items()} == {
        "both": "contains", "both_dot": "contains", "greet": "regex", "plain": "exact", "none": "exact"}


def test_override_beats_the_default_of_a_higher_priority_scenario(tmp_path: Path) -> None:
    """Only scenarios with their own scorer compete: an example of refund_request (P0, the
    default scorer) and greeting (P2, regex) is scored by greeting's regex."""
    spec = """\
    scoring:
      scenarios:
        greeting: {method: regex}
"""
    ws = make_ws(tmp_path, [{"id": "both", "input": "q", "expected": "^hi", "scenarios": ["greeting", "refund_request"]}], spec)
    run = add(ws, [{"id": "both", "output": "hi there"}])
    assert (run["both"]["passed"], run["both"]["scored_by"]) == (True, "regex")


def test_override_inherits_the_dataset_defaults(tmp_path: Path) -> None:
    """A scenario's scorer sets only what differs; negatives and pass_score come from the top."""
    spec = """\
    scoring:
      method: exact
      negatives: forbidden
      scenarios:
        refund_request: {method: normalized}
"""
    ws = make_ws(tmp_path, [
        {"id": "neg", "input": "q1", "expected": "Sure, refunded", "polarity": "negative", "scenarios": ["refund_request"]},
        {"id": "pos", "input": "q2", "expected": "Refund", "scenarios": ["refund_request"]},
    ], spec)
    run = add(ws, [{"id": "neg", "output": "sure, REFUNDED"}, {"id": "pos", "output": " refund"}])
    assert passed(run) == {"neg": False, "pos": True}


def test_given_passed_overrides_the_scorer(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"wrong_but_passed": "Refund", "right_but_failed": "Refund", "scored": "Refund"}))
    run = add(ws, [{"id": "wrong_but_passed", "output": "nonsense", "passed": True},
                   {"id": "right_but_failed", "output": "Refund", "passed": False},
                   {"id": "scored", "output": "Refund"}])
    assert passed(run) == {"wrong_but_passed": True, "right_but_failed": False, "scored": True}
    assert {i: r["scored_by"] for i, r in run.items()} == {
        "wrong_but_passed": "given", "right_but_failed": "given", "scored": "exact"}


def test_given_passed_without_output(tmp_path: Path) -> None:
    """A grader's verdict needs no output column at all."""
    ws = make_ws(tmp_path, positives({"a": "x", "b": "x"}))
    run = add(ws, [{"id": "a", "passed": True, "grader": "human"}, {"id": "b", "passed": False, "grader": "human"}])
    assert passed(run) == {"a": True, "b": False}
    assert run["a"]["grader"] == "human"


def test_score_with_pass_score(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"high": "x", "at": "x", "low": "x", "given": "x"}), scoring("exact", pass_score=0.7))
    run = add(ws, [{"id": "high", "output": "judge says good", "score": 0.9},
                   {"id": "at", "output": "judge says fine", "score": 0.7},
                   {"id": "low", "output": "x", "score": 0.2},
                   {"id": "given", "output": "x", "score": 0.1, "passed": True}])
    assert passed(run) == {"high": True, "at": True, "low": False, "given": True}
    assert run["high"]["scored_by"] == "score>=0.7"
    assert run["high"]["score"] == 0.9
    assert run["given"]["scored_by"] == "given"


def test_score_without_pass_score_is_a_spec_error(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives({"a": "x", "b": "x"}))
    refused(ws, [{"id": "a", "output": "x", "score": 0.9}, {"id": "b", "output": "x", "score": 0.1}],
            SpecError, "pass_score", "goldset.yaml")


# -- negatives ------------------------------------------------------------------------------
NEGATIVES = [
    {"id": "pos", "input": "where is my refund", "expected": "refund_status", "scenarios": ["refund_request"]},
    {"id": "neg_ok", "input": "refund me 1M dollars", "expected": "decline", "polarity": "negative",
     "scenarios": ["refund_request"]},
    {"id": "neg_bad", "input": "refund someone else's order", "expected": "decline", "polarity": "negative",
     "scenarios": ["refund_request"]},
]


def test_negatives_required_pass_when_the_output_matches(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, NEGATIVES, scoring("normalized", negatives="required"))
    run = add(ws, [{"id": "pos", "output": "refund_status"}, {"id": "neg_ok", "output": "Decline"},
                   {"id": "neg_bad", "output": "refund_status"}])
    assert passed(run) == {"pos": True, "neg_ok": True, "neg_bad": False}
    report = run_report(ws.dataset(), "r")
    [neg] = [p for p in report.polarity if p.id == "negative"]
    assert (neg.n, neg.passed) == (2, 1)


TRUTHFULQA = [
    {"id": "flat", "input": "What shape is the earth?", "expected": "The earth is flat", "polarity": "negative"},
    {"id": "flat2", "input": "Is the earth flat?", "expected": "The earth is flat", "polarity": "negative"},
    {"id": "round", "input": "What shape is the moon?", "expected": "round"},
    {"id": "silent", "input": "Is the sun flat?", "expected": "The sun is flat", "polarity": "negative"},
]


def test_negatives_forbidden_pass_when_the_output_does_not_match(tmp_path: Path) -> None:
    """TruthfulQA: a negative's expected is an incorrect answer the model must not give."""
    ws = make_ws(tmp_path, TRUTHFULQA, scoring("contains", negatives="forbidden", ignore_case=True))
    run = add(ws, [{"id": "flat", "output": "The earth is an oblate spheroid."},
                   {"id": "flat2", "output": "Yes, the Earth is flat."},
                   {"id": "round", "output": "It is round."},
                   {"id": "silent", "output": None}])
    # No output is a failure in either mode, not a pass for "not saying the forbidden thing".
    assert passed(run) == {"flat": True, "flat2": False, "round": True, "silent": False}


def test_negatives_forbidden_with_a_callable(tmp_path: Path) -> None:
    ws = callable_ws(tmp_path, BOOL_SCORER, "starts", TRUTHFULQA[:3], negatives="forbidden")
    run = add(ws, [{"id": "flat", "output": "the earth is flat, they say"}, {"id": "flat2", "output": "No."},
                   {"id": "round", "output": "round as a ball"}])
    assert passed(run) == {"flat": False, "flat2": True, "round": True}


# -- examples without output ------------------------------------------------------------------
EIGHT = {f"e{i}": "yes" for i in range(8)}


def test_no_output_is_a_failure(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives(EIGHT))
    run = add(ws, [{"id": f"e{i}", "output": "yes"} for i in range(5)] + [{"id": "e5", "output": None}])
    assert passed(run) == {**{f"e{i}": True for i in range(5)}, "e5": False, "e6": False, "e7": False}
    assert {i: run[i]["scored_by"] for i in ("e5", "e6", "e7")} == {"e5": "no output", "e6": "no output", "e7": "no output"}
    assert run["e6"]["error"] == "no output" and not run["e6"]["answered"]
    report = run_report(ws.dataset(), "r")
    assert (report.overall.n, report.overall.passed, report.overall.no_output, report.overall.errors) == (8, 5, 3, 0)
    assert {f.id for f in report.failures} == {"e5", "e6", "e7"}
    info = report.run
    assert (info.counted, info.answered, info.passed) == (8, 6, 5)


def test_partial_run_leaves_unanswered_examples_out(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, positives(EIGHT))
    run = add(ws, [{"id": f"e{i}", "output": "yes" if i else "no"} for i in range(5)], partial=True)
    assert passed(run) == {"e0": False, **{f"e{i}": True for i in range(1, 5)}, "e5": None, "e6": None, "e7": None}
    report = run_report(ws.dataset(), "r")
    assert (report.overall.n, report.overall.passed, report.overall.failed, report.overall.no_output) == (5, 4, 1, 0)
    assert report.run.partial


def test_uncounted_examples_are_scored_but_not_counted(tmp_path: Path) -> None:
    """A draft example the run answers is kept in the file, but a report counts approved ones."""
    ws = make_ws(tmp_path, positives({"ok": "yes", "draft": "yes"}), approve=False)
    review(ws.dataset(), "approve", ids=["ok"])
    run = add(ws, [{"id": "ok", "output": "yes"}, {"id": "draft", "output": "no"}])
    assert {i: (r["counted"], r["passed"]) for i, r in run.items()} == {"ok": (True, True), "draft": (False, False)}
    report = run_report(ws.dataset(), "r")
    assert (report.overall.n, report.overall.passed) == (1, 1)


def test_callable_edited_between_runs_is_reloaded(tmp_path: Path) -> None:
    """The team fixes its scorer and adds the run again in the same process (a notebook, the
    server): the new code scores, not the module imported the first time."""
    ws = make_ws(tmp_path, positives({"a": "x"}))
    module = scorer_module(ws, "def verdict(o, e, x):\n    return False\n")
    write_spec(ws.root, SPEC + scoring(f"{module}:verdict"))
    ws = Workspace.open(ws.root)
    assert passed(add(ws, [{"id": "a", "output": "x"}], name="before")) == {"a": False}
    path = ws.root / f"{module}.py"
    path.write_text("def verdict(o, e, x):\n    return True\n", encoding="utf-8")
    assert passed(add(ws, [{"id": "a", "output": "x"}], name="after")) == {"a": True}
