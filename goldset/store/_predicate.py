"""``--where`` predicates: one boolean DuckDB expression over the examples, nothing more.

Two fences. First the expression is parsed (DuckDB's own parser, through
``json_serialize_sql``) and must leave ``SELECT * FROM examples WHERE <expr>`` a plain
filter: no second statement, no subquery, no set operation, no ORDER/LIMIT/GROUP tail, no
file- or environment-reading function. Then it runs in a connection opened with
``enable_external_access = false``, where the rows arrive as registered Arrow datasets, so
even a function the parser check missed cannot read or write a file.

``goldset query`` runs in the same kind of connection, after :func:`check_query` accepted
its SQL as one read-only SELECT. Both run under :class:`Limits`: DuckDB's ``memory_limit``
with no spilling to disk (and the fetched result held to the same size), and a timer that
interrupts the connection when the time is up.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldset.errors import BadInput, UsageError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

_BASE = "SELECT * FROM examples WHERE "
_SANDBOX: dict[str, str | bool | int | float | list[str]] = {"enable_external_access": False}
#: No file or network access; and no extension auto-install/auto-load, so a function name from
#: an extension (httpfs, spatial, ...) fails at bind time instead of trying to fetch code.
SANDBOX_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
#: Limits of a query or predicate when the spec sets none (``query:`` of a dataset).
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MEMORY_LIMIT = "1GB"
#: Below this DuckDB cannot run even small queries.
MIN_MEMORY_BYTES = 16 * 1000**2
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
#: Table functions ``goldset query`` may call: generators and read-only catalog views. Every
#: other one is refused (``query()`` runs any SQL, ``enable_logging()`` writes files, ...).
_QUERY_TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree", "summary",
    "histogram", "histogram_values", "pragma_table_info", "duckdb_columns", "duckdb_functions",
    "duckdb_keywords", "duckdb_settings", "duckdb_tables", "duckdb_types", "duckdb_views",
})
_DENIED_PREFIXES = ("read_", "parquet_", "sniff_", "glob", "getenv", "query", "iceberg", "delta_", "http", "s3")
_NODE_KEYS_THAT_MUST_MATCH = ("type", "modifiers", "cte_map", "select_list", "from_table", "group_expressions", "having", "sample", "qualify")


def parse_size(text: str) -> int:
    """Bytes of a memory size such as ``1GB``, ``512MiB`` (DuckDB's units); ValueError if not one."""
    m = _SIZE_RE.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a memory size; write e.g. 1GB, 512MB or 2GiB")
    n = int(float(m[1]) * _UNITS[(m[2] or "b").lower()])
    if n < MIN_MEMORY_BYTES:
        raise ValueError(f"{text!r} is too small; give at least {MIN_MEMORY_BYTES // 1000**2}MB")
    return n


@dataclass(frozen=True)
class Limits:
    """What one sandboxed query may take; None turns a limit off."""

    timeout_s: float | None = DEFAULT_TIMEOUT_S
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT

    def __post_init__(self) -> None:
        if self.timeout_s is not None and not self.timeout_s > 0:
            raise UsageError(f"--timeout: must be more than 0 seconds, not {self.timeout_s}")
        if self.memory_limit is not None:
            try:
                parse_size(self.memory_limit)
            except ValueError as exc:
                raise UsageError(f"--memory-limit: {exc}") from None


class _Deadline:
    """Interrupts a connection's running query when ``seconds`` have passed."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float | None) -> None:
        self._con = con
        self._lock = threading.Lock()
        self._done = False
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire) if seconds is not None else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            with contextlib.suppress(Exception):  # the query may have just finished
                self._con.interrupt()

    def stop(self) -> None:
        """After this returns the timer never touches the connection (safe to close it)."""
        with self._lock:
            self._done = True
        if self._timer is not None:
            self._timer.cancel()


def _seconds(value: float) -> str:
    return f"{value:g}"


def fetch(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None, *,
    limits: Limits, what: str, failed: str,
) -> pa.Table:
    """Run ``sql`` on a sandboxed connection under ``limits``; the result as an Arrow table.

    A limit that stops the query is one BadInput line naming the flag that changes it,
    starting with ``what`` ("query", "--where"); any other DuckDB error is one line after
    ``failed``."""
    import duckdb
    import pyarrow as pa

    cap = parse_size(limits.memory_limit) if limits.memory_limit is not None else None
    deadline = _Deadline(con, limits.timeout_s)
    try:
        reader = con.sql(sql, params=list(params) if params else None).to_arrow_reader()
        batches: list[pa.RecordBatch] = []
        size = 0
        for batch in reader:
            size += batch.nbytes
            if cap is not None and size > cap:
                raise BadInput(f"{what} stopped: its result is larger than {limits.memory_limit} "
                               "(limit: --memory-limit); select fewer rows or columns")
            batches.append(batch)
        return pa.Table.from_batches(batches, schema=reader.schema)
    except (duckdb.Error, pa.ArrowException) as exc:
        if deadline.fired:
            raise BadInput(f"{what} stopped after {_seconds(limits.timeout_s or 0)} s (limit: --timeout)") from None
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise BadInput(f"{what} stopped: it needs more than {limits.memory_limit} of memory "
                           "(limit: --memory-limit)") from None
        raise BadInput(f"{failed}: {str(exc).splitlines()[0]}") from None
    finally:
        deadline.stop()


def _serialize(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    raw = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]  # type: ignore[index]
    return json.loads(raw)  # type: ignore[no-any-return]


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _strip_locations(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_locations(v) for k, v in node.items() if not k.startswith("query_location")}
    if isinstance(node, list):
        return [_strip_locations(v) for v in node]
    return node


def check(expr: str) -> str:
    """Return ``expr`` stripped, or raise BadInput saying why it is refused."""
    import duckdb

    text = expr.strip()
    if not text:
        raise BadInput("--where: empty predicate")
    if ";" in text:
        raise BadInput("--where: one expression only (';' is not allowed)")
    at = _comment_at(text)
    if at is not None:
        raise BadInput(f"--where: {text[at:at + 2]!r} at character {at + 1} starts an SQL comment, which cuts the "
                       "expression short; remove it (inside quotes, as in input LIKE '%--%', it is fine)")
    con = duckdb.connect(config=SANDBOX_CONFIG)
    try:
        parsed = _serialize(con, _BASE + text)
        if parsed.get("error"):
            raise BadInput(f"--where: not a valid expression over the examples: {parsed.get('error_message')}")
        reference = _serialize(con, _BASE + "true")
    finally:
        con.close()
    stmts = parsed["statements"]
    if len(stmts) != 1:
        raise BadInput("--where: one expression only")
    node, ref = _strip_locations(stmts[0]["node"]), _strip_locations(reference["statements"][0]["node"])
    for key in _NODE_KEYS_THAT_MUST_MATCH:
        if node.get(key) != ref.get(key):
            raise BadInput("--where: must be a boolean expression only (no ORDER BY, LIMIT, GROUP BY, UNION or the like)")
    for sub in _walk(node.get("where_clause")):
        cls = sub.get("class")
        if cls == "SUBQUERY" or sub.get("type") in ("SUBQUERY", "TABLE_FUNCTION"):
            raise BadInput("--where: subqueries are not allowed; use columns of the examples only")
        if cls in ("FUNCTION", "AGGREGATE"):
            name = str(sub.get("function_name", "")).lower()
            if name.startswith(_DENIED_PREFIXES):
                raise BadInput(f"--where: function {name}() is not allowed in a predicate")
        if cls == "WINDOW" or sub.get("type", "").startswith("WINDOW"):
            raise BadInput("--where: window functions are not allowed in a predicate")
    return text


def _comment_at(text: str) -> int | None:
    """Where an SQL comment (``--`` or ``/*``) starts outside quotes in ``text``, or None."""
    quote: str | None = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote is not None:
            if c == quote:
                if text.startswith(quote * 2, i):  # a doubled quote is the quote itself
                    i += 1
                else:
                    quote = None
        elif c in ("'", '"'):
            quote = c
        elif text.startswith(("--", "/*"), i):
            return i
        i += 1
    return None


def check_query(sql: str) -> str:
    """Return ``sql`` (stripped, without a trailing ``;``) if it is one read-only SELECT, else
    raise BadInput saying why it is refused. DuckDB's parser decides what a SELECT is:
    ``json_serialize_sql`` serializes SELECT statements only."""
    import duckdb

    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    if not text:
        raise BadInput("query failed: empty SQL")
    con = duckdb.connect(config=SANDBOX_CONFIG)
    try:
        parsed = _serialize(con, text)
    finally:
        con.close()
    if parsed.get("error"):
        msg = str(parsed.get("error_message") or "")
        if "Only SELECT" in msg:
            raise BadInput("query failed: only a read-only SELECT is accepted (CALL, PRAGMA, SET, ATTACH, "
                           "COPY, INSERT, EXPLAIN and the like are refused)")
        raise BadInput(f"query failed: not valid SQL: {msg.splitlines()[0] if msg else 'parse error'}")
    if len(parsed["statements"]) != 1:
        raise BadInput("query failed: one statement only")
    for node in _walk(parsed["statements"][0]["node"]):
        if node.get("type") == "TABLE_FUNCTION":
            name = str((node.get("function") or {}).get("function_name", "")).lower()
            if name not in _QUERY_TABLE_FUNCTIONS:
                raise BadInput(f"query failed: table function {name}() is not allowed "
                               f"(allowed: {', '.join(sorted(_QUERY_TABLE_FUNCTIONS))})")
        elif node.get("class") in ("FUNCTION", "AGGREGATE"):
            name = str(node.get("function_name", "")).lower()
            if name.startswith(_DENIED_PREFIXES):
                raise BadInput(f"query failed: function {name}() is not allowed")
    return text


def sandboxed_connection(files: Sequence[str], limits: Limits | None = None) -> duckdb.DuckDBPyConnection:
    """A connection that cannot touch files, with the given parts as table ``examples``:
    no spilling to disk, DuckDB's memory limit set from ``limits``, settings locked."""
    import duckdb
    import pyarrow.dataset as pds

    from goldset.store._schema import arrow_schema

    config = dict(SANDBOX_CONFIG, max_temp_directory_size="0KiB")
    if limits is not None and limits.memory_limit is not None:
        config["memory_limit"] = limits.memory_limit
    con = duckdb.connect(config=config)
    schema = arrow_schema()
    if files:
        con.register("examples", pds.dataset(list(files), format="parquet", schema=schema))
    else:
        con.register("examples", schema.empty_table())
    con.execute("SET lock_configuration = true")
    return con


def matching_ids(files: Sequence[str], expr: str, limits: Limits | None = None) -> pa.Table:
    """Ids of the rows where ``expr`` holds (checked, then run sandboxed under ``limits``)."""
    text = check(expr)
    limits = limits or Limits()
    con = sandboxed_connection(files, limits)
    try:
        return fetch(con, f"SELECT id FROM examples WHERE coalesce(({text}), false)", limits=limits, what="--where", failed="--where")
    except BadInput as exc:
        unknown = re.search(r'Referenced column "?([^"]+?)"? not found', str(exc))
        if unknown is None:
            raise
        from goldset.store._schema import COLUMNS

        raise BadInput(f"--where: no column {unknown.group(1)!r} in the examples; the columns are "
                       f"{', '.join(COLUMNS)}") from None
    finally:
        con.close()


def run_query(files: Sequence[str], sql: str, limits: Limits | None = None) -> pa.Table:
    """``sql`` (checked by :func:`check_query`) over the parts, sandboxed, under ``limits``."""
    text = check_query(sql)
    limits = limits or Limits()
    con = sandboxed_connection(files, limits)
    try:
        return fetch(con, text, limits=limits, what="query", failed="query failed")
    finally:
        con.close()
