"""goldset.yaml cannot smuggle SQL or an alias bomb in, and parallel spec edits lose nothing.

Issue 10, items 4, 5 and 7: a tier reached SQL pasted into a string literal (a spec could run
any query, a tier with a quote broke every import); a 9-level YAML anchor bomb under
edge_cases took 89 s and 5.7 GB; spec edits wrote one fixed temp file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from goldset.coverage import compute_coverage
from goldset.errors import BadInput, SpecError
from goldset.ingest import add
from goldset.spec import MAX_ALIAS_EXPANSION, SpecDocument, load_spec
from goldset.workspace import Workspace

from helpers.curation import audit_lines
from helpers.workspace import SPEC, write_spec

PASSWD_TIER = "m' || (SELECT content FROM read_text('/etc/passwd')) || '"


def _spec_with(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "goldset.yaml"
    p.write_text("version: 1\ndatasets:\n  d:\n" + body, encoding="utf-8")
    return p


# -- item 4: spec values are ids or data, never SQL ------------------------------------------


def test_the_etc_passwd_tier_is_refused_at_load_in_one_line(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _spec_with(tmp_path, f'    tiers: ["{PASSWD_TIER}"]\n')
    r = run_cli("list", "-C", str(tmp_path))
    assert r.exit_code == 5
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "datasets.d: tiers.0:" in lines[0] and "is not a valid tier" in lines[0]
    assert "root:" not in r.stderr + r.stdout  # nothing of /etc/passwd
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("    tiers: [gold, \"o'brien\"]\n", "tiers.1"),
        ("    tiers: [gold, 'two words']\n", "tiers.1"),
        ("    tiers: [gold]\n    default_tier: \"g'\"\n", "default_tier"),
        ("    scenarios: {\"tab\\there\": P0}\n", "scenarios."),
        ("    scenarios: {\" padded\": P0}\n", "scenarios."),
        ("    edge_cases: {\"zero\\u200bwidth\": hidden}\n", "edge_cases."),
        ("    count_status: [\"approved' OR '1\"]\n", "count_status.0"),
        ("    requirements: {P0: {min_per_tier: {\"b'\": 1}}}\n", "min_per_tier"),
        ("    requirements: {P0: {required_edge_cases: [\"e'\"]}}\n", "required_edge_cases"),
        ("    gate: {blocking_priorities: [\"P0'\"]}\n", "gate.blocking_priorities.0"),
    ],
)
def test_a_quote_in_an_id_field_is_refused_naming_the_key(tmp_path: Path, body: str, key: str) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(_spec_with(tmp_path, body))
    msg = str(err.value)
    assert "\n" not in msg
    assert key in msg, msg


#: Labels as published datasets spell them (issue 14.5), SQL-looking ones included: ids, never SQL.
LABELS = ["reverted_card_payment?", "x' OR 1=1 --", "Card payment - wrong amount", "café/€"]


def test_published_labels_are_ids_and_stay_data(tmp_path: Path) -> None:
    from goldset.curation import TagChange, tag
    from goldset.validation import validate

    scenarios = "".join(f"      {json.dumps(label)}: {{priority: P0}}\n" for label in LABELS)
    text = SPEC.replace("    scenarios:\n", "    scenarios:\n" + scenarios).replace(
        "typo: Misspellings", "typo: Misspellings, \"it's odd\": Odd ones")
    root = tmp_path / "ws"
    root.mkdir()
    write_spec(root, text)
    ds = Workspace.open(root).dataset()
    add(ds, [{"id": f"r{i}", "input": f"question {i}", "scenarios": [label], "status": "approved",
              "edge_cases": ["it's odd"]} for i, label in enumerate(LABELS)])
    tag(ds, TagChange(add_scenarios=[LABELS[1]]), ids=["r0"])
    report = compute_coverage(ds)
    assert {label: report.scenario(label).counted for label in LABELS} == {LABELS[0]: 1, LABELS[1]: 2, LABELS[2]: 1, LABELS[3]: 1}
    assert ds.query("SELECT count(*) AS n FROM examples WHERE list_contains(scenarios, ?)", [LABELS[1]]).to_pylist() == [{"n": 2}]
    assert validate(ds).rows == 4  # the suite, the taxonomy checks and GX take the labels as data


QUOTED_TEXT = SPEC.replace("description: Refunds", "description: \"Customer's refund; DROP TABLE x; --'\"").replace(
    "group: billing", "group: \"o'billing\"").replace("owner: pm@example.com", "owner: \"o'brien@example.com\"").replace(
    "typo: Misspellings", "typo: \"it's a typo'\"")


def test_quotes_in_free_text_spec_values_load_and_stay_data(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    write_spec(root, QUOTED_TEXT)
    ds = Workspace.open(root).dataset()
    add(ds, [{"id": "a", "input": "refund please", "scenarios": ["refund_request"], "tier": "blocking",
              "status": "approved", "edge_cases": ["typo"]}])
    report = compute_coverage(ds)
    refund = report.scenario("refund_request")
    assert refund.group == "o'billing" and refund.owner == "o'brien@example.com"
    assert refund.counted == 1 and refund.per_tier["blocking"] == 1


def _tiers_bypassing_validation(ws: Workspace, tiers: list[str]) -> None:
    """Put tiers the spec model would refuse into the loaded spec: what reaches SQL must
    still be data, whatever validation lets through (defence in depth)."""
    name = ws.spec.dataset_name(None)
    dspec = ws.spec.datasets[name]
    ws.spec.datasets[name] = dspec.model_copy(update={"tiers": tiers, "default_tier": tiers[0]})


def test_quoted_tiers_reach_sql_as_data_only(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    write_spec(root)
    ws = Workspace.open(root)
    tiers = ["o'brien", "x' || upper('pwned') || '"]
    _tiers_bypassing_validation(ws, tiers)
    ds = ws.dataset()
    # A row with an unknown tier: the message lists the tiers as text (no SQL error, no
    # evaluation: 'pwned' stays lower case and the quotes stay where they were).
    with pytest.raises(BadInput) as err:
        add(ds, [{"id": "bad", "input": "x", "tier": "bogus"}])
    msg = str(err.value)
    assert "is not one of the tiers (o'brien, x' || upper('pwned') || ')" in msg, msg
    assert "PWNED" not in msg
    # Rows of a quoted tier import, and coverage counts them per tier.
    add(ds, [{"id": "a", "input": "refund", "scenarios": ["refund_request"], "tier": "o'brien", "status": "approved"},
             {"id": "b", "input": "hi", "scenarios": ["refund_request"], "status": "approved"}])
    report = compute_coverage(ds)
    assert report.scenario("refund_request").per_tier == {"o'brien": 2, tiers[1]: 0}


# -- item 7: alias bombs -----------------------------------------------------------------------


def _bomb(levels: int = 9) -> str:
    lines = ["version: 1", "datasets:", "  d:", "    edge_cases:",
             "      a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"      a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_a_nine_level_alias_bomb_is_refused_in_under_a_second(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "goldset.yaml"
    p.write_text(_bomb(), encoding="utf-8")
    t = time.perf_counter()
    with pytest.raises(SpecError, match="YAML aliases expand the spec"):
        load_spec(p)
    assert time.perf_counter() - t < 1.0
    for args in (("list",), ("scenario", "add", "x", "--priority", "P0")):
        t = time.perf_counter()
        r = run_cli(*args, "-C", str(tmp_path))
        assert time.perf_counter() - t < 1.0, args
        assert r.exit_code == 5, args
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {p}: datasets.d.edge_cases."), lines
    assert p.read_text(encoding="utf-8") == _bomb()  # the edit wrote nothing


def test_alias_bomb_refused_when_editing_directly(tmp_path: Path) -> None:
    p = tmp_path / "goldset.yaml"
    p.write_text(_bomb(), encoding="utf-8")
    with pytest.raises(SpecError, match="alias bomb"):
        SpecDocument(p)


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "goldset.yaml"
    p.write_text("version: 1\ndatasets:\n  d: &d\n    scenarios: {s: *d}\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"datasets\.d\.scenarios\.s: a YAML alias refers to a value that contains it"):
        load_spec(p)


def test_modest_aliases_still_load(tmp_path: Path) -> None:
    reqs = "      ".join(f"s{i}: {{priority: P0, requirements: *req}}\n" for i in range(50))
    p = _spec_with(tmp_path, "    requirements: {P1: &req {min_examples: 3, min_negatives: 1}}\n"
                             f"    scenarios:\n      {reqs}")
    spec = load_spec(p)
    assert spec.datasets["d"].requirements_for("s49").min_negatives == 1
    # The budget counts expanded values: just past it is refused.
    many = MAX_ALIAS_EXPANSION // 3 + 1  # each alias repeats a 3-value mapping
    items = "      ".join(f"s{i}: *r\n" for i in range(many))
    p = _spec_with(tmp_path, f"    x: &r {{priority: P0}}\n    scenarios:\n      {items}")
    with pytest.raises(SpecError, match="YAML aliases expand"):
        load_spec(p)


# -- item 5: parallel spec edits ---------------------------------------------------------------


def test_eight_parallel_scenario_adds_all_land(bare_ws: Workspace) -> None:
    root = bare_ws.root
    exe = str(Path(sys.executable).with_name("goldset"))
    env = dict(os.environ, GOLDSET_USER="tester@example.com")
    procs = [
        subprocess.Popen([exe, "scenario", "add", f"parallel_{i}", "--priority", "P1", "-C", str(root)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for i in range(8)
    ]
    outs = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, _, err in outs:
        assert code == 0, err
        assert "Traceback" not in err
    spec = load_spec(root / "goldset.yaml").datasets["support-bot"]
    assert {f"parallel_{i}" for i in range(8)} <= set(spec.scenarios)
    assert {"refund_request", "cancel_order", "greeting"} <= set(spec.scenarios)  # nothing lost
    adds = [a for a in audit_lines(bare_ws) if a.get("op") == "scenario-add"]
    assert len(adds) == 8, adds
    assert not [p.name for p in root.iterdir() if p.name.endswith(".tmp")]
