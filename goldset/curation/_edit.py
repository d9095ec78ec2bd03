"""Changing examples by id: ``edit`` one example's content, ``update`` (content or tags, the
library's one entry point for both), and ``remove`` examples.

An edit of ``input`` recomputes ``input_hash`` with the same SQL every import uses. Each is
one copy-on-write rewrite through the write path, so only the parts holding the rows change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from goldset.access import roles
from goldset.curation._approval import approval_rule
from goldset.curation._tag import TagChange, select_targets, tag
from goldset.errors import BadInput, UsageError
from goldset.store import (
    MAX_FIELD_BYTES,
    JsonProblem,
    db,
    input_hash_sql,
    is_blank,
    json_loads,
    lone_surrogate,
)
from goldset.workspace import Dataset, WriteResult, writing

#: Fields of the example's content that ``edit`` changes.
CONTENT_FIELDS = ("input", "expected", "source", "metadata")


def _text(field: str, value: str, *, required: bool = False) -> str:
    if required and is_blank(value):
        raise BadInput(f"--{field}: must not be empty (or only whitespace)")
    bad = lone_surrogate(value)
    if bad is not None:
        raise BadInput(f"--{field}: not valid Unicode (a lone surrogate {bad}); fix the text")
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
    keep_approval: bool = False,
) -> WriteResult:
    """Change fields of one example. Fields left None stay as they are.

    A change of an approved example's input or expected sends it back to draft (see
    :mod:`goldset.curation._approval`) unless ``keep_approval``, which needs the review right."""
    actions = ("edit", "review") if keep_approval else ("edit",)
    with writing(ds, *actions, op="edit", ids=[example_id], note=note) as w:
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
                parsed = json_loads(metadata)
            except JsonProblem as exc:
                raise BadInput(f"--metadata: not JSON ({str(exc).removeprefix('malformed JSON: ')})") from None
            if not isinstance(parsed, dict):
                raise BadInput("--metadata: must be a JSON object, e.g. '{\"ticket\": \"T-12\"}'")
            sets["metadata"] = db.sql_str(_text("metadata", json.dumps(parsed, ensure_ascii=False)))
        if not sets:
            raise UsageError("nothing to change: give --input, --expected, --source or --metadata")
        con = db.connect()
        try:
            pred = select_targets(ds, con, [example_id], None)
            changed = " OR ".join(f"({sets[c]}) IS DISTINCT FROM {c}" for c in roles.APPROVAL_FIELDS if c in sets)
            if changed:
                sets.update(approval_rule(ds, con, w, changed, keep=keep_approval))
            return w.rewrite(con, pred, sets)
        finally:
            con.close()


def edit_texts(
    ds: Dataset,
    texts: Mapping[str, tuple[str, str | None]],
    *,
    op: str = "edit",
    note: str | None = None,
    keep_approval: bool = False,
) -> WriteResult:
    """Set the input and expected of many examples in one write: ``texts`` maps an id to its
    new (input, expected). The checks, roles, approval rule and audit of :func:`edit` (one
    audit line for the whole change, ``op`` naming it, e.g. ``pii-redact``)."""
    if not texts:
        raise UsageError("nothing to change: no example given")
    actions = ("edit", "review") if keep_approval else ("edit",)
    ids = list(texts)
    with writing(ds, *actions, op=op, ids=ids, note=note) as w:
        import pyarrow as pa

        table = pa.table({
            "rid": pa.array(ids, pa.string()),
            "new_input": pa.array([_text("input", texts[i][0], required=True) for i in ids], pa.string()),
            "new_expected": pa.array([None if texts[i][1] is None else _text("expected", str(texts[i][1])) for i in ids],
                                     pa.string()),
        })
        con = db.connect()
        try:
            con.register("_texts_arrow", table)
            con.execute("CREATE OR REPLACE TEMP TABLE _texts AS SELECT * FROM _texts_arrow")
            pred = select_targets(ds, con, ids, None)
            # Correlated on the row's id (the table's key is named rid, so `id` is the row's).
            new_input = "(SELECT new_input FROM _texts WHERE rid = id)"
            sets = {"input": new_input, "input_hash": input_hash_sql(new_input),
                    "expected": "(SELECT new_expected FROM _texts WHERE rid = id)"}
            changed = f"({sets['input']}) IS DISTINCT FROM input OR ({sets['expected']}) IS DISTINCT FROM expected"
            sets.update(approval_rule(ds, con, w, changed, keep=keep_approval))
            return w.rewrite(con, pred, sets)
        finally:
            con.close()


def update(
    ds: Dataset, ids: Sequence[str], *, note: str | None = None, keep_approval: bool = False, **changes: Any
) -> WriteResult:
    """Change examples by id, with the checks, roles and audit line of the CLI: each field
    with the right that owns it (``goldset.access.roles.FIELD_ACTIONS``).

    Tags for many ids: ``add_scenarios``, ``remove_scenarios``, ``add_edge_cases``,
    ``remove_edge_cases``, ``tier``, ``polarity`` (see :func:`tag`).
    Content of one id: ``input``, ``expected``, ``source``, ``metadata`` (see :func:`edit`).
    A change of input, expected or polarity sends an approved example back to draft unless
    ``keep_approval`` (the review right). Status changes are reviews: :func:`goldset.curation.review`.
    """
    from pydantic import ValidationError

    if "status" in changes:
        raise UsageError("update: status changes are reviews: use goldset.review (approve, reject, retire)")
    content = {k: changes.pop(k) for k in CONTENT_FIELDS if k in changes}
    if content:
        if changes or len(ids) != 1:
            raise UsageError("content fields (input, expected, source, metadata) change one example at a time, without tags")
        return edit(ds, ids[0], note=note, keep_approval=keep_approval, **content)
    unknown = sorted(set(changes) - set(TagChange.model_fields))
    if unknown:
        raise UsageError(f"update: {unknown[0]}: not a field (tags: {', '.join(TagChange.model_fields)}; content: {', '.join(CONTENT_FIELDS)})")
    try:
        change = TagChange(**changes)
    except ValidationError as exc:
        raise UsageError(f"update: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    return tag(ds, change, ids=list(ids), note=note, keep_approval=keep_approval)


def remove(ds: Dataset, ids: Sequence[str], *, note: str | None = None) -> WriteResult:
    """Delete examples by id; every id must exist (they stay in earlier snapshots)."""
    with writing(ds, "remove", op="remove", ids=ids, note=note) as w:
        con = db.connect()
        try:
            pred = select_targets(ds, con, ids, None)  # every id must exist, or nothing is removed
            return w.rewrite(con, pred, None)
        finally:
            con.close()
