"""CSV files -> raw chunks: pyarrow's reader on the fast path, Python's csv module on the exact
path (with the row of every problem); the header is checked first."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldset.errors import BadInput
from goldset.ingest._canonical import (
    Chunk,
    FastChunk,
    fast_select,
    source_of,
)
from goldset.ingest._readers import (
    BLOCK_BYTES,
    MAX_CSV_FIELD_BYTES,
    Progress,
    RestartExact,
    _batched,
    _check_encoding,
)
from goldset.store import (
    LIST_COLUMNS,
    MAX_FIELD_BYTES,
)

if TYPE_CHECKING:
    import pyarrow as pa


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
