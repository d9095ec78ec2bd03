"""Reports belong to their commit: a snapshot writes reports/ from exactly the data it commits,
every report names the dataset, data digest and spec hash it describes, `dvc metrics diff`
shows only golden-set numbers, and `goldset log` has a gate for every version. Real git and
real DVC in tmp_path."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from goldset.coverage import compute_coverage
from goldset.curation import remove
from goldset.history import open_revision, snapshot, version_log
from goldset.ingest import add
from goldset.workspace import Workspace

from helpers.vcs import dvc, git, goldset_cli
from helpers.versions import V1_ROWS

DS = "support-bot"
REPORTS = ("coverage.json", "coverage.html", "validation.json", "metrics.json")


def _show(root: Path, rev: str, path: str) -> str:
    return git(root, "show", f"{rev}:{path}")


def _recorded_manifest(root: Path, rev: str) -> str:
    """The manifest digest a snapshot recorded in the .dvc file's meta at ``rev``."""
    data = YAML(typ="safe").load(_show(root, rev, f"datasets/{DS}.dvc"))
    digest = data["meta"]["goldset"]["manifest"]
    assert isinstance(digest, str) and len(digest) == 64
    return digest


def _spec_hash(root: Path, rev: str) -> str:
    raw = _show(root, rev, "goldset.yaml").encode("utf-8")
    return hashlib.sha256(raw).hexdigest()


def _committed(root: Path, rev: str) -> dict[str, Any]:
    """The reports committed at ``rev``: JSON ones parsed, the HTML as text."""
    out: dict[str, Any] = {}
    for name in REPORTS:
        text = _show(root, rev, f"reports/{name}")
        out[name] = text if name.endswith(".html") else json.loads(text)
    return out


def _html_attr(html: str, attr: str) -> str:
    found = re.search(rf'<footer id="subject"[^>]* data-{attr}="([^"]*)"', html)
    assert found, f"no data-{attr} in the footer"
    return found.group(1)


def _assert_describes_commit(root: Path, rev: str) -> dict[str, Any]:
    """Every report at ``rev`` names that commit's data and spec, and their verdicts agree."""
    reports = _committed(root, rev)
    data, spec = _recorded_manifest(root, rev), _spec_hash(root, rev)
    cov, html, val, metrics = (reports[n] for n in REPORTS)
    assert (cov["dataset"], cov["data"], cov["spec"]) == (DS, data, spec)
    assert (val["dataset"], val["data"], val["spec"]) == (DS, data, spec)
    assert (_html_attr(html, "dataset"), _html_attr(html, "data"), _html_attr(html, "spec")) == (DS, data, spec)
    assert data[:12] in html and spec[:12] in html  # shown in the footer text, not only attributes
    # One verdict, four files.
    passed = cov["gate"]["passed"]
    assert f'data-passed="{str(passed).lower()}"' in html
    assert ("Gate PASSED" if passed else "Gate FAILED") in html
    assert ("Gate FAILED" if passed else "Gate PASSED") not in html
    assert metrics["gate"] == {"pass": int(passed), "blocking_failures": len(cov["gate"]["failing"])}
    assert metrics["validation"] == {"pass": int(val["success"]), "errors": val["errors_failed"],
                                     "warnings": val["warnings_failed"]}
    assert metrics["rows"] == cov["rows"] == val["rows"]
    assert {k: v["examples"] for k, v in metrics["scenarios"].items()} == {s["id"]: s["counted"] for s in cov["scenarios"]}
    assert {k: v["pass"] for k, v in metrics["scenarios"].items()} == {s["id"]: int(s["verdict"] == "ok") for s in cov["scenarios"]}
    # Nothing machine- or run-specific in what is committed.
    assert "timings" not in val and val["suite"] == f"expectations/{DS}.json"
    assert str(root) not in json.dumps(reports)
    return reports


def test_snapshot_commits_reports_of_exactly_the_committed_data(git_ws: Workspace) -> None:
    root = git_ws.root
    ds = git_ws.dataset()
    # A stale page in the working tree must not survive into the commit, nor block it: a report
    # left with conflict markers by a merge is regenerated like any other.
    (root / "reports" / "coverage.html").write_text("<h1>Gate PASSED</h1>", encoding="utf-8")
    (root / "reports" / "metrics.json").write_text('<<<<<<< ours\n{"rows": 1}\n=======\n{"rows": 2}\n>>>>>>> theirs\n',
                                                   encoding="utf-8")
    add(ds, [r for r in V1_ROWS if r["id"] != "n1"])  # the only refund negative left out: P0 gate fails
    result = snapshot(git_ws, None, "without negatives")
    assert result.committed and result.reports is not None
    assert {f"reports/{n}" for n in REPORTS} <= set(result.files)

    reports = _assert_describes_commit(root, "HEAD")
    assert reports["coverage.json"]["gate"] == {"blocking_priorities": ["P0"], "passed": False, "failing": ["refund_request"]}
    assert result.reports.data == reports["coverage.json"]["data"] and not result.reports.gate_passed
    # The working store is the version the reports describe.
    working = hashlib.sha256((ds.path / "_manifest.json").read_bytes()).hexdigest()
    assert working == reports["coverage.json"]["data"]
    assert reports["metrics.json"]["rows"] == 6 and reports["metrics.json"]["negatives"] == 0
    assert reports["metrics.json"]["approved"] == 4 and reports["metrics.json"]["drafts"] == 2
    assert git(root, "status", "--porcelain", "--", "reports") == ""


