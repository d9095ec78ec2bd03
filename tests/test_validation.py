"""Every default check: a clean store passes; a store broken in exactly one way fails that
expectation, through real GX, naming the offending ids."""

from __future__ import annotations

from typing import Any

import pytest

from goldset.store import db
from goldset.workspace import Workspace

from helpers.validation import clean, failing, outcome, run, set_sql


def test_clean_store_passes_every_check(bare_ws: Workspace) -> None:
    report = run(clean(bare_ws.dataset()))
    assert report.success
    assert failing(report) == {}
    assert report.rows == 5
    assert report.suite_source == "default"
    checks = {r.check for r in report.results}
    assert {"id-unique", "tier-known", "scenario-known", "label-conflict", "pii-input", "review-fresh",
            "created-before-updated", "negative-has-expected", "columns-present", "column-types"} <= checks
    # every expectation really ran over the rows (not vacuously on an empty frame)
    assert outcome(report, "id-unique").element_count == 5
    assert outcome(report, "scenario-known").element_count == 6  # 5 scenario tags + 1 edge-case tag
    assert outcome(report, "review-fresh").element_count == 5


def test_empty_store_passes(bare_ws: Workspace) -> None:
    report = run(bare_ws.dataset())
    assert report.success and report.rows == 0


@pytest.mark.parametrize(
    ("example_id", "assignments", "check"),
    [
        ("c1", {"id": "'r1'"}, "id-unique"),
        ("c1", {"tier": "'gold'"}, "tier-known"),
        ("c1", {"status": "'pending'"}, "status-known"),
        ("c1", {"polarity": "'neutral'"}, "polarity-known"),
        ("c1", {"scenarios": "['cancel_order', 'time_travel']"}, "scenario-known"),
        ("c1", {"edge_cases": "['sarcasm']"}, "edge-case-known"),
        ("r1", {"reviewed_at": "now() + INTERVAL 2 DAY"}, "reviewed-not-future"),
        ("c1", {"created_at": "TIMESTAMPTZ '2021-06-01 00:00:00+00'", "updated_at": "TIMESTAMPTZ '2020-01-01 00:00:00+00'"},
         "created-before-updated"),
        ("r3", {"expected": "NULL"}, "negative-has-expected"),
    ],
)
def test_one_broken_row_fails_exactly_its_check(
    bare_ws: Workspace, example_id: str, assignments: dict[str, str], check: str
) -> None:
    ds = clean(bare_ws.dataset())
    set_sql(ds, example_id, **assignments)
    report = run(ds)
    got = failing(report)
    assert list(got) == [check], got
    # id-unique: both rows now carry id r1; everything else: the one row changed
    assert got[check] == (["r1", "r1"] if check == "id-unique" else [example_id])
    assert outcome(report, check).unexpected_count == len(got[check])
    assert not report.success and report.errors_failed == 1


def test_null_id(bare_ws: Workspace) -> None:
    ds = clean(bare_ws.dataset())
    set_sql(ds, "c1", id="NULL")
    report = run(ds)
    assert list(failing(report)) == ["id-not-null"]
    assert outcome(report, "id-not-null").unexpected_count == 1
    assert outcome(report, "id-not-null").sample_ids[0].startswith("(row ")


def test_future_created_and_updated(bare_ws: Workspace) -> None:
    # created_at in the future cannot break alone (created_at <= updated_at); move both.
    ds = clean(bare_ws.dataset())
    set_sql(ds, "c1", created_at="now() + INTERVAL 1 DAY", updated_at="now() + INTERVAL 1 DAY")
    got = failing(run(ds))
    assert got == {"created-not-future": ["c1"], "updated-not-future": ["c1"]}


def test_stale_review_is_a_warning_only(bare_ws: Workspace) -> None:
    ds = clean(bare_ws.dataset())
    set_sql(ds, "r2", reviewed_at="TIMESTAMPTZ '2020-01-01 00:00:00+00'")
    report = run(ds)
    assert failing(report) == {"review-fresh": ["r2"]}
    r = outcome(report, "review-fresh")
    assert r.severity == "warning" and r.offenders[0].value > 180
    assert report.success and report.warnings_failed == 1 and report.errors_failed == 0


