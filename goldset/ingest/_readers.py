"""Readers: JSONL, CSV and Parquet files -> raw chunks (see ``goldset.ingest``).

Each reader streams the file in blocks, so memory stays bounded. A block takes the fast path
(pyarrow parses it, ``canonical.fast_select`` maps it) when its types fit, else the exact path
(``canonical.rows_to_chunk``), which names the line and field of every problem.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldset.errors import BadInput
from goldset.ingest._canonical import (
    Chunk,
    FastChunk,
    _type_name,
    fast_select,
    fast_values_ok,
    rows_to_chunk,
    source_of,
)
from goldset.store import (
    LIST_COLUMNS,
    MAX_FIELD_BYTES,
    MAX_JSON_DEPTH,
    JsonProblem,
    json_loads,
    json_raw_decode,
    too_deep,
)

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("jsonl", "csv", "parquet")
_EXT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: Bytes of source text per block.
BLOCK_BYTES = 16 << 20
BOM = b"\xef\xbb\xbf"
Progress = Callable[[int], None]
#: A pretty-printed JSON file (an array, or one object over many lines) up to this size is
#: read as one document; a larger one is refused with how to convert it.
MAX_JSON_DOCUMENT_BYTES = 64 << 20
#: Largest CSV field the exact path reads; a larger one is refused with its row.
MAX_CSV_FIELD_BYTES = 4 * MAX_FIELD_BYTES
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _check_encoding(path: Path) -> None:
    """Refuse a UTF-16 or UTF-32 file up front, instead of one confusing error per row."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(_UTF16_BOMS) or b"\x00" in head:
        how = "starts with a UTF-16 byte-order mark" if head.startswith(_UTF16_BOMS) else "holds NUL bytes"
        raise BadInput(f"{path}: looks like UTF-16 (it {how}); save it as UTF-8 and import again")


def detect_format(path: Path, given: str | None) -> str:
    if given:
        if given not in FORMATS:
            raise BadInput(f"--format: {given!r} is not one of {', '.join(FORMATS)}")
        return given
    fmt = _EXT.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(f"{path}: cannot tell the format from the extension; pass --format {'|'.join(FORMATS)}")
    return fmt


class RestartExact(Exception):
    """A streaming fast path met a row it cannot handle: stage again on the exact path."""


def _jsonl_blocks(path: Path) -> Iterator[tuple[int, bytes]]:
    """(first line number, block of whole lines) pairs of about BLOCK_BYTES each."""
    with open(path, "rb") as f:
        first, carry = 1, b""
        if f.read(3) != BOM:  # editors on Windows start UTF-8 files with a byte-order mark
            f.seek(0)
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
            yield i, json_loads(text)
        except JsonProblem as exc:
            yield i, str(exc)


def _deep_lines(block: bytes) -> bool:
    """Some line of ``block`` nests deeper than MAX_JSON_DEPTH. pyarrow's parser recurses per
    level and crashes the process (SIGSEGV) around 10,000 levels, so this runs first. Only a
    line with more brackets than the limit can be that deep: those few are scanned exactly."""
    if block.count(b"[") + block.count(b"{") <= MAX_JSON_DEPTH:
        return False
    brackets = block.translate(None, _NOT_BRACKET_OR_NEWLINE)
    # One C-level scan for a line with more brackets than the limit (no per-line objects:
    # splitting every 16 MiB block into lines cost a third of a core during imports).
    if _MANY_BRACKETS.search(brackets) is None:
        return False
    per_line = brackets.split(b"\n")
    lines = block.split(b"\n")
    return any(len(b) > MAX_JSON_DEPTH and too_deep(lines[i]) for i, b in enumerate(per_line))


_NOT_BRACKET_OR_NEWLINE = bytes(b for b in range(256) if b not in b"[]{}\n")
_MANY_BRACKETS = re.compile(rb"[^\n]{%d,}" % (MAX_JSON_DEPTH + 1))


