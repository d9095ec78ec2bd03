"""Readers: JSONL and JSON files -> raw chunks, and what every reader shares (formats,
encoding checks, batching); CSV is in ``_read_csv``, Parquet in ``_read_parquet``.

Each reader streams the file in blocks, so memory stays bounded. A block takes the fast path
(pyarrow parses it, ``canonical.fast_select`` maps it) when its types fit, else the exact path
(``canonical.rows_to_chunk``), which names the line and field of every problem.
"""

from __future__ import annotations

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
)
from goldset.store import (
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
    # One C-level scan for a line with more brackets than the limit (no per-line objects:
    # splitting every 16 MiB block into lines cost a third of a core during imports; counting
    # the brackets first cost as much as this scan and ruled out nothing in a real block).
    brackets = block.translate(None, _NOT_BRACKET_OR_NEWLINE)
    if _MANY_BRACKETS.search(brackets) is None:
        return False
    per_line = brackets.split(b"\n")
    lines = block.split(b"\n")
    return any(len(b) > MAX_JSON_DEPTH and too_deep(lines[i]) for i, b in enumerate(per_line))


_NOT_BRACKET_OR_NEWLINE = bytes(b for b in range(256) if b not in b"[]{}\n")
_MANY_BRACKETS = re.compile(rb"[^\n]{%d,}" % (MAX_JSON_DEPTH + 1))


def _valid_utf8(data: bytes) -> bool:
    """``data`` is valid UTF-8 (surrogates refused, as ``bytes.decode`` refuses them). Arrow's
    validator reads the bytes in place without the GIL, about 30 times faster than decoding a
    block into a str we would throw away; the reader thread then stays out of the stager's way."""
    import pyarrow as pa

    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    binary = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        binary.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


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
    # A BOM inside the file (a second one, or mid-file) is not JSON, and pyarrow's JSON parser
    # does not check the encoding: the exact path names the line of either.
    if BOM not in block and not _deep_lines(block) and _valid_utf8(block):
        try:
            table = pj.read_json(io.BytesIO(block), read_options=pj.ReadOptions(block_size=max(1 << 22, len(block) // 8 + 1)))
        except pa.ArrowInvalid:
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


def _batched(items: Iterable[tuple[int, dict[str, Any] | str]], mapping: dict[str, str], split_lists: bool, size: int = 100_000) -> Iterator[pa.Table]:
    batch: list[tuple[int, dict[str, Any] | str]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield rows_to_chunk(batch, mapping, split_lists)
            batch = []
    if batch:
        yield rows_to_chunk(batch, mapping, split_lists)