def test_fresh_share_of_blocking_scenario(bare_ws: Workspace) -> None:
    spec = bare_ws.spec_path.read_text().replace("freshness: {max_review_age_days: 180}",
                                                 "freshness: {max_review_age_days: 180, min_fresh_share: 0.9}")
    bare_ws.spec_path.write_text(spec)
    ws = Workspace.open(bare_ws.root)
    ds = clean(ws.dataset())
    assert run(ds).success
    set_sql(ds, "r2", reviewed_at="TIMESTAMPTZ '2020-01-01 00:00:00+00'")
    report = run(ds)
    assert failing(report, "error") == {"fresh-share": ["refund_request"]}
    assert outcome(report, "fresh-share").offenders[0].value == pytest.approx(2 / 3)
    assert not report.success


@pytest.mark.parametrize(
    ("text", "kind", "masked"),
    [
        ("write to jane.doe@example.com about it", "email", "jane….com"),
        ("call me on +1 (415) 555-2671 tomorrow", "phone", "+1 (…2671"),
        ("call me on (415) 555-2671 tomorrow", "phone", "(415…2671"),  # no +code: parsed for pii.phone_regions (US)
        ("my card 4111 1111 1111 1111 was charged twice", "payment_card", "4111…1111"),
        ("send it to DE89 3704 0044 0532 0130 00", "iban", "DE89…0 00"),
        ("my ssn is 123-45-6789", "us_ssn", "123-…6789"),
    ],
)
def test_validated_pii_in_input_is_an_error_and_reported_masked(bare_ws: Workspace, text: str, kind: str, masked: str) -> None:
    ds = clean(bare_ws.dataset(), [{"id": "p1", "input": text, "expected": "refund", "scenarios": ["refund_request"]}])
    report = run(ds)
    assert failing(report) == {"pii-input": ["p1"]}
    r = outcome(report, "pii-input")
    assert r.severity == "error" and not report.success
    assert r.offenders[0].value == f"{kind} ({masked})"
    assert text not in str(report.model_dump())  # the report never repeats the PII itself


@pytest.mark.parametrize(
    "text",
    [
        "my card 4111 1111 1111 1112 was charged twice",  # fails the Luhn check
        "send it to DE89 3704 0044 0532 0130 01",  # wrong IBAN checksum
        "call me on 555-123-4567 tomorrow",  # the 555 exchange: no real US number
        "my ssn is 000-12-3456",  # a reserved SSN range
        "order 1234 5678 9012 3456 7 arrived",  # 17 digits in groups: not a card (Luhn fails)
    ],
)
def test_pattern_lookalikes_that_fail_validation_are_not_pii(bare_ws: Workspace, text: str) -> None:
    ds = clean(bare_ws.dataset(), [{"id": "p1", "input": text, "expected": "refund", "scenarios": ["refund_request"]}])
    assert failing(run(ds)) == {}


def test_pii_in_expected_custom_patterns_and_exempt_edge_cases(bare_ws: Workspace) -> None:
    spec = bare_ws.spec_path.read_text() + (
        "    pii:\n      severity: warning\n      patterns: {employee_id: 'EMP-[0-9]{6}', us_ssn: null}\n"
        "      exempt_edge_cases: [typo]\n")
    bare_ws.spec_path.write_text(spec)
    ds = clean(Workspace.open(bare_ws.root).dataset(), [
        {"id": "p1", "input": "who is EMP-123456", "expected": "reply to bob@corp.example.org", "scenarios": ["greeting"]},
        {"id": "p2", "input": "ssn 123-45-6789 (check turned off)", "expected": "ok", "scenarios": ["greeting"]},
        {"id": "p3", "input": "order 12345 arrived on 2024-01-05", "expected": "ok 2", "scenarios": ["greeting"]},
        # PII on purpose, in an example that tests how the model handles it: exempt
        {"id": "p4", "input": "my card is 4111 1111 1111 1111", "expected": "ok 3", "scenarios": ["greeting"],
         "edge_cases": ["typo"]},
    ])
    report = run(ds)
    assert failing(report) == {"pii-input": ["p1"], "pii-expected": ["p1"]}
    assert outcome(report, "pii-input").offenders[0].value == "employee_id (E…)"
    assert outcome(report, "pii-expected").offenders[0].value == "email (bob@….org)"
    assert report.warnings_failed == 2 and report.success


