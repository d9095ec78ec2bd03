"""Changing examples by id: ``edit`` one example's content, ``update`` (content or tags, the
library's one entry point for both), and ``remove`` examples.

An edit of ``input`` recomputes ``input_hash`` with the same SQL every import uses. Each is
one copy-on-write rewrite through the write path, so only the parts holding the rows change.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from goldset.curation._tag import TagChange, select_targets, tag
from goldset.errors import BadInput, UsageError
from goldset.store import MAX_FIELD_BYTES, db, input_hash_sql
from goldset.workspace import Dataset, WriteResult, writing

#: Fields of the example's content that ``edit`` changes.
CONTENT_FIELDS = ("input", "expected", "source", "metadata")


def _text(field: str, value: str, *, required: bool = False) -> str:
    if required and not value.strip():
        raise BadInput(f"--{field}: must not be empty")
    if len(value.encode("utf-8")) > MAX_FIELD_BYTES:
        raise BadInput(f"--{field}: more than the {MAX_FIELD_BYTES >> 20} MiB limit")
    return value


def edit(
    ds: Dataset,
    example_id: str,
    *,
    input: str | None = None,
    expected: str | None = None,
    source: str | None = None,
    metadata: str | None = None,
    note: str | None = None,
) -> WriteResult:
    """Change fields of one example. Fields left None stay as they are."""
    with writing(ds, "edit", op="edit", ids=[example_id], note=note) as w:
        sets: dict[str, str] = {}
        if input is not None:
            lit = db.sql_str(_text("input", input, required=True))
            sets["input"] = lit
            sets["input_hash"] = input_hash_sql(lit)
        if expected is not None:
            sets["expected"] = db.sql_str(_text("expected", expected))
        if source is not None:
            sets["source"] = db.sql_str(_text("source", source, required=True))
        if metadata is not None:
            try:
                parsed = json.loads(metadata)
            except json.JSONDecodeError as exc:
                raise BadInput(f"--metadata: not JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(parsed, dict):
                raise BadInput("--metadata: must be a JSON object, e.g. '{\"ticket\": \"T-12\"}'")
            sets["metadata"] = db.sql_str(_text("metadata", json.dumps(parsed, ensure_ascii=False)))
        if not sets:
            raise UsageError("nothing to change: give --input, --expected, --source or --metadata")
        con = db.connect()
        try:
            pred = select_targets(ds, con, [example_id], None)
            return w.rewrite(con, pred, sets)
        finally:
            con.close()


def update(ds: Dataset, ids: Sequence[str], *, note: str | None = None, **changes: Any) -> WriteResult:
    """Change examples by id, with the checks, roles and audit line of the CLI.

    Tags for many ids: ``add_scenarios``, ``remove_scenarios``, ``add_edge_cases``,
    ``remove_edge_cases``, ``tier``, ``polarity`` (see :func:`tag`).
    Content of one id: ``input``, ``expected``, ``source``, ``metadata`` (see :func:`edit`).
    Status changes are reviews: :func:`goldset.curation.review`.
    """
    from pydantic import ValidationError

    content = {k: changes.pop(k) for k in CONTENT_FIELDS if k in changes}
    if content:
        if changes or len(ids) != 1:
            raise UsageError("content fields (input, expected, source, metadata) change one example at a time, without tags")
        return edit(ds, ids[0], note=note, **content)
    unknown = sorted(set(changes) - set(TagChange.model_fields))
    if unknown:
        raise UsageError(f"update: {unknown[0]}: not a field (tags: {', '.join(TagChange.model_fields)}; content: {', '.join(CONTENT_FIELDS)})")
    try:
        change = TagChange(**changes)
    except ValidationError as exc:
        raise UsageError(f"update: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    return tag(ds, change, ids=list(ids), note=note)


def remove(ds: Dataset, ids: Sequence[str], *, note: str | None = None) -> WriteResult:
    """Delete examples by id; every id must exist (they stay in earlier snapshots)."""
    with writing(ds, "remove", op="remove", ids=ids, note=note) as w:
        con = db.connect()
        try:
            pred = select_targets(ds, con, ids, None)  # every id must exist, or nothing is removed
            return w.rewrite(con, pred, None)
        finally:
            con.close()
