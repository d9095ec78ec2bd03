"""The pandas frames GX validates, built from the store's live parts in DuckDB.

Shaped for GX's pandas fast paths (measured, 1M rows; see docs/architecture.md): timestamps arrive as
naive UTC ``datetime64[ns]``; list columns stay out of the ``examples`` frame (they validate as
the long ``taxonomy`` frame); only the columns the suite uses are loaded. Cross-row facts
(true duplicates, label conflicts) are computed here, in one DuckDB aggregate, into per-row
columns that GX expectations then check, so their failures still come out of GX with ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from goldset.store import COLUMNS, TIMESTAMP_COLUMNS, db

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from goldset.workspace import Dataset

#: Columns of the ``examples`` frame that goldset derives (not stored).
DERIVED = ("review_age_days", "repeated_input", "label_conflict", "pii_input", "pii_expected")
#: Longest group input shown in repeated_input / label_conflict.
_SAMPLE_CHARS = 100
_DOMAIN_KEYS = ("column", "column_A", "column_B", "column_list")


def columns_used(expectations: Iterable[dict[str, Any]], frame_columns: Iterable[str]) -> set[str] | None:
    """Columns of a frame the expectations read; None if one needs them all (a table-level
    expectation, or one whose columns we cannot tell)."""
    known = list(frame_columns)
    used: set[str] = set()
    for exp in expectations:
        kw = exp.get("kwargs") or {}
        cols: list[str] = []
        for key in _DOMAIN_KEYS:
            value = kw.get(key)
            if isinstance(value, str):
                cols.append(value)
            elif isinstance(value, list):
                cols += [v for v in value if isinstance(v, str)]
        if not cols:
            return None
        cond = kw.get("row_condition")
        if isinstance(cond, str):
            words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", cond))
            cols += [c for c in known if c in words]
        elif cond is not None:
            return None
        used.update(cols)
    return used


class Prepared:
    """The frames of one validation run (built lazily: only batches the suite uses)."""

    def __init__(self, ds: Dataset, now: datetime, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.ds = ds
        self.now = now
        self.con = con or db.connect()
        #: The manifest generation the frames are read from (a report names its digest).
        self.manifest = ds.manifest()
        files = ds.store.files(self.manifest)
        src = f"read_parquet({db.sql_list(files)}, union_by_name = true)" if files else f"({db.empty_select()})"
        self.expected_types = {r[0]: r[1] for r in self.con.execute(f"DESCRIBE {db.empty_select()}").fetchall()}
        self.actual_types = {r[0]: r[1] for r in self.con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        cols = []
        for c in COLUMNS:
            want = self.expected_types[c]
            got = self.actual_types.get(c)
            if got is None:
                cols.append(f"CAST(NULL AS {want}) AS {c}")
            elif got != want:
                cols.append(f"TRY_CAST({c} AS {want}) AS {c}")  # the schema batch reports it
            else:
                cols.append(c)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW ex AS SELECT {', '.join(cols)} FROM {src}")
        self._now_sql = f"TIMESTAMPTZ '{now.isoformat()}'"

    def schema(self) -> pd.DataFrame:
        import pandas as pd

        names = list(COLUMNS) + [c for c in self.actual_types if c not in COLUMNS]
        return pd.DataFrame(
            {
                "column": pd.Series(names, dtype="str"),
                "expected_type": pd.Series([self.expected_types.get(c) for c in names], dtype="str"),
                "actual_type": pd.Series([self.actual_types.get(c) for c in names], dtype="str"),
            }
        )

    def examples(self, used: set[str] | None) -> pd.DataFrame:
        """One row per example; ``used`` None = every stored column plus the derived ones."""
        plain = [c for c in COLUMNS if c not in ("scenarios", "edge_cases")]
        want = plain + list(DERIVED) if used is None else [c for c in plain + list(DERIVED) if c in used or c == "id"]
        sel = []
        for c in want:
            if c in TIMESTAMP_COLUMNS:
                sel.append(f"CAST(ex.{c} AS TIMESTAMP_NS) AS {c}")
            elif c == "review_age_days":
                sel.append(
                    "CASE WHEN ex.status = 'approved' THEN round(epoch("
                    f"{self._now_sql} - coalesce(ex.reviewed_at, ex.created_at)) / 86400, 1) END AS review_age_days"
                )
            elif c in ("repeated_input", "label_conflict"):
                sel.append(c)  # joined in below
            elif c in ("pii_input", "pii_expected"):
                sel.append(f"p.{c}")
            else:
                sel.append(f"ex.{c}")
        if "repeated_input" in want or "label_conflict" in want:
            # A duplicate is the same normalized input with the same polarity *and* the same
            # expected. One input with several expected among negatives is legitimate (a
            # question with several forbidden answers, TruthfulQA-style) and is not flagged;
            # among positives it is a label conflict. Keys first (short columns and a hash of
            # expected), then only the repeated groups are described; materialized, so the
            # joins below have tiny, known build sides.
            self.con.execute(f"""CREATE OR REPLACE TEMP TABLE _dups AS
                SELECT input_hash, polarity, expected, left(min(input), {_SAMPLE_CHARS}) AS sample
                FROM ex WHERE input_hash IN (
                    SELECT input_hash FROM ex GROUP BY input_hash, polarity, hash(expected) HAVING count(*) > 1)
                GROUP BY input_hash, polarity, expected HAVING count(*) > 1""")
            self.con.execute(f"""CREATE OR REPLACE TEMP TABLE _conflicts AS
                SELECT input_hash, left(min(input), {_SAMPLE_CHARS}) AS sample,
                       array_to_string(list_sort(list_distinct(list(expected))), ' | ') AS expected
                FROM ex WHERE polarity = 'positive' AND input_hash IN (
                    SELECT input_hash FROM ex WHERE polarity = 'positive' GROUP BY input_hash HAVING count(*) > 1)
                GROUP BY input_hash HAVING count(DISTINCT expected) > 1""")
            sel = [
                "d.sample AS repeated_input" if c == "repeated_input" else
                "c.sample || ' -> ' || c.expected AS label_conflict" if c == "label_conflict" else c
                for c in sel
            ]
            sql = f"""SELECT {', '.join(sel)} FROM ex
              LEFT JOIN _dups d ON ex.input_hash = d.input_hash AND ex.polarity = d.polarity
                                AND ex.expected IS NOT DISTINCT FROM d.expected
              LEFT JOIN _conflicts c ON ex.polarity = 'positive' AND ex.input_hash = c.input_hash"""
        else:
            sql = f"SELECT {', '.join(sel)} FROM ex"
        if "pii_input" in want or "pii_expected" in want:
            self._pii_table()
            sql += " LEFT JOIN _pii p ON p.id = ex.id"
        return self._frame(sql)

    def _pii_table(self) -> None:
        """``_pii``: per example with validated PII, what was found in input and expected
        (kinds and masked values). Candidates by RE2 in DuckDB, validated in Python."""
        import duckdb
        import pyarrow as pa

        from goldset.validation._pii import Finder, combined

        finder = Finder(self.ds.spec)
        exempt = (f"NOT list_has_any(ex.edge_cases, {db.sql_list(finder.exempt)}::VARCHAR[])"
                  if finder.exempt else "true")
        rows: list[tuple[str, str | None, str | None]] = []
        if finder.patterns:
            rx = combined(finder.patterns)
            base = f"SELECT id, input, expected FROM ex WHERE {exempt}"
            try:
                rows = self.con.execute(
                    f"{base} AND (regexp_matches(input, ?) OR regexp_matches(coalesce(expected, ''), ?))", [rx, rx]
                ).fetchall()
            except duckdb.Error:  # a spec pattern RE2 cannot compile: Python's re over every row
                rows = self.con.execute(base).fetchall()
        found = [(i, finder.describe(a), finder.describe(b)) for i, a, b in rows]
        found = [r for r in found if r[1] or r[2]]
        table = pa.table({"id": pa.array([r[0] for r in found], pa.string()),
                          "pii_input": pa.array([r[1] for r in found], pa.string()),
                          "pii_expected": pa.array([r[2] for r in found], pa.string())})
        self.con.register("_pii_arrow", table)
        self.con.execute("CREATE OR REPLACE TEMP TABLE _pii AS SELECT * FROM _pii_arrow")
        self.con.unregister("_pii_arrow")

    def taxonomy(self) -> pd.DataFrame:
        """The list columns in long form: one row per (example, tag)."""
        return self._frame(
            "SELECT id, unnest(scenarios) AS scenario, CAST(NULL AS VARCHAR) AS edge_case FROM ex "
            "UNION ALL SELECT id, CAST(NULL AS VARCHAR), unnest(edge_cases) FROM ex"
        )

    def scenario_freshness(self) -> pd.DataFrame:
        """Per blocking scenario with counted examples: how many are fresh."""
        spec = self.ds.spec
        blocking = [s for s, sc in spec.scenarios.items() if sc.priority in spec.gate.blocking_priorities]
        cutoff = f"{self._now_sql} - INTERVAL {int(spec.freshness.max_review_age_days)} DAY"
        return self._frame(
            f"""SELECT scenario, count(*) AS counted,
                   count(*) FILTER (WHERE reviewed_at >= {cutoff}) AS fresh,
                   count(*) FILTER (WHERE reviewed_at >= {cutoff}) / count(*) AS fresh_share
            FROM (SELECT unnest(scenarios) AS scenario, reviewed_at FROM ex
                  WHERE status IN (SELECT unnest({db.sql_list(spec.count_status)}::VARCHAR[])))
            WHERE list_contains({db.sql_list(blocking)}::VARCHAR[], scenario)
            GROUP BY scenario ORDER BY scenario"""
        )

    def _frame(self, sql: str) -> pd.DataFrame:
        frame: pd.DataFrame = self.con.sql(sql).to_arrow_table().to_pandas()
        return frame
