"""Readers: JSONL, CSV and Parquet files -> raw chunks (see ``goldset.ingest``).

Each reader streams the file in blocks, so memory stays bounded. A block takes the fast path
(pyarrow parses it, ``canonical.fast_select`` maps it) when its types fit, else the exact path
(``canonical.rows_to_chunk``), which names the line and field of every problem.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldset.errors import BadInput
from goldset.ingest._canonical import (
    Chunk,
    FastChunk,
    fast_select,
    rows_to_chunk,
    source_of,
)
from goldset.store import LIST_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("jsonl", "csv", "parquet")
_EXT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: Bytes of source text per block.
BLOCK_BYTES = 16 << 20
BOM = b"\xef\xbb\xbf"
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
        sql = fast_select(table.schema, mapping, split_lists=False)
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
                    yield raw.decode("utf-8-sig" if i == 1 else "utf-8")
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
        with open(path, encoding="utf-8-sig", newline="") as f:
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
    n = 0
    for batch in pf.iter_batches(batch_size=100_000):
        block = pa.Table.from_batches([batch])
        numbers = list(range(n + 1, n + 1 + block.num_rows))
        n += block.num_rows
        sql = fast_select(block.schema, mapping, split_lists=False)
        if sql is not None:
            yield FastChunk(block.append_column("_row", pa.array(numbers, pa.int64())), sql)
        else:
            yield rows_to_chunk(zip(numbers, block.to_pylist(), strict=True), mapping)
        if progress:
            progress(batch.nbytes)


def read_file(path: Path, fmt: str, mapping: dict[str, str], progress: Progress | None = None, exact: bool = False) -> Iterator[Chunk]:
    readers = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}
    return readers[fmt](path, mapping, progress, exact)
