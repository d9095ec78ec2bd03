"""``--where`` predicates: one boolean DuckDB expression over the examples, nothing more.

Two fences. First the expression is parsed (DuckDB's own parser, through
``json_serialize_sql``) and must leave ``SELECT * FROM examples WHERE <expr>`` a plain
filter: no second statement, no subquery, no set operation, no ORDER/LIMIT/GROUP tail, no
file- or environment-reading function. Then it runs in a connection opened with
``enable_external_access = false``, where the rows arrive as registered Arrow datasets, so
even a function the parser check missed cannot read or write a file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from goldset.errors import BadInput

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
_DENIED_PREFIXES = ("read_", "parquet_", "sniff_", "glob", "getenv", "query", "iceberg", "delta_", "http", "s3")
_NODE_KEYS_THAT_MUST_MATCH = ("type", "modifiers", "cte_map", "select_list", "from_table", "group_expressions", "having", "sample", "qualify")


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


def sandboxed_connection(files: Sequence[str]) -> duckdb.DuckDBPyConnection:
    """A connection that cannot touch files, with the given parts as table ``examples``."""
    import duckdb
    import pyarrow.dataset as pds

    from goldset.store._schema import arrow_schema

    con = duckdb.connect(config=SANDBOX_CONFIG)
    schema = arrow_schema()
    if files:
        con.register("examples", pds.dataset(list(files), format="parquet", schema=schema))
    else:
        con.register("examples", schema.empty_table())
    return con


def matching_ids(files: Sequence[str], expr: str) -> pa.Table:
    """Ids of the rows where ``expr`` holds (checked, then run sandboxed)."""
    import duckdb

    text = check(expr)
    con = sandboxed_connection(files)
    try:
        return con.sql(f"SELECT id FROM examples WHERE coalesce(({text}), false)").to_arrow_table()
    except duckdb.Error as exc:
        raise BadInput(f"--where: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
