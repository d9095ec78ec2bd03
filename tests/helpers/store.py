"""Low-level store writes for tests: set columns with SQL, through the real write path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from goldset.workspace import Dataset, WriteResult, writing

if TYPE_CHECKING:
    import duckdb


def rewrite(
    ds: Dataset,
    con: duckdb.DuckDBPyConnection,
    predicate: str,
    assignments: Mapping[str, str] | None,
    *,
    op: str = "test",
) -> WriteResult:
    """Set columns (SQL expressions) where ``predicate`` holds, or remove the rows (None):
    what a verb does inside ``writing``, without a verb's checks."""
    with writing(ds, op=op) as w:
        return w.rewrite(con, predicate, assignments)
