"""DuckDB connections and the ``examples`` view over a store's live parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from goldset.store._schema import COLUMNS, DUCKDB_TYPES

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


#: Process-wide defaults for new connections (``configure``): None keeps DuckDB's own.
_DEFAULTS: dict[str, object] = {"threads": None, "memory_limit": None}


def configure(*, threads: int | None = None, memory_limit: str | None = None) -> None:
    """Defaults for every connection this process opens. The server sets them: each request
    opens its own connection, and 50 of them at once, each with DuckDB's defaults (a thread
    per core, most of the RAM), would hold far more memory than the work needs."""
    _DEFAULTS.update(threads=threads, memory_limit=memory_limit)


def connect(memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    import duckdb

    # No TimeZone setting: it needs the ICU extension, which wheels may not ship and this
    # machine cannot download. DuckDB's default is UTC, which is what the store holds.
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # it would print to our stdout
    limit = memory_limit or _DEFAULTS["memory_limit"]
    if limit:
        con.execute(f"SET memory_limit = '{limit}'")
    if _DEFAULTS["threads"]:
        con.execute(f"SET threads = {int(str(_DEFAULTS['threads']))}")
    return con


def arrow(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
    """Run a query into an Arrow table (through a relation: no extra copy)."""
    return con.sql(sql, params=list(params) if params else None).to_arrow_table()


def sql_str(value: str) -> str:
    """A SQL string literal (for paths and ids in generated SQL)."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


def empty_select() -> str:
    cols = ", ".join(f"CAST(NULL AS {DUCKDB_TYPES[c]}) AS {c}" for c in COLUMNS)
    return f"SELECT {cols} WHERE false"


def parts_select(files: Sequence[str], filename: bool = False) -> str:
    """SELECT over the given parts, columns in schema order (or an empty table)."""
    if not files:
        extra = ", CAST(NULL AS VARCHAR) AS filename" if filename else ""
        return empty_select().replace(" WHERE false", extra + " WHERE false")
    opts = ", filename = true" if filename else ""
    cols = ", ".join(COLUMNS) + (", filename" if filename else "")
    return f"SELECT {cols} FROM read_parquet({sql_list(files)}{opts})"


def create_examples_view(con: duckdb.DuckDBPyConnection, files: Sequence[str], name: str = "examples") -> None:
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {parts_select(files)}")
