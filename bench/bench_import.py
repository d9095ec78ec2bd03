"""Import 1M rows: goldset vs a raw DuckDB JSON->Parquet copy vs pandas, one run, isolated
processes (fair peak RSS); then an update of 1,000 ids (bytes rewritten); `goldset --help`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench.data import OUT, clinc_spec_text, jsonl_file, print_table, run_isolated

N = int(os.environ.get("BENCH_ROWS", "1000000"))

GOLDSET = """
import json, time, sys
from bench.data import peak_rss_mb
from pathlib import Path
from goldset.workspace import Workspace
from goldset.ingest import import_file
root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path({root!r})
t = time.perf_counter()
r = import_file(Workspace.open(root, user="bench@example.com").dataset(), Path({src!r}))
print(json.dumps({{"s": time.perf_counter() - t, "rss": peak_rss_mb(), "rows": r.added}}))
"""
DUCKDB = """
import json, time, duckdb
from bench.data import peak_rss_mb
t = time.perf_counter()
con = duckdb.connect()
con.execute("COPY (SELECT * FROM read_json({src!r}, format='newline_delimited')) TO {dst!r} (FORMAT parquet, COMPRESSION zstd)")
print(json.dumps({{"s": time.perf_counter() - t, "rss": peak_rss_mb()}}))
"""
PANDAS = """
import json, time, pandas as pd
from bench.data import peak_rss_mb
t = time.perf_counter()
df = pd.read_json({src!r}, lines=True)
df.to_parquet({dst!r}, compression="zstd")
print(json.dumps({{"s": time.perf_counter() - t, "rss": peak_rss_mb()}}))
"""
UPDATE = """
import json, time, resource
from pathlib import Path
from goldset.workspace import Workspace
from goldset.store import db
from goldset.workspace import writing
ds = Workspace.open(Path({root!r}), user="bench@example.com").dataset()
ids = [f"r0-train-{{i}}" for i in range(1000)]
con = db.connect()
con.execute("CREATE TEMP TABLE _ids AS SELECT unnest(?::VARCHAR[]) AS id", [ids])
size = sum(p.bytes for p in ds.manifest().parts)
t = time.perf_counter()
with writing(ds, op="update") as w:
    r = w.rewrite(con, "id IN (SELECT id FROM _ids)", {{"expected": "expected || ' (fixed)'"}})
print(json.dumps({{"s": time.perf_counter() - t, "rows": r.updated, "bytes": r.bytes_written, "store": size, "parts": r.parts_replaced, "of": len(ds.manifest().parts)}}))
"""


def main() -> None:
    src = str(jsonl_file(N))
    work = tempfile.mkdtemp(prefix="bench-import-", dir=OUT)
    try:
        root = os.path.join(work, "ws")
        os.makedirs(root)
        with open(os.path.join(root, "goldset.yaml"), "w") as f:
            f.write(clinc_spec_text())
        g = run_isolated(GOLDSET.format(root=root, src=src))
        d = run_isolated(DUCKDB.format(src=src, dst=os.path.join(work, "duck.parquet")))
        p = run_isolated(PANDAS.format(src=src, dst=os.path.join(work, "pandas.parquet")))
        print_table(
            f"import {N:,} rows of JSONL ({os.path.getsize(src) / 2**20:.0f} MiB)",
            [
                {"method": "goldset import", "seconds": g["s"], "x raw DuckDB": g["s"] / d["s"], "peak RSS MB": g["rss"]},
                {"method": "raw DuckDB read_json -> Parquet", "seconds": d["s"], "x raw DuckDB": 1.0, "peak RSS MB": d["rss"]},
                {"method": "pandas read_json + to_parquet", "seconds": p["s"], "x raw DuckDB": p["s"] / d["s"], "peak RSS MB": p["rss"]},
            ],
        )
        print(f"\ngoldset is {p['s'] / g['s']:.1f}x faster than pandas (goal >= 4x), {g['s'] / d['s']:.2f}x raw DuckDB (goal <= 3x), peak RSS {g['rss']:.0f} MB (goal <= 1500)")
        u = run_isolated(UPDATE.format(root=root))
        print_table(
            "update 1,000 ids (contiguous) in the 1M-row store",
            [{"seconds": u["s"], "rows": u["rows"], "parts rewritten": f"{u['parts']} of {u['of']}", "bytes written": u["bytes"], "store bytes": u["store"], "share": u["bytes"] / u["store"]}],
        )
        times = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run([os.path.join(os.path.dirname(sys.executable), "goldset"), "--help"], capture_output=True, check=True)
            times.append(time.perf_counter() - t)
        print_table("goldset --help (wall, 5 runs)", [{"min s": min(times), "median s": sorted(times)[2]}])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
