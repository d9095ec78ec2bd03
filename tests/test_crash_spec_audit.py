"""kill -9 at random points of spec edits and audited writes: the spec is always the old or
the new document, never half; the audit log always verifies once the next write has run;
and every committed store generation has its record."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from goldset.access import audit
from goldset.ingest import add
from goldset.spec import load_spec
from goldset.workspace import Workspace, verify_audit


def _kill_loop(ws: Workspace, rounds: int) -> tuple[int, int]:
    rng = random.Random(7)
    env = {**os.environ, "GOLDSET_USER": "killer@example.com"}
    old, new = 0, 0
    for k in range(rounds):
        before = set(load_spec(ws.spec_path).datasets["support-bot"].scenarios)
        if k % 2 == 0:
            args = ["scenario", "add", f"s{k}", "--priority", "P2", "--description", "x" * 2000]
        else:
            args = ["add", f"row {k} " + "y" * 5000, "--id", f"k{k}"]
        proc = subprocess.Popen([sys.executable, "-m", "goldset", "-C", str(ws.root), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        time.sleep(rng.uniform(0.05, 1.2))  # the interpreter, pydantic and DuckDB start in ~0.3-0.8 s
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        after = set(load_spec(ws.spec_path).datasets["support-bot"].scenarios)  # always parses
        assert after in (before, before | {f"s{k}"}), f"round {k}: the spec is neither old nor new"
        if after == before:
            old += 1
        else:
            new += 1
        # The next audited write repairs a torn tail; then the chain and the commit's record hold.
        add(ws.dataset(), [{"id": f"probe{k}", "input": f"probe {k}"}])
        report = verify_audit(ws.dataset())
        assert report.ok, f"round {k}: {report.first_break}"
    return old, new


@pytest.mark.slow
def test_sigkill_during_spec_edits_and_audited_writes(bare_ws: Workspace) -> None:
    old, new = _kill_loop(bare_ws, rounds=30)
    assert old + new == 30
    assert old > 0 and new > 0  # the kill points really spanned the edit
    # every line that was ever appended is still there, each chained to the one before it
    assert audit.verify(bare_ws.dataset().audit_path).chained == len(list(audit.read(bare_ws.dataset().audit_path)))


def test_sigkill_during_spec_edits_and_audited_writes_quick(bare_ws: Workspace) -> None:
    old, new = _kill_loop(bare_ws, rounds=4)
    assert old + new == 4
    assert Path(bare_ws.spec_path).read_text(encoding="utf-8").startswith("version: 1")
