"""The one write path: every public write verb refuses a past revision before touching a file,
checks the role, and leaves its audit line; no verb can skip it.

The verbs are taken from ``goldset.__all__``: a public function that this file does not
classify as a read or a write fails the completeness test, so a new verb cannot slip past
the read-only regression test.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import goldset
from goldset.errors import PermissionDenied, ReadOnly
from goldset.history import init_workspace, open_revision, snapshot
from goldset.workspace import Dataset, Workspace

SPEC = """\
version: 1
default_dataset: support-bot
datasets:
  support-bot:
    tiers: [blocking, standard, monitor]
    edge_cases: {typo: Misspellings}
    scenarios:
      refund_request: {description: Refunds, priority: P0}
      greeting: {description: Hello, priority: P2}
"""

#: Every public write verb, called with arguments that would change a writable dataset.
WRITES: dict[str, Callable[[Dataset, Path], Any]] = {
    "add": lambda ds, tmp: goldset.add(ds, [{"id": "new", "input": "a new example"}]),
    "import_file": lambda ds, tmp: goldset.import_file(ds, _jsonl(tmp)),
    "tag": lambda ds, tmp: goldset.tag(ds, goldset.TagChange(add_edge_cases=["typo"]), ids=["r1"]),
    "update": lambda ds, tmp: goldset.update(ds, ["r1"], tier="blocking"),
    "edit": lambda ds, tmp: goldset.edit(ds, "r1", expected="changed"),
    "remove": lambda ds, tmp: goldset.remove(ds, ["r1"]),
    # back to the init commit's empty store: it would remove the three rows
    "restore": lambda ds, tmp: goldset.restore(ds.workspace, ds.name, "v1~1"),
    "review": lambda ds, tmp: goldset.review(ds, "approve", ids=["r1"]),
    "compact": lambda ds, tmp: goldset.compact(ds, part_rows=1000),
    "add_scenario": lambda ds, tmp: goldset.add_scenario(ds, "billing", goldset.ScenarioFields(priority="P1")),
    "edit_scenario": lambda ds, tmp: goldset.edit_scenario(ds, "greeting", goldset.ScenarioFields(priority="P1")),
    "remove_scenario": lambda ds, tmp: goldset.remove_scenario(ds, "greeting", untag=True),
    "add_edge_case": lambda ds, tmp: goldset.add_edge_case(ds, "multilingual", "Non-English"),
    "remove_edge_case": lambda ds, tmp: goldset.remove_edge_case(ds, "typo", untag=True),
    "generate_suite": lambda ds, tmp: goldset.generate_suite(ds),
    "snapshot": lambda ds, tmp: goldset.snapshot(ds.workspace, ds.name, "must not happen"),
    "pull": lambda ds, tmp: goldset.pull(ds.workspace, ds.name, force=True),
    "merge": lambda ds, tmp: goldset.merge(ds.workspace, ds.name, resolve="theirs"),
    # "refund number 0/1/2": 2 words of 4 in common; retiring all but the oldest changes two rows
    "find_near_duplicates": lambda ds, tmp: goldset.find_near_duplicates(ds, threshold=0.5, retire=True),
    "redact_pii": lambda ds, tmp: goldset.redact_pii(ds, ["r0"]),
    "add_run": lambda ds, tmp: goldset.add_run(ds, _run_file(tmp), "a-run"),
    "remove_run": lambda ds, tmp: goldset.remove_run(ds, "a-run"),
    "set_launch_bar": lambda ds, tmp: goldset.set_launch_bar(ds, "priority", "P0", {"min_pass_rate": 0.9}),
}
#: Public functions that only read (or create a workspace from nothing).
READS = {
    "list_examples", "run_query", "show", "stats", "compute_coverage", "check_gate", "validate",
    "run_check", "diff", "version_log", "open_revision", "init_workspace",
    "find_leakage", "leakage_gate",
    "list_runs", "run_report", "compare_runs", "launch", "show_launch_bar",
    # doctor reads; its repair of a damaged store goes through guarding() (tested with doctor)
    "doctor",
}


def _jsonl(tmp: Path) -> Path:
    path = tmp / "more.jsonl"
    path.write_text(json.dumps({"id": "imp", "input": "imported"}) + "\n", encoding="utf-8")
    return path


def _run_file(tmp: Path) -> Path:
    path = tmp / "run.jsonl"
    path.write_text(json.dumps({"id": "r1", "output": "x"}) + "\n", encoding="utf-8")
    return path


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git/" not in str(p)
    }


@pytest.fixture(scope="module")
def versioned(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A real git + DVC workspace with three rows, snapshotted as v1."""
    root = tmp_path_factory.mktemp("write-path") / "ws"
    root.mkdir()
    (root / "goldset.yaml").write_text(SPEC, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOLDSET_USER", "tester@example.com")
        for k in ("GIT_AUTHOR", "GIT_COMMITTER"):
            mp.setenv(f"{k}_NAME", "tester")
            mp.setenv(f"{k}_EMAIL", "tester@example.com")
        init_workspace(root, "support-bot")
        ws = Workspace.open(root)
        goldset.add(ws.dataset(), [{"id": f"r{i}", "input": f"refund number {i}", "scenarios": ["greeting"],
                                    "edge_cases": ["typo"]} for i in range(3)])
        snapshot(ws, None, "three rows", tag="v1")
    return ws


def test_every_public_function_is_classified() -> None:
    functions = {
        name for name in goldset.__all__
        if inspect.isfunction(getattr(goldset, name)) and not name.startswith("_")
    }
    unclassified = functions - set(WRITES) - READS
    assert not unclassified, f"classify these as reads or writes in {__file__}: {sorted(unclassified)}"
    assert set(WRITES) <= functions


@pytest.mark.parametrize("verb", sorted(WRITES))
def test_every_write_verb_refuses_a_past_revision(verb: str, versioned: Workspace, tmp_path: Path) -> None:
    past = open_revision(versioned, "v1")
    ds = past.dataset()
    ds.files()  # materialize the revision before taking the fingerprints
    cache_before = _tree_digest(past.root)
    store_before = _tree_digest(ds.path)
    work_before = _tree_digest(versioned.root)
    with pytest.raises(ReadOnly, match=r"at v1 .* is read-only"):
        WRITES[verb](ds, tmp_path)
    assert _tree_digest(past.root) == cache_before, "the materialized spec, suite or audit log changed"
    assert _tree_digest(ds.path) == store_before, "the revision's store changed"
    assert _tree_digest(versioned.root) == work_before, "the working copy changed"


#: Writes that need no role: pull changes no golden data, only which committed version is
#: checked out (as anyone may `git checkout`).
NO_ROLE = {"pull"}


#: Writes every role may do (only a reader, with no role, may not): tested on their own.
EVERY_ROLE = {"merge"}  # tests/test_merge.py: a reader is refused


@pytest.mark.parametrize("verb", sorted(set(WRITES) - {"snapshot"} - NO_ROLE - EVERY_ROLE))
def test_every_write_verb_checks_the_role_and_audits_the_refusal(verb: str, versioned: Workspace, tmp_path: Path) -> None:
    # A copy of the working copy where the acting user has a role that may not do the verb:
    # eng may do neither curation nor imports; the machinery (compact, suites) is eng's own.
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(versioned.root, root, symlinks=True)
    role = "research" if verb in ("compact", "generate_suite") else "pm" if verb in ("add_run", "remove_run") else "eng"
    spec = (root / "goldset.yaml").read_text(encoding="utf-8")
    (root / "goldset.yaml").write_text(spec + f"    roles: {{admin@example.com: admin, nobody@example.com: {role}}}\n", encoding="utf-8")
    ws = Workspace(root, user="nobody@example.com")
    ds = ws.dataset()
    audit = ds.audit_path
    lines_before = audit.read_text(encoding="utf-8").splitlines() if audit.exists() else []
    store_before = _tree_digest(ds.path)
    with pytest.raises(PermissionDenied, match=r"nobody@example\.com"):
        WRITES[verb](ds, tmp_path)
    assert _tree_digest(ds.path) == store_before
    new = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()[len(lines_before):]]
    assert [(e["user"], e["allowed"]) for e in new] == [("nobody@example.com", False)]