def _jsonl_chunk(first: int, block: bytes, mapping: dict[str, str]) -> Chunk:
    """One block of whole lines: pyarrow parses it (in parallel) when it is valid UTF-8, holds
    no blank line and nothing nested too deeply, and its types and values fit (pyarrow reads
    NaN and Infinity as numbers, and an integer beyond 2**53 in a column with fractions as a
    rounded double: ``fast_values_ok`` sends those blocks on); otherwise Python parses it line
    by line (the exact path), naming each bad line."""
    import pyarrow as pa
    import pyarrow.json as pj

    lines = block.count(b"\n") + (not block.endswith(b"\n"))
    table = None
    # a BOM inside the file (a second one, or mid-file) is not JSON: the exact path says so
    if BOM not in block and not _deep_lines(block):
        try:
            block.decode("utf-8")  # pyarrow's JSON parser does not check the encoding
            table = pj.read_json(io.BytesIO(block), read_options=pj.ReadOptions(block_size=max(1 << 22, len(block) // 8 + 1)))
        except (pa.ArrowInvalid, UnicodeDecodeError):
            table = None
    # Row i is line first+i only when no line is blank: otherwise the exact path.
    if table is not None and table.num_rows == lines:
        sql = fast_select(table.schema, mapping, split_lists=False)
        if sql is not None and fast_values_ok(table, mapping):
            return FastChunk(table.append_column("_row", pa.array(range(first, first + lines), pa.int64())), sql)
    return rows_to_chunk(_jsonl_exact(first, block.splitlines()), mapping)


def read_jsonl(path: Path, mapping: dict[str, str], progress: Progress | None = None, exact: bool = False) -> Iterator[Chunk]:
    """Chunks of a JSONL file. The next block is parsed in a worker thread while the caller
    stages the current one (pyarrow and DuckDB both release the GIL); at most two blocks are
    in memory. ``exact`` is accepted for symmetry: JSONL picks its path per block."""
    from concurrent.futures import Future, ThreadPoolExecutor

    _check_encoding(path)
    if _is_json_document(path):
        yield from _read_json_document(path, mapping)
        return
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


def _is_json_document(path: Path) -> bool:
    """A pretty-printed JSON file rather than JSON Lines: it starts with ``[`` (an array of
    objects), or its first line is a lone ``{`` (one object over many lines)."""
    with open(path, "rb") as f:
        head = f.read(64 << 10)
    head = head.removeprefix(BOM).lstrip(b" \t\r\n")
    return head.startswith(b"[") or head.split(b"\n", 1)[0].strip() == b"{"


def _read_json_document(path: Path, mapping: dict[str, str]) -> Iterator[Chunk]:
    """A JSON array of objects (each a row, numbered by the line it starts on) or one JSON
    object, read whole when at most MAX_JSON_DOCUMENT_BYTES."""
    size = path.stat().st_size
    if size > MAX_JSON_DOCUMENT_BYTES:
        raise BadInput(
            f"{path}: this is a JSON document (an array or a multi-line object), not JSON Lines (one object "
            f"per line), and at {size >> 20} MiB too large to read whole (limit {MAX_JSON_DOCUMENT_BYTES >> 20} MiB); "
            f"convert it, e.g. jq -c '.[]' {path.name} > {path.stem}.jsonl"
        )
    data = path.read_bytes().removeprefix(BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadInput(f"{path}: line {line}: not valid UTF-8 (byte {exc.start + 1} of the file)") from None
    yield from _batched(_json_document_rows(path, text), mapping, split_lists=False)


def _json_document_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    ws = re.compile(r"[ \t\r\n]*")

    def fail(pos: int, why: str) -> BadInput:
        line = text.count("\n", 0, pos) + 1
        return BadInput(f"{path}: line {line}: {why} (read as one JSON document, since it "
                        f"{'starts with [' if text.lstrip().startswith('[') else 'starts with a lone {'})")

    def value(pos: int) -> tuple[Any, int]:
        try:
            obj, end = json_raw_decode(text, pos)
        except JsonProblem as exc:
            raise fail(pos, str(exc)) from None
        except json.JSONDecodeError as exc:
            raise fail(exc.pos, f"malformed JSON: {exc.msg}") from None
        except RecursionError:
            raise fail(pos, f"nested deeper than {MAX_JSON_DEPTH} levels") from None
        except ValueError as exc:
            raise fail(pos, f"malformed JSON: {str(exc).splitlines()[0]}") from None
        return obj, end

    pos = ws.match(text, 1 if text.startswith("\ufeff") else 0).end()  # type: ignore[union-attr]
    if not text.startswith("[", pos):
        obj, end = value(pos)
        if ws.match(text, end).end() != len(text):  # type: ignore[union-attr]
            raise fail(end, "more than one JSON value; JSON Lines needs one object per line")
        yield 1, obj if isinstance(obj, dict) else f"expected a JSON object, got {_type_name(obj)}"
        return
    pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", pos):
        return
    line, counted = 1, 0
    while True:
        line += text.count("\n", counted, pos)
        counted = pos
        obj, end = value(pos)
        if too_deep(text[pos:end].encode("utf-8", "surrogatepass"), MAX_JSON_DEPTH):
            yield line, f"nested deeper than {MAX_JSON_DEPTH} levels"
        elif not isinstance(obj, dict):  # a bare string would read as a reader's problem
            yield line, f"expected a JSON object, got {_type_name(obj)}"
        else:
            yield line, obj
        pos = ws.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith("]", pos):
            if ws.match(text, pos + 1).end() != len(text):  # type: ignore[union-attr]
                raise fail(pos + 1, "text after the closing ]")
            return
        if not text.startswith(",", pos):
            raise fail(pos, "expected ',' or ']' between the items of the array")
        pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]


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
                    yield raw.decode("utf-8-sig" if i == 1 else "utf-8")
                except UnicodeDecodeError:
                    bad_utf8.add(i)
                    yield raw.decode("utf-8", errors="replace")

    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise _csv_error(path, "the header", 1, exc) from None
    n = 0
    start_line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_error(path, f"row {n + 1}", start_line, exc) from None
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


def _csv_error(path: Path, what: str, line: int, exc: csv.Error) -> BadInput:
    why = str(exc)
    if "field larger than field limit" in why:
        why = (f"a field longer than {MAX_CSV_FIELD_BYTES >> 20} MiB (fields hold at most "
               f"{MAX_FIELD_BYTES >> 20} MiB; is a quote left open?)")
    return BadInput(f"{path}: {what} (line {line}): {why}; nothing written")


def _csv_header(path: Path) -> list[str] | None:
    """The header row, or None when the file is empty or its first line is not UTF-8 (the
    exact path then names the problem)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return next(csv.reader(f), None)
    except UnicodeDecodeError:
        return None
    except csv.Error as exc:
        raise _csv_error(path, "the header", 1, exc) from None


def _check_delimiter(path: Path, header: list[str]) -> None:
    """A header of one column holding ';' or a tab: the file uses another delimiter."""
    if len(header) != 1:
        return
    for sep, name in ((";", "';'-delimited"), ("\t", "tab-delimited")):
        if sep in header[0]:
            raise BadInput(
                f"{path}: looks like {name} (the header is one column, {header[0][:60]!r}); goldset reads "
                "comma-separated CSV: save it with ',' as the delimiter"
            )


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

    if csv.field_size_limit() < MAX_CSV_FIELD_BYTES:  # Python's default is 128 KiB
        csv.field_size_limit(MAX_CSV_FIELD_BYTES)
    _check_encoding(path)
    header = _csv_header(path)
    if header is not None:
        _check_delimiter(path, header)
    if exact:
        yield from _batched(_csv_exact(path), mapping, split_lists=True)
        return
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
            sql = fast_select(block.schema, mapping, split_lists=True)
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
    name = source_of(field, mapping)
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
    names = pf.schema_arrow.names
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BadInput(f"{path}: the file has more than one column named {twice[0]!r}; rename them")
    for field in pf.schema_arrow:
        if _type_depth(field.type) > MAX_JSON_DEPTH:
            raise BadInput(f"{path}: column {field.name!r} is nested deeper than {MAX_JSON_DEPTH} levels")
    n = 0
    for batch in pf.iter_batches(batch_size=100_000):
        block = pa.Table.from_batches([batch])
        numbers = list(range(n + 1, n + 1 + block.num_rows))
        n += block.num_rows
        sql = fast_select(block.schema, mapping, split_lists=False)
        if sql is not None and fast_values_ok(block, mapping):
            yield FastChunk(block.append_column("_row", pa.array(numbers, pa.int64())), sql)
        else:
            yield rows_to_chunk(zip(numbers, block.to_pylist(), strict=True), mapping)
        if progress:
            progress(batch.nbytes)


def _type_depth(typ: pa.DataType) -> int:
    """Levels of lists and structs in a type (a scalar: 1), counted without recursion."""
    deepest, todo = 0, [(typ, 1)]
    while todo:
        t, d = todo.pop()
        deepest = max(deepest, d)
        if d > MAX_JSON_DEPTH:
            break
        todo.extend((t.field(i).type, d + 1) for i in range(t.num_fields))
    return deepest


def read_file(path: Path, fmt: str, mapping: dict[str, str], progress: Progress | None = None, exact: bool = False) -> Iterator[Chunk]:
    readers = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}
    return readers[fmt](path, mapping, progress, exact)
