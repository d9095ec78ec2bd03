"""Tagging in the 1M-row store: time and bytes rewritten, vs rewriting the store in DuckDB.

Copy-on-write means a tag rewrites the parts holding changed rows, so the cost follows the
parts touched, not the store. The table shows both shapes a team meets: changes clustered in
a few parts (a batch imported together, e.g. 1,000 ids of one import) and changes spread over
every part (1,000 random ids; a predicate over the whole set). The baseline rewrites the whole
store with one DuckDB COPY applying the same change (what a tool without parts must do).

Each case runs on a fresh copy of the cached store (best of 3, in-process, warm cache).

    python -m bench tag
"""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.data import print_table, timer, workspace

REPEATS = 3
N = 1_000_000
#: Row number of a row of bench.data.records(): r{rep}-{split}-{j} was row rep*23700 + j.
ROW_NO = "(CAST(split_part(id, '-', 1)[2:] AS BIGINT) * 23700 + CAST(split_part(id, '-', -1) AS BIGINT))"


def _copy(src: Path, tmp: Path) -> Path:
    dst = tmp / "ws"
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.audit.jsonl"))
    return dst


def _store_bytes(root: Path) -> tuple[int, int]:
    from goldset.workspace import Workspace

    m = Workspace.open(root).dataset().manifest()
    return sum(p.bytes for p in m.parts), len(m.parts)


def _run(src: Path, tmp: Path, ids: list[str] | None, where: str | None, edge: str) -> dict[str, Any]:
    from goldset.curation import TagChange, tag
    from goldset.workspace import Workspace

    times, result = [], None
    for _ in range(REPEATS):
        root = _copy(src, tmp)
        ds = Workspace.open(root, user="bench@example.com").dataset()
        with timer() as t:
            result = tag(ds, TagChange(add_edge_cases=[edge]), ids=ids or [], where=where)
        times.append(t())
    assert result is not None
    store, parts = _store_bytes(src)
    return {
        "rows changed": result.updated,
        "parts touched": f"{result.parts_replaced}/{parts}",
        "time s": min(times),
        "MB rewritten": result.bytes_written / 1e6,
        "share of store": f"{result.bytes_written / store:.0%}",
    }


def _baseline(src: Path, tmp: Path, where: str, edge: str) -> dict[str, Any]:
    """The same change by rewriting every row into one new Parquet file with DuckDB."""
    import duckdb

    from goldset.workspace import Workspace

    files = Workspace.open(src).dataset().files()
    store, parts = _store_bytes(src)
    out = tmp / "baseline.parquet"
    times, changed = [], 0
    for _ in range(REPEATS):
        con = duckdb.connect()
        with timer() as t:
            con.execute(
                f"COPY (SELECT * REPLACE (CASE WHEN {where} THEN list_sort(list_distinct(list_append(edge_cases, '{edge}'))) "
                f"ELSE edge_cases END AS edge_cases) FROM read_parquet({files!r})) TO '{out}' (FORMAT parquet, COMPRESSION zstd)"
            )
        times.append(t())
        changed = con.execute(f"SELECT count(*) FROM read_parquet({files!r}) WHERE {where}").fetchone()[0]  # type: ignore[index]
        con.close()
    return {
        "rows changed": changed,
        "parts touched": f"{parts}/{parts}",
        "time s": min(times),
        "MB rewritten": out.stat().st_size / 1e6,
        "share of store": f"{out.stat().st_size / store:.0%}",
    }


def main() -> None:
    import duckdb

    from goldset.workspace import Workspace

    src = workspace(N)
    files = Workspace.open(src).dataset().files()
    con = duckdb.connect()
    # 1,000 ids imported together (one part) and 1,000 ids drawn from the whole store
    clustered = [r[0] for r in con.execute(f"SELECT id FROM read_parquet({files[3]!r}) LIMIT 1000").fetchall()]
    everyone = [r[0] for r in con.execute(f"SELECT id FROM read_parquet({files!r})").fetchall()]
    spread = random.Random(7).sample(everyone, 1000)
    batch = f"{ROW_NO} BETWEEN 300000 AND 349999"  # 50,000 rows of one import batch
    wide = "input ILIKE '%card%' AND tier <> 'monitor'"  # ~50,000 rows in every part
    n_wide = con.execute(f"SELECT count(*) FROM read_parquet({files!r}) WHERE {wide}").fetchone()[0]  # type: ignore[index]
    con.close()
    store, parts = _store_bytes(src)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-tag-") as d:
        tmp = Path(d)
        cases: list[tuple[str, list[str] | None, str | None]] = [
            ("1,000 ids, one import batch", clustered, None),
            ("1,000 ids, random", spread, None),
            ("50,000 rows by predicate, one batch", None, batch),
            (f"{n_wide:,} rows by predicate, everywhere", None, wide),
        ]
        for label, ids, where in cases:
            rows.append({"case": f"goldset tag: {label}", **_run(src, tmp, ids, where, "long")})
        rows.append({"case": "baseline: rewrite the store (DuckDB COPY), 50,000-row change", **_baseline(src, tmp, batch, "long")})
    print_table(f"Tagging in a {N:,}-row store ({parts} parts, {store / 1e6:.1f} MB)", rows)


if __name__ == "__main__":
    main()