def test_a_store_change_and_snapshot_update_the_reports(git_ws: Workspace) -> None:
    root = git_ws.root
    ds = git_ws.dataset()
    add(ds, [r for r in V1_ROWS if r["id"] != "n1"])
    snapshot(git_ws, None, "v1", tag="v1")
    first = _committed(root, "v1")

    add(ds, [r for r in V1_ROWS if r["id"] == "n1"])  # the refund negative: P0 gate now passes
    result = snapshot(git_ws, None, "v2", tag="v2")
    assert result.committed
    second = _assert_describes_commit(root, "v2")
    assert second["coverage.json"]["data"] != first["coverage.json"]["data"]
    assert second["coverage.json"]["gate"]["passed"] is True and first["coverage.json"]["gate"]["passed"] is False
    assert second["metrics.json"]["scenarios"]["refund_request"] == {"examples": 4, "pass": 1}
    # The first version's reports are untouched and still describe the first version.
    _assert_describes_commit(root, "v1")
    assert _committed(root, "v1") == first

    # Nothing new: the same data and spec give the same bytes, so no commit and a clean tree.
    head = git(root, "rev-parse", "HEAD").strip()
    again = snapshot(Workspace.open(root), None, "nothing new")
    assert not again.committed and git(root, "rev-parse", "HEAD").strip() == head
    assert git(root, "status", "--porcelain", "--", "reports") == ""


def test_failing_validation_and_gate_do_not_stop_a_snapshot(git_ws: Workspace, run_cli: Any) -> None:
    root = git_ws.root
    # Two positives share an input but expect different outputs: a label conflict (error).
    add(git_ws.dataset(), [
        {"id": "a", "input": "Cancel my order", "expected": "cancel", "scenarios": ["cancel_order"]},
        {"id": "b", "input": "cancel my order", "expected": "refund", "scenarios": ["cancel_order"]},
    ])
    result = snapshot(git_ws, None, "conflicting labels")
    assert result.committed and result.reports is not None
    assert not result.reports.validation_passed and not result.reports.gate_passed
    reports = _assert_describes_commit(root, "HEAD")
    assert reports["validation.json"]["success"] is False
    assert reports["metrics.json"]["validation"]["errors"] >= 1
    conflict = next(r for r in reports["validation.json"]["results"] if r["check"] == "label-conflict")
    assert conflict["success"] is False
    # The Markdown forms say what they describe in their footers, as the committed reports do.
    subject = f"dataset {DS}, data {_recorded_manifest(root, 'HEAD')[:12]}, spec {_spec_hash(root, 'HEAD')[:12]}"
    for verb in (["validate", "--exit-zero"], ["coverage"]):
        r = run_cli(*verb, "-C", str(root), "-f", "markdown")
        assert r.exit_code == 0, r.stderr
        footer = r.stdout.rstrip().splitlines()[-1]
        assert footer.startswith("<sub>") and subject in footer, (verb, footer)


def _strip_meta(root: Path) -> None:
    """Make the .dvc file look like one written before goldset recorded its meta."""
    path = root / "datasets" / f"{DS}.dvc"
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    data.pop("meta", None)
    with open(path, "w", encoding="utf-8") as f:
        yaml.dump(data, f)


