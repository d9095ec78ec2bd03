"""Runs end to end with real git and DVC: the CLI, snapshots that version runs, a clone that
pulls them, the stale-run refusal, the dvc.yaml launch stage and `dvc metrics diff`, roles,
the launch bar edited by a PM, and kills and races while a run is written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import edit, review, set_launch_bar, show_launch_bar
from goldset.errors import PermissionDenied, StaleRun, UsageError
from goldset.history import pull, snapshot
from goldset.ingest import add
from goldset.runs import add_run, find_run, list_runs, remove_run, run_report, runs_dir
from goldset.validation import launch
from goldset.workspace import Workspace

from helpers.cli import invoke
from helpers.vcs import BIN, dvc, env, git
from helpers.versions import V1_ROWS
from helpers.workspace import write_jsonl

#: Outputs for V1_ROWS's counted examples (approved: r1, r2, r3, n1, g1): r2 wrong.
OUTPUTS = [{"id": "r1", "output": "refund", "latency_ms": 120}, {"id": "r2", "output": "chit-chat", "latency_ms": 900},
           {"id": "r3", "output": "refund", "latency_ms": 80}, {"id": "n1", "output": "decline", "latency_ms": 50},
           {"id": "g1", "output": "hello", "latency_ms": 60}]
EXPECTED = {"r1": "refund", "r2": "refund", "r3": "refund", "g1": "hello"}


def _rows() -> list[dict[str, Any]]:
    return [{**r, "expected": r.get("expected", EXPECTED.get(r["id"]))} for r in V1_ROWS]


@pytest.fixture
def ws(git_ws: Workspace, tmp_path: Path) -> Workspace:
    """The seven V1 rows with expected labels, snapshotted, with a local DVC remote."""
    dvc(git_ws.root, "remote", "add", "-d", "storage", str(tmp_path / "remote"))
    add(git_ws.dataset(), _rows())
    snapshot(git_ws, None, "seven examples")
    return git_ws


def _outputs(tmp_path: Path, name: str, rows: list[dict[str, Any]] = OUTPUTS) -> Path:
    return write_jsonl(tmp_path / f"{name}.jsonl", rows)


def test_cli_adds_reports_compares_and_gates(ws: Workspace, tmp_path: Path) -> None:
    root = str(ws.root)
    r = invoke("-C", root, "run", "add", str(_outputs(tmp_path, "a")), "--name", "base", "--model", "m-1",
               "--param", "temperature=0", "-f", "json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert (info["counted"], info["answered"], info["passed"], info["params"]) == (5, 5, 4, {"temperature": "0"})
    assert info["data"] == ws.dataset().manifest().digest and info["commit"] == git(ws.root, "rev-parse", "HEAD").strip()

    r = invoke("-C", root, "run", "report", "base", "-f", "json")
    report = json.loads(r.stdout)
    refund = next(s for s in report["scenarios"] if s["id"] == "refund_request")
    assert (refund["n"], refund["passed"], refund["negatives"]["n"]) == (4, 3, 1)
    assert refund["verdict"] == "insufficient" and "4 example(s), the bar needs 10" in refund["reasons"][0]
    assert report["verdict"] == "insufficient"  # a blocking scenario without enough evidence is no pass
    assert invoke("-C", root, "run", "report", "base", "--fail").exit_code == 1

    md = invoke("-C", root, "run", "report", "base", "-f", "markdown").stdout
    assert "| refund_request |" in md and "not enough evidence" in md
    html = invoke("-C", root, "run", "report", "base", "-f", "html").stdout
    assert html.lstrip().lower().startswith("<!doctype html") and "refund_request" in html

    fixed = [dict(o, output="refund") if o["id"] == "r2" else o for o in OUTPUTS]
    assert invoke("-C", root, "run", "add", str(_outputs(tmp_path, "b", fixed)), "--name", "cand").exit_code == 0
    r = invoke("-C", root, "run", "compare", "base", "cand", "-f", "json", "--fail-on-regression", "P0")
    assert r.exit_code == 0, r.output
    cmp = json.loads(r.stdout)
    assert (cmp["paired"], cmp["overall"]["fixed"], cmp["overall"]["broken"]) == (5, 1, 0)
    assert cmp["overall"]["p_value"] == pytest.approx(1.0)  # one discordant pair proves nothing

    # The launch bar's minimum of evidence lowered by the PM's verb: now cand may launch.
    assert invoke("-C", root, "bar", "set", "--default", "--min-examples-for-verdict", "3").exit_code == 0
    assert invoke("-C", root, "bar", "set", "--priority", "P0", "--min-pass-rate", "0.9").exit_code == 0
    go = invoke("-C", root, "launch", "cand", "-f", "json")
    assert go.exit_code == 0, go.output
    verdict = json.loads(go.stdout)
    assert (verdict["passed"], verdict["run_verdict"], verdict["coverage_gate_passed"]) == (True, "pass", True)
    no_go = invoke("-C", root, "launch", "base")
    assert no_go.exit_code == 1
    assert "launch bar: scenario refund_request (P0): pass rate 75% (95% CI 30.1%-95.4%) is below 90%" in no_go.stderr
    listing = json.loads(invoke("-C", root, "run", "list", "-f", "json").stdout)
    assert [x["name"] for x in listing] == ["base", "cand"]
    latest = invoke("-C", root, "launch", "--latest", "-f", "json")
    assert json.loads(latest.stdout)["run"] == "cand"


def test_snapshot_versions_runs_and_a_clone_pulls_them(ws: Workspace, tmp_path: Path) -> None:
    ds = ws.dataset()
    add_run(ds, _outputs(tmp_path, "a"), "base")
    result = snapshot(ws, None, "first run")
    assert "runs/support-bot.dvc" in result.files and result.pushed
    assert git(ws.root, "check-ignore", "runs/support-bot").strip() == "runs/support-bot"

    clone = tmp_path / "clone"
    git(ws.root.parent, "clone", "-q", str(ws.root), str(clone))
    cws = Workspace.open(clone)
    with pytest.raises(Exception, match="goldset pull"):
        list_runs(cws.dataset())
    pulled = pull(cws)
    assert pulled.datasets[0].runs == "fetched"
    [info] = list_runs(cws.dataset())
    assert info.name == "base" and info.passed == 4
    assert run_report(cws.dataset(), "base").overall.passed == 4

    # A run removed, then snapshotted: the next version records no run.
    remove_run(ds, "base")
    snapshot(ws, None, "drop the run")
    assert json.loads(dvc(ws.root, "data", "status", "--json") or "{}").get("uncommitted") in (None, {})
    assert list_runs(ds) == []


def test_a_run_of_other_data_is_refused_naming_what_changed(ws: Workspace, tmp_path: Path) -> None:
    ds = ws.dataset()
    add_run(ds, _outputs(tmp_path, "a"), "base")
    # Reviewing again changes provenance only: the run still describes these examples.
    review(ds, "approve", ids=["r1"])
    report = run_report(ds, "base")
    assert report.staleness is not None and not report.staleness.stale
    assert report.staleness.data_then != report.staleness.data_now

    edit(ds, "r3", expected="refund_partial")  # a label fixed: the run's verdict on r3 is stale
    review(ds, "approve", ids=["r3"])
    with pytest.raises(StaleRun) as exc:
        launch(ds, "base")
    assert "1 changed" in str(exc.value) and "r3" in str(exc.value) and "\n" not in str(exc.value)
    accepted = launch(ds, "base", allow_stale=True)
    assert accepted.stale and accepted.allowed_stale
    assert any("stale run accepted" in f for f in accepted.failures)
    r = invoke("-C", str(ws.root), "launch", "base")
    assert r.exit_code == 1 and "examples changed since the run was evaluated: 1 changed (r3)" in r.stderr


def test_the_dvc_launch_stage_shows_a_models_change_per_scenario(ws: Workspace, tmp_path: Path) -> None:
    ds = ws.dataset()
    set_launch_bar(ds, "default", None, {"min_examples_for_verdict": 1})
    before = (ws.root / "dvc.yaml").read_text(encoding="utf-8")
    add_run(ds, _outputs(tmp_path, "a"), "base")
    stages = (ws.root / "dvc.yaml").read_text(encoding="utf-8")
    assert stages.startswith(before.rstrip("\n"))  # the stage is added; the rest stays byte for byte
    assert "launch:" in stages and "--latest --metrics reports/launch.json --exit-zero" in stages
    dvc(ws.root, "repro", "launch")
    first = json.loads((ws.root / "reports" / "launch.json").read_text(encoding="utf-8"))
    assert first["scenarios"]["refund_request"]["pass_rate"] == pytest.approx(0.75)
    committed = snapshot(ws, None, "base run").files  # the stage, its lock and its metrics go in too
    assert {"dvc.yaml", "dvc.lock", "reports/launch.json", "runs/support-bot.dvc"} <= set(committed)

    fixed = [dict(o, output="refund") if o["id"] == "r2" else o for o in OUTPUTS]
    add_run(ds, _outputs(tmp_path, "b", fixed), "cand")
    dvc(ws.root, "repro", "launch")
    diff = json.loads(dvc(ws.root, "metrics", "diff", "--json"))
    changes = diff["reports/launch.json"]
    assert changes["scenarios.refund_request.pass_rate"]["old"] == pytest.approx(0.75)
    assert changes["scenarios.refund_request.pass_rate"]["new"] == pytest.approx(1.0)
    assert "scenarios.greeting.pass_rate" not in changes  # unchanged scenarios stay out of the diff


def test_roles_who_may_add_runs_and_set_the_bar(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ws.spec_path.read_text(encoding="utf-8")
    roles = ("    roles: {pm@x.com: pm, res@x.com: research, eng@x.com: eng, admin@x.com: admin, "
             "tester@example.com: admin}\n")
    ws.spec_path.write_text(spec + roles, encoding="utf-8")
    audit = ws.dataset().audit_path

    def as_user(user: str) -> Workspace:
        return Workspace.open(ws.root, user=user)

    lines = len(audit.read_text(encoding="utf-8").splitlines())
    with pytest.raises(PermissionDenied, match="needs role eng or research or admin"):
        add_run(as_user("pm@x.com").dataset(), _outputs(tmp_path, "a"), "by-pm")
    entries = [json.loads(x) for x in audit.read_text(encoding="utf-8").splitlines()[lines:]]
    assert [(e["op"], e["allowed"], e["user"]) for e in entries] == [("runs", False, "pm@x.com")]
    assert not runs_dir(ws, "support-bot").exists() or not list(runs_dir(ws, "support-bot").iterdir())
    add_run(as_user("res@x.com").dataset(), _outputs(tmp_path, "a"), "by-research")
    add_run(as_user("eng@x.com").dataset(), _outputs(tmp_path, "a"), "by-eng")
    with pytest.raises(PermissionDenied):
        remove_run(as_user("nobody@x.com").dataset(), "by-eng")
    assert find_run(ws.dataset(), "by-eng")[0].added_by == "eng@x.com"

    with pytest.raises(PermissionDenied, match="change the launch bar"):
        set_launch_bar(as_user("res@x.com").dataset(), "priority", "P0", {"min_pass_rate": 0.9})
    set_launch_bar(as_user("pm@x.com").dataset(), "priority", "P0", {"min_pass_rate": 0.9})
    last = json.loads(audit.read_text(encoding="utf-8").splitlines()[-1])
    assert (last["op"], last["user"], last["detail"]["set"]) == ("bar-set", "pm@x.com", {"min_pass_rate": 0.9})


def test_bar_set_keeps_comments_and_none_removes_a_limit(ws: Workspace) -> None:
    ds = ws.dataset()
    before = ws.spec_path.read_text(encoding="utf-8")
    set_launch_bar(ds, "priority", "P0", {"min_pass_rate": 0.95, "max_p95_latency_ms": 2000})
    set_launch_bar(ds, "scenario", "refund_request", {"min_pass_rate": 0.99})
    set_launch_bar(ds, "tier", "standard", {"max_failures": 3})
    text = ws.spec_path.read_text(encoding="utf-8")
    assert [line for line in before.splitlines() if line.strip().startswith("#")] == \
        [line for line in text.splitlines() if line.strip().startswith("#")]
    bars = {(b.kind, b.id): b.bar for b in show_launch_bar(ws.dataset())}
    refund = bars[("scenario", "refund_request")]
    assert refund is not None and (refund.min_pass_rate, refund.max_p95_latency_ms) == (0.99, 2000)
    cancel = bars[("scenario", "cancel_order")]  # P1: no bar of its own
    assert cancel is not None and cancel.min_pass_rate is None
    blocking, standard = bars[("tier", "blocking")], bars[("tier", "standard")]
    assert blocking is not None and blocking.max_failures == 0  # the strictest tier's default
    assert standard is not None and standard.max_failures == 3 and bars[("tier", "monitor")] is None
    set_launch_bar(ws.dataset(), "scenario", "refund_request", {"min_pass_rate": None})
    refund = {(b.kind, b.id): b.bar for b in show_launch_bar(ws.dataset())}[("scenario", "refund_request")]
    assert refund is not None and refund.min_pass_rate == 0.95  # back to its priority's
    with pytest.raises(Exception, match="unknown scenario 'nope'"):
        set_launch_bar(ws.dataset(), "scenario", "nope", {"min_pass_rate": 0.5})
    with pytest.raises(Exception, match="spec invalid"):
        set_launch_bar(ws.dataset(), "default", None, {"min_pass_rate": 1.5})
    r = invoke("-C", str(ws.root), "bar", "set", "--priority", "P1", "--max-failures", "many")
    assert r.exit_code == 2 and "'many' is not a whole number" in r.stderr


def _big_outputs(tmp_path: Path, ds: Any, n: int) -> Path:
    rows = [{"id": f"b{i:06d}", "input": f"question number {i}", "expected": "yes", "status": "approved"} for i in range(n)]
    add(ds, rows)
    return write_jsonl(tmp_path / "big.jsonl", [{"id": r["id"], "output": "yes"} for r in rows])


def test_a_kill_mid_add_leaves_no_run_or_the_whole_run(ws: Workspace, tmp_path: Path) -> None:
    ds = ws.dataset()
    path = _big_outputs(tmp_path, ds, 60_000)
    here = runs_dir(ws, "support-bot")
    for i, delay in enumerate((0.3, 0.6, 0.9, 1.2, 1.6)):
        proc = subprocess.Popen([str(BIN / "goldset"), "-C", str(ws.root), "run", "add", str(path), "--name", f"k{i}"],
                                env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        names = sorted(p.name for p in here.iterdir()) if here.is_dir() else []
        assert all(n.endswith(".parquet") and not n.startswith(".") for n in names), names
        for n in names:  # every run there is whole: its footer and all its rows
            info = find_run(ds, n.removesuffix(".parquet"))[0]
            assert info.rows == 60_000 + 7 - 2  # the big rows plus the 5 counted V1 rows (2 drafts unanswered)
    # The temp files a kill left are outside the tracked directory, and the next add still works.
    add_run(ds, path, "after")
    assert find_run(ds, "after")[0].passed == 60_000


def test_two_adds_at_once_never_lose_or_mix_runs(ws: Workspace, tmp_path: Path) -> None:
    ds = ws.dataset()
    path = _big_outputs(tmp_path, ds, 20_000)
    cmd = [str(BIN / "goldset"), "-C", str(ws.root), "run", "add", str(path), "--name"]
    procs = [subprocess.Popen([*cmd, name], env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("x", "y", "x")]
    results = [(p.wait(), p.stderr.read() if p.stderr else "") for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 0, 2], results  # the second 'x' is refused, whole
    assert any("already exists" in err for rc, err in results if rc == 2)
    assert sorted(i.name for i in list_runs(ds)) == ["x", "y"]
    with pytest.raises(UsageError, match="invalid run name"):
        add_run(ds, path, "../escape")


def test_run_add_help_teaches() -> None:
    out = subprocess.run([sys.executable, "-m", "goldset", "run", "add", "--help"], capture_output=True, text=True, check=True).stdout
    for words in ("--map", "--partial", "--skip-unknown", "latency_ms", "no output"):
        assert words in out


def test_removing_a_scenario_removes_its_own_bar_and_scorer(ws: Workspace) -> None:
    from goldset.curation import ScenarioFields, add_scenario, remove_scenario

    ds = ws.dataset()
    add_scenario(ds, "billing", ScenarioFields(priority="P1"))
    set_launch_bar(ws.dataset(), "scenario", "billing", {"min_pass_rate": 0.9})
    spec = ws.spec_path.read_text(encoding="utf-8")
    ws.spec_path.write_text(spec + "    scoring: {scenarios: {billing: {method: contains}}}\n", encoding="utf-8")
    remove_scenario(ws.dataset(), "billing")
    ws.reload_spec()
    spec_now = ws.dataset().spec
    assert "billing" not in spec_now.launch_bar.scenarios and "billing" not in spec_now.scoring.scenarios


def test_a_partial_run_reports_but_never_launches(ws: Workspace, tmp_path: Path) -> None:
    ds = ws.dataset()
    set_launch_bar(ds, "default", None, {"min_examples_for_verdict": 1})
    add_run(ds, _outputs(tmp_path, "part", [o for o in OUTPUTS if o["id"] != "r2"]), "part", partial=True)
    report = run_report(ds, "part")
    assert (report.overall.n, report.overall.failed, report.verdict) == (4, 0, "pass")  # r2 left out, not failed
    result = launch(ds, "part")
    assert not result.passed and result.run_verdict == "pass"
    assert any("partial: 1 of 5 counted examples have no output" in f for f in result.failures)
    add_run(ds, _outputs(tmp_path, "whole", [o for o in OUTPUTS if o["id"] != "r2"]), "whole")
    whole = run_report(ds, "whole")  # without --partial the missing r2 is a failure ("no output")
    assert (whole.overall.n, whole.overall.failed, whole.overall.no_output) == (5, 1, 1)


def test_checking_out_a_commit_without_runs_drops_another_branchs_saved_runs(ws: Workspace, tmp_path: Path) -> None:
    """After `git checkout` to a commit that records no runs, `goldset pull` removes the runs a
    snapshot saved elsewhere (else the next snapshot here would record them) and keeps a run no
    snapshot saved; checking the branch out again brings its runs back."""
    git(ws.root, "checkout", "-q", "-b", "eval")
    add_run(ws.dataset(), _outputs(tmp_path, "a"), "on-branch")
    snapshot(ws, None, "a run on a branch")
    git(ws.root, "checkout", "-q", "main")
    assert [i.name for i in list_runs(ws.dataset())] == ["on-branch"]  # left behind by git checkout

    assert pull(ws).datasets[0].runs == "checked out"
    assert list_runs(ws.dataset()) == []
    add_run(ws.dataset(), _outputs(tmp_path, "b"), "unsaved")
    assert pull(ws).datasets[0].runs == "local changes"
    assert [i.name for i in list_runs(ws.dataset())] == ["unsaved"]

    remove_run(ws.dataset(), "unsaved")
    git(ws.root, "checkout", "-q", "-f", "eval")  # -f: the unsaved run's audit lines and stage on main go
    assert pull(ws).datasets[0].runs in ("checked out", "fetched")
    assert [i.name for i in list_runs(ws.dataset())] == ["on-branch"]


def test_the_servers_run_report_cache_follows_the_spec_and_the_file(ws: Workspace, tmp_path: Path) -> None:
    from goldset.service import _cache as cache

    ds = ws.dataset()
    set_launch_bar(ds, "default", None, {"min_examples_for_verdict": 1})
    add_run(ws.dataset(), _outputs(tmp_path, "a"), "cached")
    first = cache.run_report(ws.dataset(), "cached")
    assert cache.run_report(ws.dataset(), "cached") is first and first.verdict == "pass"
    set_launch_bar(ws.dataset(), "priority", "P0", {"min_pass_rate": 0.9})  # the spec changed
    stricter = cache.run_report(ws.dataset(), "cached")
    assert stricter is not first and stricter.verdict == "fail"
    fixed = [dict(o, output="refund") if o["id"] == "r2" else o for o in OUTPUTS]
    add_run(ws.dataset(), _outputs(tmp_path, "b", fixed), "cached", replace=True)  # the file changed
    assert cache.run_report(ws.dataset(), "cached").verdict == "pass"
