"""``goldset import``: a JSONL, CSV or Parquet file into a dataset, all or nothing by default."""

from __future__ import annotations

import tempfile
from pathlib import Path

from goldset.errors import BadInput, UsageError
from goldset.ingest._readers import (
    Progress,
    RestartExact,
    detect_format,
    read_file,
)
from goldset.ingest._stage import ImportDefaults, Stager, stage_and_merge
from goldset.store import CONTENT_COLUMNS, db
from goldset.workspace import Dataset, OnDuplicate, WriteResult, writing

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
) -> WriteResult:
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
        return "line" if fmt == "jsonl" else "row"

    try:
        with writing(ds, "import", op="import", note=f"from {path.name}") as w:
            return stage_and_merge(
                w,
                con,
                feed,
                defaults or ImportDefaults(),
                on_duplicate=on_duplicate,
                skip_invalid=skip_invalid,
                rejects=str(rejects) if rejects else None,
            )
    finally:
        con.close()
