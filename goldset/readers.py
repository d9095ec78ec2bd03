"""Readers: JSONL, CSV and Parquet files -> raw chunks (see ``goldset.ingest``).

Each reader streams the file in blocks, so memory stays bounded. A block takes the *fast path*
(pyarrow parses it, one DuckDB query maps it) when its types fit; otherwise the *exact path*
parses it row by row in Python, which names the line and field of every problem. Both paths
produce the same canonical values, so an id or a metadata text never depends on the path.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Union

from goldset.errors import BadInput
from goldset.schema import CONTENT_COLUMNS, LIST_COLUMNS, PROVENANCE_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("jsonl", "csv", "parquet")
_EXT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: Bytes of source text per block.
BLOCK_BYTES = 16 << 20
_TEXT_FIELDS = ("input", "expected", "polarity", "tier", "status", "source")
Progress = Callable[[int], None]


def detect_format(path: Path, given: str | None) -> str:
    if given:
        if given not in FORMATS:
            raise BadInput(f"--format: {given!r} is not one of {', '.join(FORMATS)}")
        return given
    fmt = _EXT.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(f"{path}: cannot tell the format from the extension; pass --format {'|'.join(FORMATS)}")
    return fmt


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

    from goldset.ingest import raw_schema

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
                values = {"input": record.get(_source_of("input", mapping)) if isinstance(record.get(_source_of("input", mapping)), str) else None}
        cols["_row"].append(number)
        cols["_error"].append(error)
        for c in CONTENT_COLUMNS:
            cols[c].append(values.get(c))
    return pa.table(cols, schema=raw_schema())


def _source_of(field: str, mapping: dict[str, str]) -> str:
    for src, dst in mapping.items():
        if dst == field:
            return src
    return field


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fast_select(schema: pa.Schema, mapping: dict[str, str], split_lists: bool) -> str | None:
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


class RestartExact(Exception):
    """A streaming fast path met a row it cannot handle: stage again on the exact path."""


Chunk = Union["pa.Table", FastChunk]


# -- JSONL ----------------------------------------------------------------------------------
def _jsonl_blocks(path: Path) -> Iterator[tuple[int, bytes]]:
    """(first line number, block of whole lines) pairs of about BLOCK_BYTES each."""
    with open(path, "rb") as f:
        first, carry = 1, b""
        while True:
            data = f.read(BLOCK_BYTES)
            if not data:
                if carry:
                    yield first, carry
                return
            data = carry + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # one line longer than a block: keep reading
                carry = data
                continue
            block, carry = data[:cut], data[cut:]
            yield first, block
            first += block.count(b"\n")


def _jsonl_exact(first: int, lines: list[bytes]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for i, raw in enumerate(lines, start=first):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield i, f"not valid UTF-8 (byte {exc.start + 1} of the line)"
            continue
        try:
            yield i, json.loads(text)
        except json.JSONDecodeError as exc:
            yield i, f"malformed JSON: {exc.msg} at column {exc.colno}"
        except RecursionError:
            yield i, "malformed JSON: nested too deeply"


def _jsonl_chunk(first: int, block: bytes, mapping: dict[str, str]) -> Chunk:
    """One block of whole lines: pyarrow parses it (in parallel) when it is valid UTF-8, holds
    no blank line and its types fit; otherwise Python parses it line by line."""
    import pyarrow as pa
    import pyarrow.json as pj

    lines = block.count(b"\n") + (not block.endswith(b"\n"))
    try:
        block.decode("utf-8")  # pyarrow's JSON parser does not check the encoding
        table = pj.read_json(io.BytesIO(block), read_options=pj.ReadOptions(block_size=max(1 << 22, len(block) // 8 + 1)))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        table = None
    # Row i is line first+i only when no line is blank: otherwise the exact path.
    if table is not None and table.num_rows == lines:
        sql = _fast_select(table.schema, mapping, split_lists=False)
        if sql is not None:
            return FastChunk(table.append_column("_row", pa.array(range(first, first + lines), pa.int64())), sql)
    return rows_to_chunk(_jsonl_exact(first, block.splitlines()), mapping)


def read_jsonl(path: Path, mapping: dict[str, str], progress: Progress | None = None, exact: bool = False) -> Iterator[Chunk]:
    """Chunks of a JSONL file. The next block is parsed in a worker thread while the caller
    stages the current one (pyarrow and DuckDB both release the GIL); at most two blocks are
    in memory. ``exact`` is accepted for symmetry: JSONL picks its path per block."""
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[Chunk] | None = None
        pending_size = 0
        for first, block in _jsonl_blocks(path):
            nxt = pool.submit(_jsonl_chunk, first, block, mapping)
            if pending is not None:
                yield from _nonempty(pending.result())
                if progress:
                    progress(pending_size)
            pending, pending_size = nxt, len(block)
        if pending is not None:
            yield from _nonempty(pending.result())
            if progress:
                progress(pending_size)


def _nonempty(chunk: Chunk) -> Iterator[Chunk]:
    if isinstance(chunk, FastChunk) or chunk.num_rows:
        yield chunk


# -- CSV ------------------------------------------------------------------------------------
def _csv_exact(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Row-by-row CSV with exact problems, streaming; row 1 is the first row after the header."""
    bad_utf8: set[int] = set()

    def lines() -> Iterator[str]:
        with open(path, "rb") as f:
            for i, raw in enumerate(f, start=1):
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError:
                    bad_utf8.add(i)
                    yield raw.decode("utf-8", errors="replace")

    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        return
    n = 0
    start_line = reader.line_num + 1
    for row in reader:
        end_line = reader.line_num
        if not row or row == [""]:
            start_line = end_line + 1
            continue
        n += 1
        if any(ln in bad_utf8 for ln in range(start_line, end_line + 1)):
            yield n, f"not valid UTF-8 (line {start_line})"
        elif len(row) != len(header):
            yield n, f"expected {len(header)} fields like the header, got {len(row)} (line {start_line})"
        else:
            yield n, {h: (v if v != "" else None) for h, v in zip(header, row, strict=True)}
        start_line = end_line + 1


