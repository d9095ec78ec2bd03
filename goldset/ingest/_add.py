"""``add``: examples given as Python mappings (the CLI's ``goldset add`` sends one), staged
and checked exactly like a file import."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from goldset.ingest._plan import ImportResult
from goldset.ingest._stage import ImportDefaults, Stager, stage_and_merge
from goldset.store import db

if TYPE_CHECKING:
    import pyarrow as pa

    from goldset.workspace import Dataset, OnDuplicate


def records_to_chunk(records: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Python mappings -> one raw chunk (types checked per row, like a JSONL file)."""
    from goldset.ingest._canonical import rows_to_chunk

    return rows_to_chunk(((i, dict(r)) for i, r in enumerate(records, start=1)), {})


def add(
    ds: Dataset,
    records: Iterable[Mapping[str, Any]],
    *,
    on_duplicate: OnDuplicate = "error",
    op: str = "add",
    keep_approval: bool = False,
    restore_removed: bool = False,
) -> ImportResult:
    """Add examples given as mappings of content columns (id optional), all or nothing, with
    the rules of an import (:func:`goldset.ingest.import_file`): status approved needs the
    review right, an update changes only the fields a record gives, removed ids stay removed."""
    con = db.connect()
    try:
        chunk = records_to_chunk(records)

        def feed(stager: Stager) -> str:
            stager.add_chunk(chunk)
            return "record"

        result = stage_and_merge(ds, con, feed, ImportDefaults(), op=op, on_duplicate=on_duplicate,
                                 keep_approval=keep_approval, restore_removed=restore_removed)
        assert isinstance(result, ImportResult)
        return result
    finally:
        con.close()
