"""The DVC `reports` stage: `dvc repro` writes reports/coverage.json (and the other reports);
`dvc metrics diff` shows how per-scenario counts moved between commits (reports/metrics.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from goldset.ingest import add
from goldset.workspace import Workspace

from helpers.vcs import dvc, git


def _commit(root: Path, message: str, data: bool = True) -> None:
    if data:
        dvc(root, "add", "-q", "datasets/support-bot")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def _row(id_: str, scenarios: list[str], polarity: str = "positive") -> dict[str, Any]:
    return {"id": id_, "input": f"text {id_}", "expected": "x", "scenarios": scenarios,
            "polarity": polarity, "status": "approved"}


def test_repro_and_metrics_diff(git_ws: Workspace) -> None:
    root = git_ws.root
    ds = git_ws.dataset()
    add(ds, [_row("a", ["refund_request"]), _row("b", ["refund_request"]), _row("c", ["refund_request"], "negative")])
    _commit(root, "three refunds")

    dvc(root, "repro", "reports")
    report = json.loads((root / "reports" / "coverage.json").read_text())
    assert report["metrics"]["scenarios"]["refund_request"]["counted"] == 3
    assert report["metrics"]["scenarios"]["cancel_order"]["counted"] == 0
    assert report["gate"]["passed"] is True  # refund_request (P0) has 3 examples, 1 negative
    _commit(root, "coverage report", data=False)

    # A tagging change: example b also covers cancel_order.
    add(Workspace.open(root).dataset(), [_row("b", ["refund_request", "cancel_order"])], on_duplicate="update")
    dvc(root, "repro", "reports")
    report = json.loads((root / "reports" / "coverage.json").read_text())
    assert report["metrics"]["scenarios"]["cancel_order"]["counted"] == 1
    _commit(root, "tag b as cancel_order")

    diff = json.loads(dvc(root, "metrics", "diff", "HEAD~1", "HEAD", "--json"))
    changes = diff["reports/metrics.json"]
    assert changes["scenarios.cancel_order.examples"]["old"] == 0
    assert changes["scenarios.cancel_order.examples"]["new"] == 1
    assert changes["scenarios.cancel_order.examples"]["diff"] == 1
    # refund_request did not change, so it is not in the diff of numbers.
    assert "scenarios.refund_request.examples" not in changes
