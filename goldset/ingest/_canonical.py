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

from goldset.errors import UsageError
from goldset.store import (
    CONTENT_COLUMNS,
    LIST_COLUMNS,
    MAX_JSON_DEPTH,
    PROVENANCE_COLUMNS,
    JsonProblem,
    json_loads,
    lone_surrogate,
)

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
    """Metadata as stored (key order kept). Values JSON has no type for are written as text:
    date-times, dates and times in ISO 8601, decimals exactly as their digits, bytes in
    base64, durations in seconds. NaN and infinities are refused (ValueError)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False, allow_nan=False,
                      default=_json_default)


def _json_default(v: Any) -> Any:
    import base64
    import datetime as dt
    from decimal import Decimal

    if isinstance(v, Decimal):
        if not v.is_finite():
            raise ValueError(f"{v} is not valid JSON")
        return str(v)
    if isinstance(v, dt.timedelta) or type(v).__name__ == "Timedelta":
        return v.total_seconds()
    if isinstance(v, dt.date | dt.time) or hasattr(v, "isoformat"):  # pandas Timestamp (ns) too
        return v.isoformat()
    if isinstance(v, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(v)).decode("ascii")
    raise TypeError(f"{type(v).__name__} values cannot be stored in metadata")


def _type_name(v: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", list: "list", dict: "object"}.get(type(v), type(v).__name__)


def _unicode(field: str, text: str) -> str:
    """``text`` if it is valid Unicode; else ValueError naming the field."""
    bad = lone_surrogate(text)
    if bad is not None:
        raise ValueError(f"{field}: not valid Unicode (a lone surrogate {bad}, e.g. from a broken \\u escape "
                         "or undecodable bytes); fix the text")
    return text


def _as_list(v: Any, field: str, split: bool) -> list[str] | None:
    if v is None:
        return None
    if isinstance(v, str):
        s = _unicode(field, v).strip()
        if split:
            if s.startswith("["):
                try:
                    parsed = json_loads(s)
                except JsonProblem as exc:
                    raise ValueError(f"{field}: {s[:40]!r} is not a JSON list ({exc})") from None
                return _as_list(parsed, field, False)
            return [p.strip() for p in s.split(";") if p.strip()]
        return [s] if s else []
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        for x in v:
            _unicode(field, x)
        return v
    raise ValueError(f"{field}: expected a list of ids or one id, got {_type_name(v)}")


def _printable(text: str) -> str:
    """``text`` with any lone surrogate written as its escape, so a problem can be shown."""
    return text if lone_surrogate(text) is None else text.encode("utf-8", "backslashreplace").decode("utf-8")


def _shown(field: str) -> str:
    """How a user names a goldset field in --map: a column, or a key of metadata."""
    return field if field in CONTENT_COLUMNS else f"metadata.{field}"


def canonical_row(record: dict[str, Any], mapping: dict[str, str], split_lists: bool = False) -> dict[str, Any]:
    """One source record -> content columns. Raises ValueError naming the field.

    A field of the record that maps to no column goes to metadata; one that metadata also
    holds with another value is refused (nothing is overwritten silently). A ``--map``
    that would take a field's place while the record has that field too is a UsageError.
    """
    out: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in record.items():
        field = mapping.get(key, key)
        if field != key and field in record and mapping.get(field, field) == field:
            raise UsageError(
                f"--map {key}={_shown(field)}: the file also has a field {field!r}, which it would overwrite; "
                f"map that one elsewhere too (e.g. --map {field}=metadata.{field}_original) or drop one"
            )
        if field == "id":
            if (value is not None and not isinstance(value, str | int)) or isinstance(value, bool):
                raise ValueError(f"id: expected text or an integer, got {_type_name(value)}")
            out["id"] = None if value is None else _unicode("id", str(value))
        elif field in _TEXT_FIELDS:
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{field}: expected text, got {_type_name(value)}")
            out[field] = value if value is None else _unicode(field, value)
        elif field in LIST_COLUMNS:
            out[field] = _as_list(value, field, split_lists)
        elif field == "metadata":
            if isinstance(value, str) and value.strip():
                try:
                    value = json_loads(value)
                except JsonProblem as exc:
                    raise ValueError(f"metadata: not valid JSON ({exc})") from None
            if isinstance(value, dict):
                meta = value
            elif value not in (None, ""):
                raise ValueError(f"metadata: expected a JSON object, got {_type_name(value)}")
        elif field in PROVENANCE_COLUMNS:
            continue  # goldset owns provenance; an export re-imported keeps its content
        elif value is not None and value != "":
            extras[field] = value
    for k in extras.keys() & meta.keys():
        if extras[k] != meta[k]:
            raise ValueError(
                f"{source_of(k, mapping)}: metadata also has a key {k!r} with another value; "
                f"rename one (e.g. --map {source_of(k, mapping)}=metadata.{k}_2), nothing is overwritten"
            )
    merged = {**meta, **dict(sorted(extras.items()))}
    out["metadata"] = _metadata_text(merged, mapping) if merged else None
    return out


def _metadata_text(merged: dict[str, Any], mapping: dict[str, str]) -> str:
    """The metadata JSON text; ValueError naming the first field that cannot be stored."""
    try:
        text = canonical_json(merged)
        _unicode("metadata", text)
        return text
    except (ValueError, TypeError):
        pass
    for k, v in merged.items():  # find the culprit, to name it
        name = source_of(k, mapping)
        try:
            _unicode(name, canonical_json({k: v}))
        except ValueError as exc:
            if str(exc).startswith(f"{name}: not valid Unicode"):
                raise
            why = "NaN or an infinity is not valid JSON" if "Out of range float" in str(exc) else str(exc)
            raise ValueError(f"{name}: {why}; write null, or the value as text") from None
        except TypeError as exc:
            raise ValueError(f"{name}: {exc}") from None
    raise ValueError("metadata: cannot be stored as JSON")


def rows_to_chunk(rows: Iterable[tuple[int, dict[str, Any] | str]], mapping: dict[str, str], split_lists: bool = False) -> pa.Table:
    """The exact path: (row number, record or reader error) pairs -> a raw chunk."""
    import pyarrow as pa

    cols: dict[str, list[Any]] = {c: [] for c in ("_row", *CONTENT_COLUMNS, "_error")}
    seen: dict[str, None] = {}
    for number, record in rows:
        values: dict[str, Any] = {}
        error: str | None = None
        if isinstance(record, str):
            error = record
        elif not isinstance(record, dict):
            error = f"expected a JSON object, got {_type_name(record)}"
        else:
            seen.update(dict.fromkeys(map(str, record)))
            try:
                values = canonical_row(record, mapping, split_lists)
            except ValueError as exc:
                error = str(exc)
                given = record.get(source_of("input", mapping))
                values = {"input": _printable(given) if isinstance(given, str) else None}
        cols["_row"].append(number)
        cols["_error"].append(None if error is None else _printable(error))
        for c in CONTENT_COLUMNS:
            cols[c].append(values.get(c))
    # The source's column names ride along as schema metadata (see chunk_columns).
    return pa.table(cols, schema=raw_schema()).replace_schema_metadata({_COLUMNS_KEY: json.dumps(list(seen))})


_COLUMNS_KEY = b"goldset.columns"


def chunk_columns(chunk: Chunk) -> list[str]:
    """The source columns of a chunk: a FastChunk's block columns, or the keys the records of
    a raw chunk had (kept by :func:`rows_to_chunk`)."""
    if isinstance(chunk, FastChunk):
        return [c for c in chunk.block.column_names if c != "_row"]
    raw = (chunk.schema.metadata or {}).get(_COLUMNS_KEY)
    return list(json.loads(raw)) if raw else []


def source_of(field: str, mapping: dict[str, str]) -> str:
    for src, dst in mapping.items():
        if dst == field:
            return src
    return field


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: A block whose rows carry more extra fields than this takes the exact path: DuckDB's
#: json_object() costs O(n^2) in its number of arguments (4,000 fields: 4 s a block).
MAX_FAST_EXTRAS = 64


def _plain(typ: pa.DataType, depth: int = 1) -> bool:
    """Types the fast path maps as the exact path would: null, boolean, integers, doubles,
    text, and lists and structs of those, nested at most MAX_JSON_DEPTH levels. Anything
    else (date-times, decimals, bytes, maps, ...) is converted on the exact path."""
    import pyarrow.types as t

    if depth > MAX_JSON_DEPTH:
        return False
    if t.is_null(typ) or t.is_boolean(typ) or t.is_integer(typ) or t.is_string(typ) or t.is_large_string(typ):
        return True
    if t.is_float32(typ) or t.is_float64(typ):
        return True
    if t.is_struct(typ):
        return all(_plain(typ.field(i).type, depth + 1) for i in range(typ.num_fields))
    if t.is_list(typ) or t.is_large_list(typ):
        return _plain(typ.value_type, depth + 1)
    return False


#: Doubles from here on are not all integers: pyarrow reads 9007199254740993 as ...992 when
#: its column also holds a fraction; the exact path keeps it.
_EXACT_DOUBLE = 2.0**53


def fast_values_ok(block: pa.Table, mapping: dict[str, str]) -> bool:
    """The values of a block the fast path could map (``fast_select``) are ones it maps
    faithfully: no NaN or infinity (not JSON: the exact path refuses the row with a line),
    no double of 2**53 or more (maybe a rounded integer), no null in a list of ids, and no
    null inside an object. pyarrow fills a key one row lacks with null in every
    object of the block, and json_merge_patch then drops nulls: a null the row really had
    would be lost, so such blocks take the exact path, which keeps it."""
    import pyarrow.compute as pc
    import pyarrow.types as t

    def ok(arr: pa.Array) -> bool:
        typ = arr.type
        if t.is_floating(typ) and len(arr) > arr.null_count:
            if pc.any(pc.is_nan(arr)).as_py() or pc.any(pc.is_inf(arr)).as_py():
                return False
            if pc.max(pc.abs(arr)).as_py() >= _EXACT_DOUBLE:  # may be a rounded integer
                return False
        if t.is_struct(typ):
            valid = arr.is_valid()
            for i in range(typ.num_fields):
                child = arr.field(i)
                if child.null_count and pc.any(pc.and_(valid, child.is_null())).as_py():
                    return False
                if not ok(pc.filter(child, valid)):
                    return False
        elif t.is_list(typ) or t.is_large_list(typ):
            return ok(arr.flatten())
        return True

    for name in block.column_names:
        field = mapping.get(name, name)
        if field in LIST_COLUMNS and t.is_list(block.column(name).type):
            # [null] is no id: the exact path refuses it (the SQL would drop it silently)
            # .values, not list_flatten: no copy (a slice's values may reach past it: then a
            # null outside the slice only sends the block to the exact path, which is safe)
            if any(chunk.values.null_count for chunk in block.column(name).chunks):
                return False
            continue
        if name == "_row" or field in CONTENT_COLUMNS or field in PROVENANCE_COLUMNS:
            continue
        column = block.column(name)
        if not (t.is_floating(column.type) or t.is_struct(column.type) or t.is_list(column.type)):
            continue
        if not all(ok(chunk) for chunk in column.chunks):
            return False
    return True


def fast_select(schema: pa.Schema, mapping: dict[str, str], split_lists: bool) -> str | None:
    """SQL mapping a pyarrow-parsed block to a raw chunk, or None when types do not fit
    (then the exact path converts the block). Check the values with ``fast_values_ok``."""
    import pyarrow.types as t

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
        if not _plain(typ):
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
    if len(extras) > MAX_FAST_EXTRAS:
        return None
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
