"""The role matrix: every writing command x every role, allowed and denied, CLI and Python API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import remove
from goldset.errors import PermissionDenied
from goldset.ingest import add
from goldset.workspace import Workspace

from helpers.curation import NOBODY, USERS, as_user, audit_lines, make_ws, store_bytes
from helpers.workspace import write_jsonl

TAGS = [*USERS, "nobody"]
SPEC = """\
version: 1
datasets:
  support-bot:
    tiers: [blocking, standard, monitor]
    edge_cases: {typo: Misspellings, erm_pm: x, erm_research: x, erm_eng: x, erm_admin: x, erm_nobody: x}
    scenarios:
      greeting: {priority: P2}
      rm_pm: P2
      rm_research: P2
      rm_eng: P2
      rm_admin: P2
      rm_nobody: P2
    roles:
      pm@example.com: pm
      res@example.com: research
      eng@example.com: eng
      admin@example.com: admin
"""

# command -> roles that may run it (admin always may)
ALLOWED: dict[str, set[str]] = {
    "import": {"research"},
    "add": {"research"},
    "remove": {"research"},
    "scenario add": {"pm"},
    "scenario edit": {"pm"},
    "scenario remove": {"pm"},
    "edge-case add": {"pm", "research"},
    "edge-case remove": {"pm", "research"},
    "tag --scenario": {"pm"},
    "tag --tier": {"pm"},
    "tag --edge-case": {"research"},
    "tag --negative": {"research"},
    "edit": {"research"},
    "review --approve": {"pm"},
    "review --reject": {"pm"},
    "review --retire": {"pm"},
    "compact": {"eng"},
}
NEEDS = {"import": "research", "scenario add": "pm", "compact": "eng", "tag --edge-case": "research", "review --retire": "pm"}


def cli_args(cmd: str, tag: str, tmp: Path) -> list[str]:
    return {
        "import": ["import", str(write_jsonl(tmp / f"imp-{tag}.jsonl", [{"id": f"imp-{tag}", "input": f"imported {tag}"}]))],
        "add": ["add", f"added by {tag}", "--id", f"add-{tag}"],
        "remove": ["remove", f"rm-{tag}"],
        "scenario add": ["scenario", "add", f"new_{tag}", "--priority", "P1"],
        "scenario edit": ["scenario", "edit", "greeting", "--description", f"by {tag}"],
        "scenario remove": ["scenario", "remove", f"rm_{tag}"],
        "edge-case add": ["edge-case", "add", f"e_{tag}"],
        "edge-case remove": ["edge-case", "remove", f"erm_{tag}"],
        "tag --scenario": ["tag", "x1", "--scenario", "greeting"],
        "tag --tier": ["tag", "x1", "--tier", "blocking"],
        "tag --edge-case": ["tag", "x1", "--edge-case", "typo"],
        "tag --negative": ["tag", "x1", "--negative"],
        "edit": ["edit", "x1", "--expected", f"by {tag}"],
        "review --approve": ["review", "x1", "--approve"],
        "review --reject": ["review", "x1", "--reject"],
        "review --retire": ["review", "x1", "--retire"],
        "compact": ["compact"],
    }[cmd]


def api_call(cmd: str, tag: str, tmp: Path) -> Callable[[Workspace], Any]:
    from goldset.curation import (
        ScenarioFields,
        TagChange,
        add_edge_case,
        add_scenario,
        edit,
        edit_scenario,
        remove_edge_case,
        remove_scenario,
        review,
    )
    from goldset.curation import tag as tag_rows
    from goldset.ingest import import_file
    from goldset.workspace import compact

    f = ScenarioFields
    calls: dict[str, Callable[[Workspace], Any]] = {
        "import": lambda w: import_file(w.dataset(), write_jsonl(tmp / f"api-{tag}.jsonl", [{"id": f"api-imp-{tag}", "input": f"api {tag}"}])),
        "add": lambda w: add(w.dataset(), [{"id": f"api-add-{tag}", "input": f"api added {tag}"}]),
        "remove": lambda w: remove(w.dataset(), [f"rm2-{tag}"]),
        "scenario add": lambda w: add_scenario(w.dataset(), f"api_{tag}", f(priority="P2")),
        "scenario edit": lambda w: edit_scenario(w.dataset(), "greeting", f(owner=f"{tag}@x")),
        "scenario remove": lambda w: remove_scenario(w.dataset(), f"api_rm_{tag}"),
        "edge-case add": lambda w: add_edge_case(w.dataset(), f"api_e_{tag}"),
        "edge-case remove": lambda w: remove_edge_case(w.dataset(), f"api_erm_{tag}"),
        "tag --scenario": lambda w: tag_rows(w.dataset(), TagChange(add_scenarios=["greeting"]), ids=["x2"]),
        "tag --tier": lambda w: tag_rows(w.dataset(), TagChange(tier="monitor"), ids=["x2"]),
        "tag --edge-case": lambda w: tag_rows(w.dataset(), TagChange(add_edge_cases=["typo"]), ids=["x2"]),
        "tag --negative": lambda w: tag_rows(w.dataset(), TagChange(polarity="negative"), ids=["x2"]),
        "edit": lambda w: edit(w.dataset(), "x2", expected=f"api {tag}"),
        "review --approve": lambda w: review(w.dataset(), "approve", ids=["x2"]),
        "review --reject": lambda w: review(w.dataset(), "reject", ids=["x2"]),
        "review --retire": lambda w: review(w.dataset(), "retire", where="id = 'x2'"),
        "compact": lambda w: compact(w.dataset()),
    }
    return calls[cmd]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = make_ws(tmp_path / "ws", SPEC)
    admin = as_user(w, USERS["admin"])
    from goldset.curation import (
        ScenarioFields,
        add_edge_case,
        add_scenario,
    )

    for tag in TAGS:  # things each role's allowed run removes
        add_scenario(admin.dataset(), f"api_rm_{tag}", ScenarioFields(priority="P2"))
        add_edge_case(admin.dataset(), f"api_erm_{tag}")
    ds = as_user(w, USERS["admin"]).dataset()
    add(ds, [{"id": "x1", "input": "first"}, {"id": "x2", "input": "second"}])
    add(ds, [{"id": f"rm-{t}", "input": f"remove me {t}"} for t in TAGS])
    add(ds, [{"id": f"rm2-{t}", "input": f"remove me too {t}"} for t in TAGS])
    return w


def _state(w: Workspace) -> tuple[dict[str, bytes], bytes]:
    return store_bytes(w), (w.root / "goldset.yaml").read_bytes()


@pytest.mark.parametrize("role", TAGS)
def test_role_matrix_cli_and_api(ws: Workspace, role: str, run_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    user = USERS.get(role, NOBODY)
    monkeypatch.setenv("GOLDSET_USER", user)
    for cmd, roles in ALLOWED.items():
        allowed = role == "admin" or role in roles
        # CLI
        before = _state(ws)
        r = run_cli(*cli_args(cmd, role, tmp_path), "-C", str(ws.root))
        if allowed:
            assert r.exit_code == 0, (cmd, role, r.stderr)
        else:
            assert r.exit_code == 4, (cmd, role, r.exit_code, r.stderr)
            needed = NEEDS.get(cmd)
            if needed:
                assert f"needs role {needed}" in r.stderr, r.stderr
            assert "admin" in r.stderr and user in r.stderr
            assert _state(ws) == before, (cmd, role)
            last = audit_lines(ws)[-1]
            assert (last["user"], last["allowed"]) == (user, False), last
        # Python API, same checks
        before = _state(ws)
        call = api_call(cmd, role, tmp_path)
        w = as_user(ws, user)
        if allowed:
            call(w)
        else:
            with pytest.raises(PermissionDenied, match=r"needs role"):
                call(w)
            assert _state(ws) == before, (cmd, role)
            assert audit_lines(ws)[-1]["allowed"] is False


def test_reads_need_no_role(ws: Workspace, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOLDSET_USER", NOBODY)
    for args in (["scenario", "list"], ["scenario", "show", "greeting"], ["edge-case", "list"], ["audit"], ["list"]):
        r = run_cli(*args, "-C", str(ws.root))
        assert r.exit_code == 0, (args, r.stderr)
    # validating only reads: no role either (the matrix declares no "validate" action)
    r = run_cli("validate", "--exit-zero", "-C", str(ws.root))
    assert r.exit_code == 0, r.stderr


def test_every_declared_action_is_checked_by_some_write() -> None:
    """The matrix is true: each action it declares is asked for by the code (as a literal in a
    write path call or a field's owner), and each field's owner is a declared action."""
    import re

    from goldset.access import roles

    root = Path(roles.__file__).resolve().parent.parent
    code = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py") if p.name != "_roles.py")
    asked = set(re.findall(r'"([a-z_]+)"', code)) | set(roles.FIELD_ACTIONS.values())
    assert set(roles.ACTIONS) <= asked, sorted(set(roles.ACTIONS) - asked)
    assert set(roles.FIELD_ACTIONS.values()) <= set(roles.ACTIONS)
    with pytest.raises(ValueError, match="unknown action 'validate'"):
        roles.roles_for("validate")


def test_no_roles_means_everyone_may_do_everything(tmp_path: Path) -> None:
    from goldset.access import roles
    from goldset.curation import TagChange, tag
    from goldset.workspace import compact

    w = make_ws(tmp_path / "ws", SPEC.split("    roles:")[0])
    u = as_user(w, "stranger@example.com")
    add(u.dataset(), [{"id": "a", "input": "a"}])
    add(u.dataset(), [{"id": "b", "input": "b"}])
    tag(u.dataset(), TagChange(add_scenarios=["greeting"], tier="blocking", polarity="negative", add_edge_cases=["typo"]), ids=["a"])
    assert compact(u.dataset()).parts_written == 1
    assert all(roles.may(u.dataset().spec.roles, u.user, a) for a in roles.ACTIONS)
    assert all(e["allowed"] and e["role"] is None for e in audit_lines(w))


def test_denied_tag_names_every_needed_role(ws: Workspace) -> None:
    from goldset.curation import TagChange, tag

    pm = as_user(ws, USERS["pm"])
    # pm may tag scenarios but not polarity: the whole change is refused
    with pytest.raises(PermissionDenied, match=r"pm@example.com \(role pm\) may not mark examples negative.*needs role research or admin"):
        tag(pm.dataset(), TagChange(add_scenarios=["greeting"], polarity="negative"), ids=["x1"])
    assert pm.dataset().get("x1")["scenarios"] == []  # type: ignore[index]
    last = audit_lines(ws)[-1]
    assert (last["op"], last["role"], last["allowed"], last["ids"]) == ("polarity", "pm", False, ["x1"])