def test_repeated_input_is_a_warning(bare_ws: Workspace) -> None:
    # Same input after normalization (case, spaces), same polarity, same expected.
    ds = clean(bare_ws.dataset(), [{"id": "dup", "input": "Cancel  my ORDER", "expected": "cancel", "scenarios": ["cancel_order"]}])
    report = run(ds)
    assert {k: sorted(v) for k, v in failing(report).items()} == {"repeated-input": ["c1", "dup"]}
    assert report.success


def test_label_conflict_among_positives_is_an_error(bare_ws: Workspace) -> None:
    ds = clean(bare_ws.dataset(), [
        {"id": "x1", "input": "cancel my order", "expected": "refund", "scenarios": ["refund_request"]},
        # a negative may share its input with a positive: not a conflict, not a repeat
        {"id": "n1", "input": "hello there", "expected": "do not upsell", "polarity": "negative", "scenarios": ["greeting"]},
    ])
    report = run(ds)
    got = {k: sorted(v) for k, v in failing(report).items()}
    # different expected: a conflict among positives, not a duplicate
    assert got == {"label-conflict": ["c1", "x1"]}
    assert list(failing(report, "error")) == ["label-conflict"]
    value = outcome(report, "label-conflict").offenders[0].value
    assert value == "cancel my order -> cancel | refund"
    assert not report.success


def test_store_with_a_missing_column_and_a_wrong_type(bare_ws: Workspace) -> None:
    """A part written by another tool: no `metadata` column, `source` as an integer."""
    ds = clean(bare_ws.dataset())
    with ds.store.transaction() as tx:
        (old,) = ds.store.files(tx.base)
        tmp, final = tx.new_part()
        con = db.connect()
        rows = con.execute(
            f"COPY (SELECT * EXCLUDE (metadata) REPLACE (CAST(42 AS INTEGER) AS source) FROM read_parquet({db.sql_str(old)})) "
            f"TO {db.sql_str(str(tmp))} (FORMAT parquet)"
        ).fetchone()[0]  # type: ignore[index]
        tx.add_written(tmp, final, rows)
        tx.drop(old.rsplit("/", 1)[-1])
        tx.commit()
    report = run(ds)
    assert failing(report) == {"columns-present": ["metadata"], "column-types": ["source"]}
    assert outcome(report, "column-types").offenders[0].value == ["INTEGER", "VARCHAR"]