def _batched(items: Iterable[tuple[int, dict[str, Any] | str]], mapping: dict[str, str], split_lists: bool, size: int = 100_000) -> Iterator[pa.Table]:
    batch: list[tuple[int, dict[str, Any] | str]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield rows_to_chunk(batch, mapping, split_lists)
            batch = []
    if batch:
        yield rows_to_chunk(batch, mapping, split_lists)


def read_csv(path: Path, mapping: dict[str, str], progress: Progress | None = None, exact: bool = False) -> Iterator[Chunk]:
    """pyarrow's streaming CSV reader; at the first row it cannot take (wrong field count,
    bad UTF-8, a JSON list cell) it raises RestartExact and the file is staged again on the
    exact path, which names every bad row."""
    import pyarrow as pa
    import pyarrow.csv as pc

    if exact:
        yield from _batched(_csv_exact(path), mapping, split_lists=True)
        return
    try:
        with open(path, encoding="utf-8", newline="") as f:
            header = next(csv.reader(f), None)
    except UnicodeDecodeError:
        raise RestartExact from None
    if header is None:
        raise RestartExact
    if len(set(header)) != len(header):
        raise BadInput(f"{path}: the header names a column twice")
    try:
        reader = pc.open_csv(
            path,
            read_options=pc.ReadOptions(block_size=BLOCK_BYTES),
            convert_options=pc.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=True, null_values=[""]
            ),
        )
        n = 0
        for batch in reader:
            block = pa.Table.from_batches([batch])
            if any(str(v).lstrip().startswith("[") for c in LIST_COLUMNS for v in _column_for(block, c, mapping)):
                raise RestartExact
            sql = _fast_select(block.schema, mapping, split_lists=True)
            if sql is None:
                raise RestartExact
            numbers = pa.array(range(n + 1, n + 1 + block.num_rows), pa.int64())
            n += block.num_rows
            yield FastChunk(block.append_column("_row", numbers), sql)
            if progress:
                progress(batch.nbytes)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise RestartExact from None


def _column_for(block: pa.Table, field: str, mapping: dict[str, str]) -> list[Any]:
    name = _source_of(field, mapping)
    if name not in block.column_names:
        return []
    return [v for v in block.column(name).to_pylist() if v is not None]


# -- Parquet --------------------------------------------------------------------------------
def read_parquet(path: Path, mapping: dict[str, str], progress: Progress | None = None, exact: bool = False) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise BadInput(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    n = 0
    for batch in pf.iter_batches(batch_size=100_000):
        block = pa.Table.from_batches([batch])
        numbers = list(range(n + 1, n + 1 + block.num_rows))
        n += block.num_rows
        sql = _fast_select(block.schema, mapping, split_lists=False)
        if sql is not None:
            yield FastChunk(block.append_column("_row", pa.array(numbers, pa.int64())), sql)
        else:
            yield rows_to_chunk(zip(numbers, block.to_pylist(), strict=True), mapping)
        if progress:
            progress(batch.nbytes)


def read_file(path: Path, fmt: str, mapping: dict[str, str], progress: Progress | None = None, exact: bool = False) -> Iterator[Chunk]:
    readers = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}
    return readers[fmt](path, mapping, progress, exact)
