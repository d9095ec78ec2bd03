"""Scenario and edge-case commands: goldset.yaml edited in place, comments and order kept."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import (
    ScenarioFields,
    add_edge_case,
    add_scenario,
    edit_scenario,
    list_edge_cases,
    list_scenarios,
    remove_edge_case,
    remove_scenario,
    show_scenario,
)
from goldset.errors import BadInput, UsageError
from goldset.spec import SpecDocument

from helpers.curation import audit_lines, make_ws, rows, seed

COMMENTED = """\
# Team golden set. Owner: the assistant team.
version: 1  # format version
default_dataset: support-bot

datasets:
  # The one dataset of this workspace
  support-bot:
    description: test set
    tiers: [blocking, standard, monitor]   # strictest first
    default_tier: standard
    edge_cases:
      # edge cases keep descriptions
      typo: Misspellings  # the classic
      multilingual: Non-English
      # rare ones below
      emoji: Emoji only
    requirements:
      P0: {min_examples: 3, min_negatives: 1}
    # --- scenarios start here ---
    scenarios:
      # billing
      refund_request: {description: Refunds, priority: P0, group: billing, owner: pm@example.com}  # top priority
      # short form
      cancel_order: P1   # the order flow
      # a block-style one
      greeting:
        priority: P2   # low
        # its own comment
        description: Hello
      # orders, later
      track_order: {priority: P1}
      # end of scenarios
    roles: {}  # nobody configured yet
