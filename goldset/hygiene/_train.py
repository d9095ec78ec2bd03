"""Training data files for the leakage check: finding them, refusing what cannot be read with
one clear line, and streaming one text column through DuckDB.

A path is a JSONL (``.jsonl``, ``.ndjson``; ``.json``: JSON Lines or one array), CSV or Parquet
file, or a directory of such files (a DVC-tracked directory of shards). A DVC-tracked file is a
local file like any other once checked out; one that is not (a clone without ``dvc pull``) is
named with the command that fetches it. DuckDB reads every format in parallel and streams the
rows in Arrow batches, in file order: memory stays bounded whatever the file's size.

The file is opened once and read through ``/proc/self/fd/N`` (where there is one), so a name
with glob characters (``train[1].csv``) is just a name, as is a column name full of SQL: it is
quoted as an identifier and compared with the file's columns first.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from goldset.errors import BadInput
from goldset.store import db

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

#: File extension -> format.
FORMATS: Final = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: Rows per Arrow batch.
BATCH_ROWS: Final = 65_536
_NAMES: Final = {"jsonl": "JSON Lines", "json": "JSON", "csv": "CSV", "parquet": "Parquet"}
_PROC_FD: Final = Path("/proc/self/fd")


@dataclass(frozen=True)
class TrainSource:
    """One training data file."""

    path: Path
    #: The path as the user gave it (or the file inside the directory they gave).
    shown: str
    fmt: str


def sources(paths: Sequence[str | Path], root: Path | None = None) -> list[TrainSource]:
    """The files ``paths`` name (relative ones under ``root`` when given), each checked:
    present, a known format, not empty, not UTF-16; a directory gives its files."""
    out: list[TrainSource] = []
    for given in paths:
        path = Path(given)
        full = path if root is None or path.is_absolute() else root / path
        if not full.exists():
            raise BadInput(f"{given}: no such file{_dvc_hint(full, str(given))}")
        if full.is_dir():
            found = sorted(f for f in full.rglob("*") if f.is_file() and f.suffix.lower() in FORMATS
                           and not any(part.startswith(".") for part in f.relative_to(full).parts))
            if not found:
                raise BadInput(f"{given}: a directory with no {', '.join(FORMATS)} file in it")
            out += [_checked(f, str(Path(given) / f.relative_to(full))) for f in found]
        else:
            out.append(_checked(full, str(given)))
    return out


def _dvc_hint(path: Path, shown: str) -> str:
    """'; it is tracked by DVC (X.dvc): run dvc pull' when a ``.dvc`` file names it or a
    directory above it."""
    for p in (path, *path.parents):
        if not p.name:
            break
        record = p.with_name(p.name + ".dvc")
        if record.is_file():
            return f"; it is tracked by DVC ({record.name}) but not checked out: run 'dvc pull {shown}'"
    return ""


def _checked(path: Path, shown: str) -> TrainSource:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(f"{shown}: cannot tell the format from the extension {path.suffix or '(none)'!r}; "
                       "training data is JSON Lines (.jsonl), CSV (.csv) or Parquet (.parquet)")
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise BadInput(f"{shown}: cannot read it: {exc.strerror or exc}") from None
    if not head:
        raise BadInput(f"{shown}: the file is empty")
    if fmt != "parquet" and (head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head):
        what = "Parquet, not " + _NAMES[fmt] if head.startswith(b"PAR1") else "not UTF-8 text (UTF-16, or binary)"
        raise BadInput(f"{shown}: {what}; training data must be UTF-8 {_NAMES[fmt]}")
    return TrainSource(path, shown, fmt)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reader(location: str, fmt: str, column: str) -> str:
    loc = db.sql_str(location)
    if fmt == "parquet":
        return f"read_parquet({loc})"
    if fmt == "csv":
        return f"read_csv({loc}, header = true, all_varchar = true)"
    json_format = "newline_delimited" if fmt == "jsonl" else "auto"
    return f"read_json({loc}, format = '{json_format}', records = true, columns = {{{db.sql_str(column)}: 'VARCHAR'}})"


def _columns(con: duckdb.DuckDBPyConnection, location: str, fmt: str) -> dict[str, str]:
    """Column name -> DuckDB type; for JSON, the keys of the first rows."""
    loc = db.sql_str(location)
    reader = f"read_json({loc}, format = 'auto')" if fmt in ("json", "jsonl") else _reader(location, fmt, "")
    return {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}


def _message(exc: Exception, location: str, src: TrainSource) -> str:
    """DuckDB's error as one line, naming the file as the user named it."""
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    line = line.replace(location, src.shown)
    for prefix in ("Invalid Input Error: ", "IO Error: ", "Conversion Error: ", "Binder Error: "):
        line = line.removeprefix(prefix)
    return line[:300]


@contextlib.contextmanager
def opened(src: TrainSource) -> Iterator[str]:
    """A location DuckDB can read the file at for the whole block (``/proc/self/fd/N``)."""
    if not _PROC_FD.is_dir():
        yield str(src.path)
        return
    fd = os.open(src.path, os.O_RDONLY)
    try:
        yield f"{_PROC_FD}/{fd}"
    finally:
        os.close(fd)


def text_select(con: duckdb.DuckDBPyConnection, src: TrainSource, location: str, column: str) -> str:
    """SQL: the file's ``column`` as ``text`` (VARCHAR), in file order; BadInput when the
    column is not there or holds no text, or the file is not of its format."""
    import duckdb

    try:
        if src.fmt != "jsonl" and src.fmt != "json":
            cols = _columns(con, location, src.fmt)
            found = next((c for c in cols if c.lower() == column.lower()), None)
            if found is None:
                shown = ", ".join(repr(c) for c in list(cols)[:20])
                raise BadInput(f"{src.shown}: no column {column!r} (columns: {shown}); pass --column NAME")
            if src.fmt == "parquet" and cols[found] != "VARCHAR":
                raise BadInput(f"{src.shown}: column {column!r} holds {cols[found]}, not text; pass --column with a text column")
    except duckdb.Error as exc:
        raise BadInput(f"{src.shown}: not a readable {_NAMES[src.fmt]} file: {_message(exc, location, src)}") from None
    return f"SELECT CAST({_ident(column)} AS VARCHAR) AS text FROM {_reader(location, src.fmt, column)}"


def batches(con: duckdb.DuckDBPyConnection, src: TrainSource, location: str, sql: str) -> Iterator[pa.RecordBatch]:
    """Stream ``sql``'s rows in Arrow batches; a read error is one BadInput line naming the file."""
    import duckdb

    try:
        reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
        yield from reader
    except duckdb.Error as exc:
        raise BadInput(f"{src.shown}: not a readable {_NAMES[src.fmt]} file: {_message(exc, location, src)}") from None


def missing_text(con: duckdb.DuckDBPyConnection, src: TrainSource, location: str, column: str) -> BadInput:
    """The error for a JSON file none of whose rows has ``column``: names the keys it has."""
    import duckdb

    try:
        keys = ", ".join(repr(c) for c in list(_columns(con, location, src.fmt))[:20])
    except duckdb.Error:
        keys = "none"
    return BadInput(f"{src.shown}: no row has a text in {column!r} (keys: {keys}); pass --column NAME")
