"""The git workflow at 1M rows: what the checked-out check costs a command.

Setup (once per run, in a temp dir): the cached 1M-row store is made a real git + DVC
workspace and snapshotted, so its ``.dvc`` file records the version. Then:

* in process, 2,000 times each, alternating: ``Dataset.manifest()`` (reads and checks the
  manifest, then checks it against the ``.dvc`` record) against ``Store.read_manifest()``
  (the same read without the check), the baseline;
* ``goldset stats`` as a whole process, 9 runs each, alternating: with the ``.dvc`` file in
  place (checked) against the same workspace with the ``.dvc`` file moved away (no check).

    python -m bench git
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.data import git_workspace, print_table

N = 1_000_000
GOAL_MS = 20.0


def build(tmp: Path) -> Path:
    return git_workspace(tmp, N)


def _in_process(root: Path, runs: int = 2000) -> tuple[float, float]:
    from goldset.workspace import Workspace

    ds = Workspace.open(root).dataset("bench")
    checked, plain = [], []
    for _ in range(runs):
        t = time.perf_counter()
        ds.manifest()
        checked.append(time.perf_counter() - t)
        t = time.perf_counter()
        ds.store.read_manifest()
        plain.append(time.perf_counter() - t)
    return statistics.median(checked) * 1000, statistics.median(plain) * 1000


def _cli(root: Path, runs: int = 9) -> tuple[float, float]:
    goldset = Path(sys.executable).parent / "goldset"
    dvc_file = root / "datasets" / "bench.dvc"
    aside = root / "bench.dvc.aside"
    checked, plain = [], []
    for _ in range(runs):
        for bucket in (checked, plain):
            if bucket is plain:
                dvc_file.rename(aside)
            t = time.perf_counter()
            subprocess.run([str(goldset), "-C", str(root), "stats", "-f", "json"], check=True, capture_output=True)
            bucket.append(time.perf_counter() - t)
            if bucket is plain:
                aside.rename(dvc_file)
    return statistics.median(checked) * 1000, statistics.median(plain) * 1000


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-git-"))
    try:
        root = build(tmp)
        lib_checked, lib_plain = _in_process(root)
        cli_checked, cli_plain = _cli(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = [
        {"what": "read the manifest (in process, median of 2,000)", "checked ms": lib_checked,
         "baseline ms": lib_plain, "added ms": lib_checked - lib_plain, "goal ms": f"<= {GOAL_MS:.0f}"},
        {"what": "goldset stats (whole process, median of 9)", "checked ms": cli_checked,
         "baseline ms": cli_plain, "added ms": cli_checked - cli_plain, "goal ms": f"<= {GOAL_MS:.0f}"},
    ]
    print_table(f"git: the checked-out check on a {N:,}-row store", rows)


if __name__ == "__main__":
    main()