# trailing comment of the file
"""


def _comments(text: str) -> list[str]:
    return [m.group(0).strip() for m in re.finditer(r"#[^\n]*", text)]


def _spec_text(ws: Any) -> str:
    return (ws.root / "goldset.yaml").read_text(encoding="utf-8")


@pytest.fixture
def cws(tmp_path: Path) -> Any:
    return make_ws(tmp_path / "ws", COMMENTED)


def test_noop_round_trip_is_byte_identical(cws: Any) -> None:
    from goldset import __file__ as init_file

    assert SpecDocument(cws.spec_path).text() == COMMENTED
    template = Path(init_file).parent / "templates" / "goldset.yaml"
    path = cws.root / "t.yaml"
    path.write_text(template.read_text(encoding="utf-8").replace("{dataset}", "d").replace("{{", "{").replace("}}", "}"))
    assert SpecDocument(path).text() == path.read_text()


def test_every_comment_survives_add_edit_remove(cws: Any) -> None:
    ds = cws.dataset()
    before = _comments(COMMENTED)
    add_scenario(ds, "billing_dispute", ScenarioFields(priority="P1", group="billing", description="Disputes", min_examples=5))
    edit_scenario(ds, "cancel_order", ScenarioFields(description="Cancel an order", min_negatives=2))  # short form expanded
    edit_scenario(ds, "greeting", ScenarioFields(priority="P1"))
    edit_scenario(ds, "refund_request", ScenarioFields(owner="lead@example.com"))
    text = _spec_text(cws)
    assert _comments(text) == before  # same comments, same order
    assert "greeting:\n        priority: P1   # low" in text  # value changed in place, inline comment kept
    # removing keeps every comment but the removed entry's own
    remove_scenario(ds, "greeting")  # block style, own comments inside
    remove_scenario(ds, "refund_request")  # first key, with an inline comment
    remove_scenario(ds, "track_order")  # last key
    add_edge_case(ds, "sarcasm", "Says the opposite")
    remove_edge_case(ds, "multilingual")
    text = _spec_text(cws)
    gone = {"# low", "# its own comment", "# top priority"}
    assert _comments(text) == [c for c in before if c not in gone]
    # the comment that introduced the next entry still sits right above it
    assert "# short form\n      cancel_order:" in text
    assert "# rare ones below\n      emoji:" in text
    spec = cws.reload_spec().datasets["support-bot"]
    assert list(spec.scenarios) == ["cancel_order", "billing_dispute"]
    assert spec.scenarios["cancel_order"].description == "Cancel an order"
    assert spec.scenarios["cancel_order"].priority == "P1"
    assert spec.scenarios["cancel_order"].requirements.min_negatives == 2  # type: ignore[union-attr]
    assert spec.scenarios["billing_dispute"].requirements.min_examples == 5  # type: ignore[union-attr]
    assert list(spec.edge_cases) == ["typo", "emoji", "sarcasm"]
    # the new scenario lands after the last one, above the closing comment
    assert text.index("billing_dispute") < text.index("# end of scenarios")


def test_template_empty_scenarios_become_block(tmp_path: Path) -> None:
    from goldset import __file__ as init_file

    template = (Path(init_file).parent / "templates" / "goldset.yaml").read_text(encoding="utf-8")
    ws = make_ws(tmp_path / "ws", template.replace("{dataset}", "bot").replace("{{", "{").replace("}}", "}"))
    add_scenario(ws.dataset(), "refund", ScenarioFields(priority="P0"))
    add_scenario(ws.dataset(), "greet", ScenarioFields(priority="P2", description="hi"))
    text = _spec_text(ws)
    assert "scenarios:\n      refund: {description: '', priority: P0}\n      greet: {description: hi, priority: P2}\n" in text
    assert _comments(text) == _comments(template)
    assert list(ws.reload_spec().datasets["bot"].scenarios) == ["refund", "greet"]


def test_remove_refused_while_tagged_unless_untag(cws: Any) -> None:
    ds = cws.dataset()
    seed(cws, 3)
    from goldset.curation import TagChange, tag

    tag(ds, TagChange(add_scenarios=["greeting", "cancel_order"], add_edge_cases=["typo"]), ids=["x0", "x1"])
    spec_before = _spec_text(cws)
    with pytest.raises(BadInput, match=r"2 example\(s\) still carry scenario 'greeting'.*--untag"):
        remove_scenario(ds, "greeting")
    with pytest.raises(BadInput, match=r"still carry edge case 'typo'"):
        remove_edge_case(ds, "typo")
    assert _spec_text(cws) == spec_before
    r = remove_scenario(ds, "greeting", untag=True)
    assert r.untagged == 2
    r = remove_edge_case(ds, "typo", untag=True)
    assert r.untagged == 2
    got = {x["id"]: (x["scenarios"], x["edge_cases"]) for x in rows(cws)}
    assert got == {"x0": (["cancel_order"], []), "x1": (["cancel_order"], []), "x2": ([], [])}
    ops = [e["op"] for e in audit_lines(cws)]
    assert ops[-4:] == ["untag", "scenario-remove", "untag", "edge-case-remove"]
    assert audit_lines(cws)[-3]["rows"] == 2


def test_bad_taxonomy_changes_write_nothing(cws: Any) -> None:
    ds = cws.dataset()
    before = _spec_text(cws)
    with pytest.raises(BadInput, match=r"already exists"):
        add_scenario(ds, "greeting", ScenarioFields(priority="P0"))
    with pytest.raises(BadInput, match=r"unknown scenario 'nope'.*known scenarios: refund_request"):
        edit_scenario(ds, "nope", ScenarioFields(priority="P0"))
    with pytest.raises(BadInput, match=r"spec invalid"):
        add_scenario(ds, "bad\tid", ScenarioFields(priority="P0"))  # a control character
    with pytest.raises(BadInput, match=r"spec invalid.*unknown edge case"):
        edit_scenario(ds, "greeting", ScenarioFields(required_edge_cases=["nope"]))
    with pytest.raises(UsageError):
        edit_scenario(ds, "greeting", ScenarioFields())
    edit_scenario(ds, "greeting", ScenarioFields(required_edge_cases=["emoji"]))
    with pytest.raises(BadInput, match=r"required by scenarios.greeting.requirements"):
        remove_edge_case(ds, "emoji")
    assert "emoji" in cws.reload_spec().datasets["support-bot"].edge_cases
    assert before != _spec_text(cws)  # only the valid edit landed
    assert not list(cws.root.glob("*.tmp"))


def test_list_and_show_count_examples(cws: Any) -> None:
    seed(cws, 4)
    ds = cws.dataset()
    from goldset.curation import TagChange, review, tag

    tag(ds, TagChange(add_scenarios=["greeting"]), ids=["x0", "x1", "x2"])
    tag(ds, TagChange(polarity="negative", add_edge_cases=["typo"]), ids=["x2"])
    review(ds, "approve", ids=["x0"])
    listed = {r["id"]: r for r in list_scenarios(ds)}
    assert (listed["greeting"]["examples"], listed["greeting"]["negatives"], listed["greeting"]["counted"]) == (3, 1, 1)
    assert listed["track_order"]["examples"] == 0
    rep = show_scenario(ds, "greeting")
    assert (rep.examples, rep.positive, rep.negative, rep.edge_case_examples) == (3, 2, 1, 1)
    assert rep.by_status == {"approved": 1, "draft": 2}
    assert rep.by_edge_case == {"typo": 1}
    assert {e["id"]: e["examples"] for e in list_edge_cases(ds)} == {"typo": 1, "multilingual": 0, "emoji": 0}


def test_cli_scenario_and_edge_case(cws: Any, run_cli: Any) -> None:
    root = str(cws.root)
    r = run_cli("scenario", "add", "billing", "--priority", "P0", "--group", "money", "--min-examples", "4", "-C", root)
    assert r.exit_code == 0, r.stderr
    r = run_cli("scenario", "list", "-C", root, "--format", "json")
    assert [s["id"] for s in __import__("json").loads(r.stdout)][-1] == "billing"
    r = run_cli("scenario", "show", "billing", "-C", root, "--format", "json")
    assert __import__("json").loads(r.stdout)["requirements"]["min_examples"] == 4
    assert run_cli("scenario", "add", "billing", "--priority", "P0", "-C", root).exit_code == 3
    assert run_cli("scenario", "edit", "billing", "-C", root).exit_code == 2
    assert run_cli("scenario", "remove", "billing", "-C", root).exit_code == 0
    assert run_cli("edge-case", "add", "sarcasm", "--description", "irony", "-C", root).exit_code == 0
    r = run_cli("edge-case", "list", "-C", root, "--format", "csv")
    assert "sarcasm,0,irony" in r.stdout
    r = run_cli("edge-case", "remove", "nope", "-C", root)
    assert r.exit_code == 3 and "known edge cases: typo" in r.stderr
    assert _comments(_spec_text(cws)) == _comments(COMMENTED)
