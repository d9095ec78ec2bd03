"""Canonical rows: any source record -> the raw-chunk columns that ``goldset.ingest`` stages.

Two paths produce the same values, so an id or a metadata text never depends on the path:
the *fast path* maps a whole pyarrow-parsed block with one DuckDB query (``fast_select``);
the *exact path* (``rows_to_chunk``) converts record by record in Python and names the field
of every problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, Union

from goldset.store import CONTENT_COLUMNS, LIST_COLUMNS, PROVENANCE_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

_TEXT_FIELDS = ("input", "expected", "polarity", "tier", "status", "source")


def raw_schema() -> pa.Schema:
    import pyarrow as pa

    s, ls = pa.string(), pa.list_(pa.string())
    return pa.schema(
        [("_row", pa.int64())]
        + [(c, ls if c in ("scenarios", "edge_cases") else s) for c in CONTENT_COLUMNS]
        + [("_error", s)]
    )


def canonical_json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def _type_name(v: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", list: "list", dict: "object"}.get(type(v), type(v).__name__)


def _as_list(v: Any, field: str, split: bool) -> list[str] | None:
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        if split:
            if s.startswith("["):
                try:
                    parsed = json.loads(s)
                except json.JSONDecodeError:
                    raise ValueError(f"{field}: {s[:40]!r} is not a JSON list") from None
                return _as_list(parsed, field, False)
            return [p.strip() for p in s.split(";") if p.strip()]
        return [s] if s else []
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return v
    raise ValueError(f"{field}: expected a list of ids or one id, got {_type_name(v)}")


def canonical_row(record: dict[str, Any], mapping: dict[str, str], split_lists: bool = False) -> dict[str, Any]:
    """One source record -> content columns. Raises ValueError naming the field."""
    out: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in record.items():
        field = mapping.get(key, key)
        if field == "id":
            if (value is not None and not isinstance(value, str | int)) or isinstance(value, bool):
                raise ValueError(f"id: expected text or an integer, got {_type_name(value)}")
            out["id"] = None if value is None else str(value)
        elif field in _TEXT_FIELDS:
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{field}: expected text, got {_type_name(value)}")
            out[field] = value
        elif field in LIST_COLUMNS:
            out[field] = _as_list(value, field, split_lists)
        elif field == "metadata":
            if isinstance(value, str) and value.strip():
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    raise ValueError("metadata: not valid JSON") from None
            if isinstance(value, dict):
                meta = value
            elif value not in (None, ""):
                raise ValueError(f"metadata: expected a JSON object, got {_type_name(value)}")
        elif field in PROVENANCE_COLUMNS:
            continue  # goldset owns provenance; an export re-imported keeps its content
        elif value is not None and value != "":
            extras[field] = value
    merged = {**meta, **dict(sorted(extras.items()))}
    out["metadata"] = canonical_json(merged) if merged else None
    return out


def rows_to_chunk(rows: Iterable[tuple[int, dict[str, Any] | str]], mapping: dict[str, str], split_lists: bool = False) -> pa.Table:
    """The exact path: (row number, record or reader error) pairs -> a raw chunk."""
    import pyarrow as pa

    cols: dict[str, list[Any]] = {c: [] for c in ("_row", *CONTENT_COLUMNS, "_error")}
    for number, record in rows:
        values: dict[str, Any] = {}
        error: str | None = None
        if isinstance(record, str):
            error = record
        elif not isinstance(record, dict):
            error = f"expected a JSON object, got {_type_name(record)}"
        else:
            try:
                values = canonical_row(record, mapping, split_lists)
            except ValueError as exc:
                error = str(exc)
                values = {"input": record.get(source_of("input", mapping)) if isinstance(record.get(source_of("input", mapping)), str) else None}
        cols["_row"].append(number)
        cols["_error"].append(error)
        for c in CONTENT_COLUMNS:
            cols[c].append(values.get(c))
    return pa.table(cols, schema=raw_schema())


def source_of(field: str, mapping: dict[str, str]) -> str:
    for src, dst in mapping.items():
        if dst == field:
            return src
    return field


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fast_select(schema: pa.Schema, mapping: dict[str, str], split_lists: bool) -> str | None:
    """SQL mapping a pyarrow-parsed block to a raw chunk, or None when types do not fit."""
    import pyarrow.types as t

    def plain(typ: pa.DataType) -> bool:
        if t.is_timestamp(typ) or t.is_date(typ) or t.is_time(typ) or t.is_decimal(typ) or t.is_binary(typ):
            return False
        if t.is_struct(typ):
            return all(plain(typ.field(i).type) for i in range(typ.num_fields))
        if t.is_list(typ):
            return plain(typ.value_type)
        return True

    exprs: dict[str, str] = {}
    extras: list[tuple[str, str]] = []
    seen: set[str] = set()
    for f in schema:
        if f.name == "_row":
            continue
        field = mapping.get(f.name, f.name)
        if field in seen:
            return None
        seen.add(field)
        col, typ = _ident(f.name), f.type
        if not plain(typ):
            return None
        if field == "metadata":
            return None  # merging objects is the exact path's job
        if field in PROVENANCE_COLUMNS:
            continue
        if t.is_null(typ):
            continue
        if field == "id":
            if not (t.is_string(typ) or t.is_integer(typ)):
                return None
            exprs["id"] = f"CAST({col} AS VARCHAR)"
        elif field in _TEXT_FIELDS:
            if not t.is_string(typ):
                return None
            exprs[field] = col
        elif field in LIST_COLUMNS:
            if t.is_list(typ) and (t.is_string(typ.value_type) or t.is_null(typ.value_type)):
                exprs[field] = f"CAST({col} AS VARCHAR[])"
            elif t.is_string(typ) and not split_lists:
                exprs[field] = f"CASE WHEN {col} IS NULL THEN NULL WHEN trim({col}) = '' THEN []::VARCHAR[] ELSE [trim({col})] END"
            elif t.is_string(typ):
                exprs[field] = _split_sql(col)
            else:
                return None
        else:
            extras.append((field, col))
    if extras:
        pairs = ", ".join(f"'{k.replace(chr(39), chr(39) * 2)}', CASE WHEN CAST({c} AS VARCHAR) = '' THEN NULL ELSE {c} END" for k, c in sorted(extras))
        exprs["metadata"] = f"nullif(CAST(json_merge_patch('{{}}', json_object({pairs})) AS VARCHAR), '{{}}')"
    select = ", ".join(
        f"{exprs[c]} AS {c}" if c in exprs else f"CAST(NULL AS {'VARCHAR[]' if c in LIST_COLUMNS else 'VARCHAR'}) AS {c}"
        for c in CONTENT_COLUMNS
    )
    return f"SELECT _row, {select}, CAST(NULL AS VARCHAR) AS _error FROM _block"


def _split_sql(col: str) -> str:
    # CSV list cells: 'a;b' splits here; a JSON list '["a","b"]' takes the exact path.
    return (
        f"CASE WHEN {col} IS NULL THEN NULL ELSE "
        f"list_filter(list_transform(string_split({col}, ';'), lambda x: trim(x)), lambda x: x <> '') END"
    )


class FastChunk(NamedTuple):
    """A parsed block and the SQL (over ``_block``) that maps it to raw-chunk columns: the
    stager inserts straight from it, without an intermediate Arrow copy."""

    block: pa.Table
    sql: str


Chunk = Union["pa.Table", FastChunk]


# -- JSONL ----------------------------------------------------------------------------------