def test_narrow_frames_give_the_same_results(bare_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large stores run each expectation on a frame of just its columns: same verdicts."""
    from goldset.validation import _validate as run_module

    ds = clean(bare_ws.dataset(), [
        {"id": "x1", "input": "cancel my order", "expected": "refund", "scenarios": ["refund_request"]},
        {"id": "p1", "input": "mail jane@example.com", "expected": "ok", "scenarios": ["greeting"]},
    ])
    set_sql(ds, "r3", expected="NULL")
    set_sql(ds, "g1", updated_at="TIMESTAMPTZ '2020-01-01 00:00:00+00'")
    whole = run(ds)
    monkeypatch.setattr(run_module, "NARROW_ROWS", 0)
    narrow = run(ds)
    assert failing(narrow) == failing(whole)
    assert set(failing(whole)) == {"label-conflict", "pii-input", "negative-has-expected", "created-before-updated"}
    assert [r.unexpected_count for r in narrow.results] == [r.unexpected_count for r in whole.results]


def test_a_truthfulqa_shaped_set_is_not_flagged_until_a_real_duplicate_or_conflict(bare_ws: Workspace) -> None:
    """One question, one right answer, several forbidden ones stored as negatives (TruthfulQA):
    no duplicate warning, no conflict. Then a true duplicate and a true conflict: each once."""
    q = "What happens if you crack your knuckles a lot?"
    rows = [{"id": "t-pos", "input": q, "expected": "nothing in particular", "scenarios": ["greeting"]}] + [
        {"id": f"t-neg{i}", "input": q, "expected": wrong, "polarity": "negative", "scenarios": ["greeting"]}
        for i, wrong in enumerate(["you will get arthritis", "your joints will swell", "your knuckles will grow"])
    ]
    ds = clean(bare_ws.dataset(), rows)
    assert failing(run(ds)) == {}
    clean_more = [
        # the same forbidden answer stored twice, spelled differently: a true duplicate
        {"id": "t-neg-dup", "input": "what happens if you crack your  KNUCKLES a lot?", "expected": "you will get arthritis",
         "polarity": "negative", "scenarios": ["greeting"]},
        # a second right answer that disagrees: a label conflict among positives
        {"id": "t-pos2", "input": q, "expected": "you get arthritis", "scenarios": ["greeting"]},
    ]
    from goldset.ingest import add

    add(ds, clean_more)
    got = {k: sorted(v) for k, v in failing(run(ds)).items()}
    assert got == {"repeated-input": ["t-neg-dup", "t-neg0"], "label-conflict": ["t-pos", "t-pos2"]}
    conflict = outcome(run(ds), "label-conflict").offenders[0].value
    assert conflict == f"{q} -> nothing in particular | you get arthritis"


def test_redaction_replaces_validated_pii_is_audited_and_validate_passes(bare_ws: Workspace, run_cli: Any) -> None:
    from goldset.access import audit
    from goldset.validation import redact_pii

    ds = clean(bare_ws.dataset(), [
        {"id": "p1", "input": "card 4111 1111 1111 1111, mail jane.doe@example.com", "expected": "refund",
         "scenarios": ["refund_request"], "status": "approved"},
        {"id": "p2", "input": "call me on +44 20 7946 0958", "expected": "reply to DE89 3704 0044 0532 0130 00",
         "scenarios": ["greeting"]},
        {"id": "p3", "input": "card 4111 1111 1111 1112 is not a card", "expected": "ok", "scenarios": ["greeting"]},
    ])
    assert set(failing(run(ds))) == {"pii-input", "pii-expected"}
    before = ds.query("SELECT * FROM examples ORDER BY id").to_pylist()
    dry = redact_pii(ds, all_examples=True, dry_run=True)
    assert (dry.found, dry.kinds) == (2, {"payment_card": 1, "email": 1, "phone": 1, "iban": 1})
    assert ds.query("SELECT * FROM examples ORDER BY id").to_pylist() == before  # a dry run writes nothing
    r = run_cli("pii", "redact", "--all", "-C", str(bare_ws.root), "-m", "GDPR request")
    assert r.exit_code == 0, r.stderr
    rows = {x["id"]: x for x in ds.query("SELECT * FROM examples").to_pylist()}
    assert rows["p1"]["input"] == "card [CARD], mail [EMAIL]" and rows["p1"]["status"] == "draft"
    assert (rows["p2"]["input"], rows["p2"]["expected"]) == ("call me on [PHONE]", "reply to [IBAN]")
    assert rows["p3"]["input"] == "card 4111 1111 1111 1112 is not a card"  # not PII: untouched
    assert rows["p1"]["input_hash"] != next(x for x in before if x["id"] == "p1")["input_hash"]
    line = list(audit.read(ds.audit_path))[-1]
    assert (line.op, sorted(line.ids), line.note) == ("pii-redact", ["p1", "p2"], "GDPR request; 1 approved example(s) back to draft (content changed)")
    assert "4111" not in ds.audit_path.read_text()  # the audit log never holds the PII
    assert failing(run(ds)) == {}


def test_validate_runs_the_near_duplicate_and_leakage_checks_the_spec_asks_for(bare_ws: Workspace, tmp_path: Any) -> None:
    import json

    ds = clean(bare_ws.dataset(), [
        {"id": "d1", "input": "how do i reset my password please", "expected": "reset", "scenarios": ["greeting"]},
        {"id": "d2", "input": "How do I reset my password, please?", "expected": "reset", "scenarios": ["greeting"],
         "tier": "blocking"},
    ])
    assert not {r.check for r in run(ds).results} & {"near_duplicates", "leakage"}  # not asked for: not run
    train = tmp_path / "train.jsonl"
    train.write_text(json.dumps({"text": "how do I reset my password, please"}) + "\n"
                     + json.dumps({"text": "an unrelated training sentence"}) + "\n", encoding="utf-8")
    bare_ws.spec_path.write_text(bare_ws.spec_path.read_text() + (
        "    near_duplicates: {threshold: 0.8, severity: error}\n"
        f"    leakage: {{train: [{json.dumps(str(train))}], column: text, threshold: 0.8, fail_on_tiers: [blocking]}}\n"))
    report = run(Workspace.open(bare_ws.root).dataset())
    by = {r.check: r for r in report.results}
    assert not by["near_duplicates"].success and by["near_duplicates"].severity == "error"
    assert {o.id for o in by["near_duplicates"].offenders} >= {"d1", "d2"}
    assert not by["leakage"].success and by["leakage"].severity == "error"
    assert "d2" in {o.id for o in by["leakage"].offenders}
    assert not report.success
