"""Versions at 1M rows: `diff` between two snapshots with 1% of rows changed, and reading a
past revision, each against a plain-DuckDB baseline measured in the same run.

Setup (once per run, in a temp dir): the cached 1M-row store is made a real git + DVC
workspace, snapshot v1; 1% of the rows (every id whose hash is 0 mod 100, spread over every
part) get a status change; snapshot v2. Then, each in a fresh interpreter (fair peak RSS):

* diff v1 -> v2, cold: both revisions are fetched from the DVC cache first;
* diff v1 -> v2, warm (revisions already materialized), with and without the coverage delta;
* baseline: one DuckDB FULL OUTER JOIN of the two sets of Parquet files, counting added,
  removed and changed rows over every column (no per-field counts, no coverage);
* read v1 (all 1M rows into Arrow through `Workspace.at`), cold and warm;
* baseline: DuckDB `read_parquet` of the same local files into Arrow.

    python -m bench versions
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.data import git_workspace, print_table, run_isolated

N = 1_000_000
GOAL_DIFF, GOAL_READ = 3.0, 2.0


def build(tmp: Path) -> Path:
    """A git + DVC workspace holding v1 (the cached store) and v2 (1% of rows changed)."""
    from goldset.history import snapshot
    from goldset.store import db
    from goldset.workspace import Workspace, writing

    root = git_workspace(tmp, N)
    ws = Workspace.open(root)
    ds = ws.dataset("bench")
    con = db.connect()
    flip = "CASE WHEN status = 'approved' THEN 'retired' ELSE 'approved' END"
    with writing(ds, op="review") as w:
        result = w.rewrite(con, "hash(id) % 100 = 0", {"status": flip})
    con.close()
    snapshot(ws, "bench", f"v2: {result.updated} rows changed", tag="v2")
    return root


_DIFF = """
import json, time
from bench.data import peak_rss_mb
import duckdb, pyarrow, goldset.coverage, goldset.history  # imports are not the work measured
from goldset.history import diff
from goldset.workspace import Workspace
t = time.perf_counter()
r = diff(Workspace.open({root!r}), "bench", "v1", "v2", coverage={coverage})
print(json.dumps({{"s": time.perf_counter() - t, "rss": peak_rss_mb(), "changed": r.changed,
                   "added": r.added, "removed": r.removed}}))
"""

_READ = """
import json, time
from bench.data import peak_rss_mb
import duckdb, pyarrow, goldset.history  # imports are not the work measured
from goldset.history import open_revision
from goldset.workspace import Workspace
t = time.perf_counter()
table = open_revision(Workspace.open({root!r}), "v1").dataset("bench").query("SELECT * FROM examples")
print(json.dumps({{"s": time.perf_counter() - t, "rss": peak_rss_mb(), "rows": table.num_rows}}))
"""

_BASE_DIFF = """
import json, time, duckdb, pyarrow
from bench.data import peak_rss_mb
from goldset.store import COLUMNS
a, b = {a!r}, {b!r}
t = time.perf_counter()
con = duckdb.connect()
diff = " OR ".join(f"x.{{c}} IS DISTINCT FROM y.{{c}}" for c in COLUMNS if c != "id")
row = con.execute(f'''SELECT count(*) FILTER (WHERE x.id IS NULL), count(*) FILTER (WHERE y.id IS NULL),
    count(*) FILTER (WHERE x.id IS NOT NULL AND y.id IS NOT NULL AND ({{diff}}))
    FROM read_parquet({{a}}) x FULL OUTER JOIN read_parquet({{b}}) y ON x.id = y.id''').fetchone()
print(json.dumps({{"s": time.perf_counter() - t, "rss": peak_rss_mb(), "added": row[0], "removed": row[1], "changed": row[2]}}))
"""

_BASE_READ = """
import json, time, duckdb, pyarrow
from bench.data import peak_rss_mb
t = time.perf_counter()
table = duckdb.connect().sql("SELECT * FROM read_parquet({files!r})").to_arrow_table()
print(json.dumps({{"s": time.perf_counter() - t, "rss": peak_rss_mb(), "rows": table.num_rows}}))
"""


def _files(root: Path, rev: str) -> list[str]:
    from goldset.history import open_revision
    from goldset.workspace import Workspace

    return open_revision(Workspace.open(root), rev).dataset("bench").files()


def _row(case: str, out: dict[str, Any], goal: float | None, note: str = "") -> dict[str, Any]:
    verdict = "" if goal is None else ("yes" if out["s"] <= goal else "NO")
    return {"case": case, "time s": out["s"], "peak RSS MB": out["rss"], "within goal": verdict, "result": note}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="goldset-bench-versions-") as tmp:
        root = build(Path(tmp))
        cache = root / ".goldset"
        rows: list[dict[str, Any]] = []

        shutil.rmtree(cache, ignore_errors=True)
        cold = run_isolated(_DIFF.format(root=str(root), coverage=True))
        rows.append(_row("goldset diff v1 v2, cold (fetch both from DVC cache)", cold, GOAL_DIFF,
                         f"{cold['changed']:,} changed, {cold['added']} added, {cold['removed']} removed"))
        warm = run_isolated(_DIFF.format(root=str(root), coverage=True))
        rows.append(_row("goldset diff v1 v2, warm (+ coverage delta)", warm, GOAL_DIFF, f"{warm['changed']:,} changed"))
        rows_only = run_isolated(_DIFF.format(root=str(root), coverage=False))
        rows.append(_row("goldset diff v1 v2, warm, rows only", rows_only, GOAL_DIFF, f"{rows_only['changed']:,} changed"))
        base = run_isolated(_BASE_DIFF.format(a=_files(root, "v1"), b=_files(root, "v2")))
        rows.append(_row("baseline: DuckDB full outer join of both part sets", base, None, f"{base['changed']:,} changed"))

        shutil.rmtree(cache, ignore_errors=True)
        read_cold = run_isolated(_READ.format(root=str(root)))
        rows.append(_row("read v1 (1M rows -> Arrow), cold (fetch from DVC cache)", read_cold, GOAL_READ, f"{read_cold['rows']:,} rows"))
        read_warm = run_isolated(_READ.format(root=str(root)))
        rows.append(_row("read v1 (1M rows -> Arrow), warm", read_warm, GOAL_READ, f"{read_warm['rows']:,} rows"))
        base_read = run_isolated(_BASE_READ.format(files=_files(root, "v1")))
        rows.append(_row("baseline: DuckDB read_parquet of the same local files", base_read, None, f"{base_read['rows']:,} rows"))
        store_mb = sum(Path(f).stat().st_size for f in _files(root, "v1")) / 1e6
        print_table(f"versions: {N:,} rows, 1% changed between v1 and v2 (store {store_mb:.0f} MB; goals: diff <= {GOAL_DIFF:.0f} s, read <= {GOAL_READ:.0f} s)", rows)


if __name__ == "__main__":
    main()