def test_log_has_a_gate_for_every_version(git_ws: Workspace) -> None:
    root = git_ws.root
    ds = git_ws.dataset()
    add(ds, V1_ROWS)
    snapshot(git_ws, None, "seven examples")  # gate passes; reports committed
    # A version committed by hand (old goldset, or plain `dvc add`): no goldset meta in the
    # .dvc file, and the reports in the commit are the previous version's (stale).
    add(ds, [{"id": "r4", "input": "Refund the duplicate charge", "scenarios": ["refund_request"], "status": "approved"}])
    remove(ds, ["n1"])  # the only refund negative: this version's gate fails
    dvc(root, "add", "-q", f"datasets/{DS}")
    _strip_meta(root)
    git(root, "add", f"datasets/{DS}.dvc")
    git(root, "commit", "-q", "-m", "by hand")

    proc = goldset_cli(root, "log", "-f", "json", check=True)
    log = json.loads(proc.stdout)
    versions = {v["message"]: v for v in log["versions"]}
    assert list(versions) == ["by hand", "seven examples", "goldset init"]
    assert all(v["gate"] in ("pass", "fail") for v in log["versions"]), log
    assert log["problems"] == []
    assert (versions["seven examples"]["gate"], versions["seven examples"]["gate_source"]) == ("pass", "report")
    # The committed report describes the previous data: not used; computed on the revision.
    assert (versions["by hand"]["gate"], versions["by hand"]["gate_source"]) == ("fail", "computed")
    assert versions["by hand"]["rows"] == 7
    # The init commit has no report at all: computed (an empty set fails the P0 bar).
    assert (versions["goldset init"]["gate"], versions["goldset init"]["gate_source"]) == ("fail", "computed")
    # The computed gate is the one coverage gives on that revision.
    past = open_revision(Workspace.open(root), "HEAD").dataset()
    assert versions["by hand"]["data"] == hashlib.sha256((past.path / "_manifest.json").read_bytes()).hexdigest()
    assert compute_coverage(past).gate.passed is False

    # Computed once, then kept by data and spec: a second log reads the cache. Flip the
    # cached verdict and the log follows it (it did not compute again).
    spec = _spec_hash(root, "HEAD")
    cached = root / ".goldset" / "cache" / "gates" / f"{versions['by hand']['data']}-{spec}.json"
    doc = json.loads(cached.read_text())
    assert doc["passed"] is False and doc["dataset"] == DS
    doc["passed"] = True
    cached.write_text(json.dumps(doc))
    again = version_log(Workspace.open(root))
    assert [(v.message, v.gate, v.gate_source) for v in again.versions] == [
        ("by hand", "pass", "computed"), ("seven examples", "pass", "report"), ("goldset init", "fail", "computed")]


def test_dvc_metrics_diff_shows_only_golden_set_numbers(git_ws: Workspace) -> None:
    root = git_ws.root
    ds = git_ws.dataset()
    add(ds, V1_ROWS)
    snapshot(git_ws, None, "seven", tag="v1")
    add(ds, [
        {"id": "k1", "input": "Please cancel the order I placed", "scenarios": ["cancel_order"], "status": "approved"},
        {"id": "k2", "input": "Stop my order from shipping", "scenarios": ["cancel_order"], "status": "approved"},
        {"id": "k3", "input": "Cancel it, but it was a gift", "scenarios": ["cancel_order"]},
    ])
    snapshot(Workspace.open(root), None, "three cancels", tag="v2")

    diff = json.loads(dvc(root, "metrics", "diff", "v1", "v2", "--json"))
    assert list(diff) == ["reports/metrics.json"]
    changes = {key: (c["old"], c["new"]) for key, c in diff["reports/metrics.json"].items()}
    assert changes == {
        "rows": (7, 10),
        "approved": (5, 7),
        "drafts": (2, 3),
        "scenarios.cancel_order.examples": (0, 2),
        "scenarios.cancel_order.pass": (0, 1),
    }
    shown = json.loads(dvc(root, "metrics", "show", "--json"))
    text = json.dumps(shown)
    for noise in ("time", "_at", "_s\"", "suite", "path", "version", str(root)):
        assert noise not in text, noise

    # The pipeline rebuilds the same files the snapshot committed (same data, same spec).
    out = dvc(root, "repro")
    assert "Running stage 'reports'" in out
    assert git(root, "status", "--porcelain", "--", "reports") == ""


def test_reports_verb_writes_what_a_snapshot_commits(git_ws: Workspace) -> None:
    root = git_ws.root
    add(git_ws.dataset(), V1_ROWS)
    snapshot(git_ws, None, "seven")
    for name in REPORTS:
        (root / "reports" / name).unlink()
    proc = goldset_cli(root, "reports", check=True)
    assert "coverage gate PASSED" in proc.stderr
    assert git(root, "status", "--porcelain", "--", "reports") == ""
    # A past version's reports, regenerated elsewhere, are the ones committed with it.
    out = root.parent / "old-reports"
    goldset_cli(root, "reports", "--rev", "HEAD", "--dir", str(out), check=True)
    for name in REPORTS:
        assert (out / name).read_text(encoding="utf-8") == _show(root, "HEAD", f"reports/{name}"), name
    refused = goldset_cli(root, "reports", "--rev", "HEAD")
    assert refused.returncode == 2 and "read-only" in refused.stderr
