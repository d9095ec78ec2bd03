"""Merging two branches of a 1M-row store, each changing 1% of the rows, with ``git merge``
(goldset's merge driver does the row-level merge), against a DuckDB full outer join of the
same three versions, in the same run.

Setup (once per run, in a temp dir): the cached 1M-row store as a git + DVC workspace with
the merge driver installed, snapshotted as v1 on main. Branch ``a`` tags 1% of the rows with
an edge case (a PM's change); branch ``b`` fixes the label (``expected``) of another 1% and
adds 1,000 examples (a researcher's). Each branch is snapshotted.

Measured, 3 runs each, alternating, every run in a fresh process (peak RSS of its children,
git and the driver included):

* ``git merge b`` on ``a``: the whole merge, as a user runs it (git, the driver's own Python
  start, the three-way merge in DuckDB, the write of the merged parts, sealing, ``dvc add``);
  reset to ``a`` and its store checked out again before each run;
* baseline: one DuckDB query joining the three versions' Parquet files (full outer join on
  id, every column compared), the least any row-level merge must do.

    python -m bench merge
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.data import REPO, git_workspace, print_table, records

N = 1_000_000
GOAL_S, GOAL_MB = 5.0, 2048.0
RUNS = 3


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def build(tmp: Path) -> tuple[Path, dict[str, int]]:
    from goldset.curation import TagChange, tag
    from goldset.history import InitResult, install_merge_driver, pull, snapshot
    from goldset.ingest import import_file
    from goldset.workspace import Workspace

    root = git_workspace(tmp, N)
    install_merge_driver(root, InitResult(root=str(root), dataset="bench"))
    _git(root, "add", ".gitattributes")
    _git(root, "commit", "-qm", "merge driver")
    ws = Workspace.open(root)
    ds = ws.dataset("bench")
    _git(root, "checkout", "-qb", "a")
    tagged = tag(ds, TagChange(add_edge_cases=["multilingual"]),
                 where="hash(id) % 100 = 0 AND NOT list_contains(edge_cases, 'multilingual')").updated
    snapshot(ws, "bench", "a: 1% tagged")
    _git(root, "checkout", "-q", "main")
    pull(ws)
    _git(root, "checkout", "-qb", "b")
    fixes = tmp / "fixes.jsonl"
    with open(fixes, "w", encoding="utf-8") as f:
        for i, r in enumerate(records(N)):
            if i % 100 == 50:
                f.write(json.dumps({**r, "expected": f"{r['expected']}_v2"}) + "\n")
        for i, r in enumerate(records(1000)):
            f.write(json.dumps({**r, "id": f"new-{i}"}) + "\n")
    fixed = import_file(ds, fixes, on_duplicate="update")
    snapshot(ws, "bench", "b: 1% relabelled, 1,000 added")
    _git(root, "checkout", "-q", "a")
    pull(ws)
    return root, {"tagged on a": tagged, "relabelled on b": fixed.updated, "added on b": fixed.added}


_MERGE = """
import json, resource, subprocess, sys, time
root = sys.argv[1]
t = time.perf_counter()
p = subprocess.run(["git", "merge", "--no-edit", "b"], cwd=root, capture_output=True, text=True)
wall = time.perf_counter() - t
if p.returncode:
    sys.exit(p.stdout + p.stderr)
print(json.dumps({"s": wall, "mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

_JOIN = """
import json, resource, sys, time
import duckdb
from goldset.store import COLUMNS
base, ours, theirs = sys.argv[1:4]
cols = [c for c in COLUMNS if c != "id"]
same = " AND ".join(f"o.{c} IS NOT DISTINCT FROM t.{c}" for c in cols)
pick = ", ".join(f"{a}.{c} AS {a}_{c}" for c in cols for a in "bot")
t0 = time.perf_counter()
con = duckdb.connect()
sql = f'''SELECT count(*), count(*) FILTER (WHERE NOT ({same})) FROM (SELECT * FROM read_parquet('{ours}/*.parquet')) o
  FULL JOIN (SELECT * FROM read_parquet('{theirs}/*.parquet')) t ON o.id = t.id
  FULL JOIN (SELECT * FROM read_parquet('{base}/*.parquet')) b ON b.id = coalesce(o.id, t.id)'''
rows, differ = con.execute(sql).fetchone()
wall = time.perf_counter() - t0
print(json.dumps({"s": wall, "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rows": rows, "differ": differ}))
"""


def _isolated(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, check=False)
    if out.returncode:
        raise RuntimeError(out.stderr.strip()[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _sides(root: Path) -> tuple[str, str, str]:
    from goldset.history import materialize_dataset

    base = _git(root, "merge-base", "a", "b")
    paths = [materialize_dataset(root, _git(root, "rev-parse", rev), "bench") for rev in (base, "a", "b")]
    return str(paths[0]), str(paths[1]), str(paths[2])


def main() -> None:
    from goldset.history import pull
    from goldset.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="bench-merge-"))
    try:
        root, changes = build(tmp)
        tip = _git(root, "rev-parse", "a")
        sides = _sides(root)
        merges, joins = [], []
        for _ in range(RUNS):
            _git(root, "reset", "-q", "--hard", tip)
            pull(Workspace.open(root))
            merges.append(_isolated(_MERGE, str(root)))
            joins.append(_isolated(_JOIN, *sides))
        merged = Workspace.open(root).dataset("bench").manifest().rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    m_s, m_mb = statistics.median(r["s"] for r in merges), max(r["mb"] for r in merges)
    j_s, j_mb = statistics.median(r["s"] for r in joins), max(r["mb"] for r in joins)
    print(f"\nchanges: {changes}; merged rows: {merged:,}; the join found {int(joins[0]['differ']):,} ids differing "
          f"between a and b")
    print_table(f"merge: two branches of a {N:,}-row store (median of {RUNS}, peak RSS the max)", [
        {"what": "git merge b (driver: row-level merge, write, seal, dvc add)", "s": m_s, "peak MB": m_mb,
         "goal": f"<= {GOAL_S:.0f} s, <= {GOAL_MB:.0f} MB"},
        {"what": "baseline: DuckDB full outer join of the three versions", "s": j_s, "peak MB": j_mb, "goal": ""},
        {"what": "ratio", "s": m_s / j_s, "peak MB": m_mb / j_mb, "goal": ""},
    ])


if __name__ == "__main__":
    main()
