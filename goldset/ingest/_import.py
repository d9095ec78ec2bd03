"""``goldset import``: a JSONL, CSV or Parquet file into a dataset, all or nothing by default."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, overload

from goldset.errors import BadInput, UsageError
from goldset.ingest._canonical import Chunk, source_of
from goldset.ingest._plan import ImportPlan, ImportResult, close_column
from goldset.ingest._read_csv import read_csv
from goldset.ingest._read_parquet import read_parquet
from goldset.ingest._readers import (
    Progress,
    RestartExact,
    detect_format,
    read_jsonl,
)
from goldset.ingest._stage import ImportDefaults, Stager, stage_and_merge
from goldset.store import CONTENT_COLUMNS, db
from goldset.workspace import Dataset, OnDuplicate, managed_path

#: DuckDB's working memory during an import; beyond it, staging spills to a temp directory.
IMPORT_MEMORY = "1GB"


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``--map SRC=FIELD`` pairs -> {source column: goldset field}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep or not src or not dst:
            raise UsageError(f"--map {pair!r}: use SOURCE=FIELD, e.g. --map text=input")
        if dst not in CONTENT_COLUMNS and not dst.startswith("metadata."):
            raise UsageError(f"--map {pair!r}: {dst!r} is not a field ({', '.join(CONTENT_COLUMNS)})")
        mapping[src] = dst.removeprefix("metadata.")
    return mapping


@overload
def import_file(
    ds: Dataset, path: Path, *, fmt: str | None = ..., mapping: dict[str, str] | None = ...,
    defaults: ImportDefaults | None = ..., on_duplicate: OnDuplicate = ..., skip_invalid: bool = ...,
    rejects: Path | None = ..., progress: Progress | None = ..., keep_approval: bool = ...,
    restore_removed: bool = ..., dry_run: Literal[False] = ...,
) -> ImportResult: ...
@overload
def import_file(
    ds: Dataset, path: Path, *, fmt: str | None = ..., mapping: dict[str, str] | None = ...,
    defaults: ImportDefaults | None = ..., on_duplicate: OnDuplicate = ..., skip_invalid: bool = ...,
    rejects: Path | None = ..., progress: Progress | None = ..., keep_approval: bool = ...,
    restore_removed: bool = ..., dry_run: Literal[True],
) -> ImportPlan: ...
@overload
def import_file(
    ds: Dataset, path: Path, *, fmt: str | None = ..., mapping: dict[str, str] | None = ...,
    defaults: ImportDefaults | None = ..., on_duplicate: OnDuplicate = ..., skip_invalid: bool = ...,
    rejects: Path | None = ..., progress: Progress | None = ..., keep_approval: bool = ...,
    restore_removed: bool = ..., dry_run: bool = ...,
) -> ImportResult | ImportPlan: ...
def import_file(
    ds: Dataset,
    path: Path,
    *,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    defaults: ImportDefaults | None = None,
    on_duplicate: OnDuplicate = "error",
    skip_invalid: bool = False,
    rejects: Path | None = None,
    progress: Progress | None = None,
    keep_approval: bool = False,
    restore_removed: bool = False,
    dry_run: bool = False,
) -> ImportResult | ImportPlan:
    """Import a JSONL, CSV or Parquet file (see :mod:`goldset.ingest._plan` for what happens
    to ids already stored, to approvals and to removed ids). ``dry_run``: stage and compare,
    write nothing, return the :class:`ImportPlan`."""
    why = managed_path(rejects) if rejects is not None else None
    if why is not None:
        raise BadInput(f"--rejects: refusing to write {rejects}: {why}; write it elsewhere")
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    fmt = detect_format(path, fmt)
    mapping = mapping or {}
    con = db.connect(memory_limit=IMPORT_MEMORY)
    con.execute(f"SET temp_directory = {db.sql_str(tempfile.gettempdir() + '/goldset-duckdb')}")

    def feed(stager: Stager) -> str:
        try:
            for chunk in read_file(path, fmt, mapping, progress):
                stager.add_chunk(chunk)
        except RestartExact:
            stager.reset()
            for chunk in read_file(path, fmt, mapping, exact=True):
                stager.add_chunk(chunk)
        if stager.rows_in and stager.columns:  # no columns at all: every row says what is wrong
            check_columns(path.name, list(stager.columns), mapping)
        return "line" if fmt == "jsonl" else "row"

    try:
        return stage_and_merge(
            ds,
            con,
            feed,
            defaults or ImportDefaults(),
            op="import",
            note=f"from {path.name}",
            source=path.name,
            mapping=mapping,
            on_duplicate=on_duplicate,
            skip_invalid=skip_invalid,
            rejects=str(rejects) if rejects else None,
            keep_approval=keep_approval,
            restore_removed=restore_removed,
            dry_run=dry_run,
        )
    finally:
        con.close()


def check_columns(name: str, columns: list[str], mapping: dict[str, str]) -> None:
    """One line for a mapping mistake, instead of "input: missing" on every row: a ``--map``
    source the file does not have, or no column that becomes the input."""
    shown = f"its columns: {', '.join(columns[:30])}{' ...' if len(columns) > 30 else ''}" if columns else "it has no columns"
    unknown = [src for src in mapping if src not in columns]
    if unknown:
        what = "; ".join(f"--map {src}={mapping[src]}: no column {src!r}{close_column(src, columns)}" for src in unknown)
        raise BadInput(f"{name}: {what}; {shown}")
    if source_of("input", mapping) not in columns:
        hint = close_column("input", [c for c in columns if c not in mapping])
        raise BadInput(
            f"{name} has no input column{hint}; {shown}; "
            "name the column that holds the input with --map COLUMN=input"
        )


def read_file(path: Path, fmt: str, mapping: dict[str, str], progress: Progress | None = None, exact: bool = False) -> Iterator[Chunk]:
    """The raw chunks of ``path`` read as ``fmt`` (jsonl, csv, parquet)."""
    readers = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}
    return readers[fmt](path, mapping, progress, exact)
