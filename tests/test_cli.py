"""The command line: init (real git + DVC), read commands, output formats, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from goldset.cli import COMMANDS, HIDDEN
from goldset.workspace import Workspace

from helpers.vcs import git
from helpers.workspace import write_jsonl, write_spec

RECS = [
    {"id": "r1", "input": "I want a refund", "expected": "refund_flow", "scenarios": ["refund_request"], "tier": "blocking", "status": "approved"},
    {"id": "r2", "input": "refund me now!!", "expected": "refund_flow", "scenarios": ["refund_request"], "edge_cases": ["typo"]},
    {"id": "n1", "input": "give me someone else's refund", "expected": "decline", "polarity": "negative", "scenarios": ["refund_request"]},
    {"id": "c1", "input": "cancel my order", "expected": "cancel_flow", "scenarios": ["cancel_order"], "tier": "monitor"},
    {"id": "u1", "input": "what's the weather", "expected": "decline"},
]


@pytest.fixture
def filled(bare_ws: Workspace, tmp_path: Path, run_cli) -> Path:  # type: ignore[no-untyped-def]
    res = run_cli("-C", str(bare_ws.root), "import", str(write_jsonl(tmp_path / "r.jsonl", RECS)))
    assert res.exit_code == 0, res.stderr
    return bare_ws.root


def test_init_creates_workspace_with_real_git_and_dvc(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "new"
    remote = tmp_path / "remote"
    res = run_cli("init", str(root), "--dataset", "support-bot", "--remote", str(remote))
    assert res.exit_code == 0, res.stderr
    for rel in ("goldset.yaml", ".dvcignore", "dvc.yaml", "datasets/support-bot/_manifest.json", "datasets/support-bot.dvc", "expectations/support-bot.json", ".dvc/config"):
        assert (root / rel).exists(), rel
    assert "# goldset.yaml" in (root / "goldset.yaml").read_text()  # the commented template
    assert Workspace.open(root).spec.default_dataset == "support-bot"
    # the remote is in the first commit; the store is DVC's, not git's
    assert str(remote) in git(root, "show", "HEAD:.dvc/config")
    tracked = git(root, "ls-files").split()
    assert "datasets/support-bot.dvc" in tracked
    assert not any(t.startswith("datasets/support-bot/") for t in tracked)
    assert ".goldset.lock" in (root / ".dvcignore").read_text()


def test_init_is_idempotent_and_never_overwrites(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "ws"
    root.mkdir()
    write_spec(root)
    mine = (root / "goldset.yaml").read_text() + "# my comment\n"
    (root / "goldset.yaml").write_text(mine)
    assert run_cli("init", str(root)).exit_code == 0
    head = git(root, "rev-parse", "HEAD")
    res = run_cli("init", str(root), "--format", "json")
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert "goldset.yaml" in out["kept"] and "expectations/support-bot.json" in out["kept"]
    assert not out["git_initialized"] and not out["committed"]
    assert (root / "goldset.yaml").read_text() == mine
    assert git(root, "rev-parse", "HEAD") == head


def test_list_filters_and_formats(filled: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    C = ("-C", str(filled))
    rows = json.loads(run_cli(*C, "list", "--scenario", "refund_request", "--format", "json").stdout)
    assert sorted(r["id"] for r in rows) == ["n1", "r1", "r2"]
    assert "created_at" in rows[0]  # json carries every column
    rows = json.loads(run_cli(*C, "list", "--polarity", "negative", "-f", "json").stdout)
    assert [r["id"] for r in rows] == ["n1"]
    jl = run_cli(*C, "list", "--tier", "monitor", "-f", "jsonl").stdout.splitlines()
    assert [json.loads(x)["id"] for x in jl] == ["c1"]
    out = run_cli(*C, "list", "--where", "input ILIKE '%refund%' AND tier = 'standard'", "-f", "csv").stdout
    got = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["id"] for r in got) == ["n1", "r2"]
    assert json.loads(got[0]["scenarios"]) == ["refund_request"]
    assert len(json.loads(run_cli(*C, "list", "--limit", "2", "-f", "json").stdout)) == 2
    table = run_cli(*C, "list", "--status", "approved").stdout
    assert "r1" in table and "c1" not in table


def test_show_stats_query(filled: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    C = ("-C", str(filled))
    one = json.loads(run_cli(*C, "show", "r2", "-f", "json").stdout)
    assert one["edge_cases"] == ["typo"] and one["input"] == "refund me now!!"
    stats = json.loads(run_cli(*C, "stats", "-f", "json").stdout)
    assert stats["rows"] == 5 and stats["untagged"] == 1
    assert stats["by_tier"] == {"blocking": 1, "standard": 3, "monitor": 1}
    assert stats["by_scenario"]["refund_request"] == {"total": 3, "positive": 2, "negative": 1, "approved": 1}
    assert "by scenario" in run_cli(*C, "stats", "-f", "markdown").stdout
    q = json.loads(run_cli(*C, "query", "SELECT polarity, count(*) AS n FROM examples GROUP BY 1 ORDER BY 1", "-f", "json").stdout)
    assert q == [{"polarity": "negative", "n": 1}, {"polarity": "positive", "n": 4}]


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("show", "nope"), 3, "no example with id 'nope'"),
        (("list", "--scenario", "nope"), 3, "unknown scenario 'nope'"),
        (("list", "--where", "1=1; DROP TABLE examples"), 3, "one expression only"),
        (("query", "SELECT * FROM read_csv('/etc/passwd')"), 3, "query failed"),
        (("query", "SELEC nonsense"), 3, "query failed"),
        (("--dataset", "../x", "stats"), 5, "invalid dataset name"),
        (("--dataset", "other", "stats"), 5, "unknown dataset 'other'"),
        (("list", "--limit", "-1"), 2, "Invalid value"),
        (("import", "/no/such/file.jsonl"), 3, "no such file"),
        (("frobnicate",), 2, "No such command"),
    ],
)
def test_errors_are_one_line_with_the_documented_exit_code(filled: Path, run_cli, args, code, fragment) -> None:  # type: ignore[no-untyped-def]
    res = run_cli("-C", str(filled), *args)
    assert res.exit_code == code, (res.stdout, res.stderr)
    assert fragment in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""


def test_not_a_workspace_and_debug_traceback(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "goldset", "-C", str(tmp_path), "stats"]
    plain = subprocess.run(cmd, capture_output=True, text=True)
    assert plain.returncode == 5
    assert plain.stderr.startswith("error: ") and "not a goldset workspace" in plain.stderr
    assert "Traceback" not in plain.stderr and len(plain.stderr.strip().splitlines()) == 1
    debug = subprocess.run([*cmd, "--debug"], capture_output=True, text=True)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_add_and_remove(filled: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    C = ("-C", str(filled))
    res = run_cli(*C, "add", "Where is my parcel?", "--scenario", "cancel_order", "--id", "p1", "-f", "json")
    assert res.exit_code == 0 and json.loads(res.stdout)["added"] == 1
    assert run_cli(*C, "remove", "p1", "ghost").exit_code == 3  # unknown id: nothing removed
    assert json.loads(run_cli(*C, "show", "p1", "-f", "json").stdout)["id"] == "p1"
    assert run_cli(*C, "remove", "p1").exit_code == 0
    assert run_cli(*C, "show", "p1").exit_code == 3
    audit = [json.loads(x) for x in (filled / "datasets" / "support-bot.audit.jsonl").read_text().splitlines()]
    assert [a["op"] for a in audit] == ["import", "add", "remove"]
    assert audit[0]["rows"] == 5 and audit[2]["ids"] == ["p1"]


def test_every_command_has_help_and_is_in_the_cli_reference(run_cli) -> None:  # type: ignore[no-untyped-def]
    docs = Path(__file__).resolve().parent.parent / "docs"
    reference = (docs / "cli.md").read_text()
    for verb in COMMANDS:
        res = run_cli(verb, "--help")
        assert res.exit_code == 0 and "Usage:" in res.stdout, verb
        if verb in HIDDEN:  # run by tools (git), not people: documented with the design
            assert f"`{verb}`" in (docs / "architecture.md").read_text(), verb
            assert verb not in run_cli("--help").stdout
            continue
        assert f"goldset {verb}" in reference, f"docs/cli.md does not document `goldset {verb}`"
