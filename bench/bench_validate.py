"""Validation at 1M rows: `goldset validate` (default suite, real GX) vs the same checks as one
plain DuckDB query, in the same run. GX's import time is measured apart; peak RSS comes from
isolated interpreters. Goals: validate <= 3x the DuckDB query, peak RSS <= 2 GB.

    python -m bench validate            # 1M rows
    BENCH_ROWS=100000 python -m bench validate
"""

from __future__ import annotations

import os
from typing import Any

from bench.data import print_table, run_isolated, workspace

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))


def duckdb_query(files: list[str], spec: Any, now_iso: str) -> str:
    """Every default check as counts, in one DuckDB query over the parts."""
    from goldset.store import db
    from goldset.validation import pii
    from goldset.vocab import POLARITIES, STATUSES

    now = f"TIMESTAMPTZ '{now_iso}'"
    regex = db.sql_str(pii.combined(pii.patterns(spec)))
    blocking = [s for s, sc in spec.scenarios.items() if sc.priority in spec.gate.blocking_priorities]
    cutoff = f"{now} - INTERVAL {spec.freshness.max_review_age_days} DAY"
    share = spec.freshness.min_fresh_share
    fresh_cte = (
        f""", fresh AS (SELECT count(*) FILTER (WHERE share < {share}) AS low FROM (
              SELECT s, count(*) FILTER (WHERE reviewed_at >= {cutoff}) / count(*) AS share
              FROM (SELECT unnest(scenarios) s, reviewed_at FROM ex WHERE status IN (SELECT unnest({db.sql_list(spec.count_status)})))
              WHERE list_contains({db.sql_list(blocking)}::VARCHAR[], s) GROUP BY s))"""
        if share is not None else ", fresh AS (SELECT 0 AS low)"
    )
    return f"""
    WITH ex AS (SELECT * FROM read_parquet({db.sql_list(files)})),
    groups AS (SELECT polarity, count(*) AS n, count(DISTINCT expected) AS ne FROM ex
               GROUP BY input_hash, polarity HAVING count(*) > 1),
    tags AS (SELECT count(*) FILTER (WHERE NOT list_contains({db.sql_list(list(spec.scenarios))}::VARCHAR[], s)) AS bad
             FROM (SELECT unnest(scenarios) s FROM ex)),
    edges AS (SELECT count(*) FILTER (WHERE NOT list_contains({db.sql_list(list(spec.edge_cases))}::VARCHAR[], e)) AS bad
              FROM (SELECT unnest(edge_cases) e FROM ex)){fresh_cte}
    SELECT
      count(*) FILTER (WHERE id IS NULL) AS id_null,
      count(id) - count(DISTINCT id) AS id_dup,
      count(*) FILTER (WHERE tier NOT IN (SELECT unnest({db.sql_list(spec.tiers)}))) AS bad_tier,
      count(*) FILTER (WHERE status NOT IN {tuple(STATUSES)}) AS bad_status,
      count(*) FILTER (WHERE polarity NOT IN {tuple(POLARITIES)}) AS bad_polarity,
      count(*) FILTER (WHERE created_at > {now}) AS created_future,
      count(*) FILTER (WHERE updated_at > {now}) AS updated_future,
      count(*) FILTER (WHERE reviewed_at > {now}) AS reviewed_future,
      count(*) FILTER (WHERE updated_at < created_at) AS updated_before_created,
      count(*) FILTER (WHERE status = 'approved' AND coalesce(reviewed_at, created_at) < {cutoff}) AS stale,
      count(*) FILTER (WHERE regexp_matches(input, {regex})) AS pii_input,
      count(*) FILTER (WHERE regexp_matches(expected, {regex})) AS pii_expected,
      count(*) FILTER (WHERE polarity = 'negative' AND expected IS NULL) AS negative_no_expected,
      (SELECT coalesce(sum(n), 0) FROM groups) AS repeated_rows,
      (SELECT coalesce(sum(n) FILTER (WHERE polarity = 'positive' AND ne > 1), 0) FROM groups) AS conflict_rows,
      (SELECT bad FROM tags) AS unknown_scenarios,
      (SELECT bad FROM edges) AS unknown_edge_cases,
      (SELECT low FROM fresh) AS low_fresh_scenarios
    FROM ex"""


_GOLDSET = """
import json, time
from bench.data import peak_rss_mb
t = time.perf_counter()
from goldset.validation import import_gx
import_gx()
gx_import = time.perf_counter() - t
from goldset.workspace import Workspace
from goldset.validation import validate
ds = Workspace.open({root!r}).dataset()
t = time.perf_counter()
report = validate(ds)
seconds = time.perf_counter() - t
fails = {{r.check: r.unexpected_count for r in report.results if not r.success}}
print(json.dumps({{"seconds": seconds, "gx_import": gx_import, "rss": peak_rss_mb(), "fails": fails, "timings": report.timings}}))
"""

_DUCKDB = """
import json, time
from datetime import datetime, UTC
from bench.data import peak_rss_mb
from bench.bench_validate import duckdb_query
from goldset.store import db
from goldset.workspace import Workspace
ds = Workspace.open({root!r}).dataset()
t = time.perf_counter()
con = db.connect()
row = con.execute(duckdb_query(ds.files(), ds.spec, datetime.now(UTC).isoformat())).fetchone()
seconds = time.perf_counter() - t
print(json.dumps({{"seconds": seconds, "rss": peak_rss_mb(), "row": list(row)}}))
"""


def main() -> None:
    root = str(workspace(ROWS))
    rows: list[dict[str, Any]] = []
    results: dict[str, list[dict[str, Any]]] = {"duckdb": [], "goldset": []}
    for _ in range(3):  # interleaved, best of three: the machine is shared
        results["duckdb"].append(run_isolated(_DUCKDB.format(root=root)))
        results["goldset"].append(run_isolated(_GOLDSET.format(root=root)))
    duck = min(results["duckdb"], key=lambda r: r["seconds"])
    gold = min(results["goldset"], key=lambda r: r["seconds"])
    rows.append({"what": "plain DuckDB query (same checks, counts only)", "seconds": duck["seconds"],
                 "x DuckDB": 1.0, "peak RSS MB": round(max(r["rss"] for r in results["duckdb"]))})
    rows.append({"what": "goldset validate (GX, import excluded)", "seconds": gold["seconds"],
                 "x DuckDB": round(gold["seconds"] / duck["seconds"], 2),
                 "peak RSS MB": round(max(r["rss"] for r in results["goldset"]))})
    rows.append({"what": "  of which: prepare frames (DuckDB -> pandas)", "seconds": gold["timings"]["prepare_s"], "x DuckDB": "", "peak RSS MB": ""})
    rows.append({"what": "  of which: GX validation", "seconds": gold["timings"]["validate_s"], "x DuckDB": "", "peak RSS MB": ""})
    rows.append({"what": "import great_expectations (once per process)", "seconds": gold["gx_import"], "x DuckDB": "", "peak RSS MB": ""})
    print_table(f"validate, {ROWS:,} rows, default suite (best of 3, each run in a fresh interpreter)", rows)
    print(f"\ngoldset failures: {gold['fails']}")
    print(f"DuckDB counts:    {duck['row']}")
    print("goal: <= 3x the DuckDB query, peak RSS <= 2048 MB")


if __name__ == "__main__":
    main()
