"""Editing one example, and reviewing many: approve, reject (back to draft) or retire.

Both are :meth:`Dataset.rewrite` calls, so they rewrite only the parts holding the rows.
An edit of ``input`` recomputes ``input_hash`` with the same SQL every import uses. A review
sets ``status`` and ``reviewed_at/by`` (re-approving an approved example refreshes its review
date: that is how an example stays fresh). With ``review: {require_distinct_reviewer: true}``
in the spec nobody may approve an example they created.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from goldset import db, roles
from goldset.dataset import Dataset, WriteResult
from goldset.errors import BadInput, PermissionDenied, UsageError
from goldset.schema import MAX_FIELD_BYTES, input_hash_sql
from goldset.tagging import select_targets

if TYPE_CHECKING:
    import duckdb

ReviewAction = Literal["approve", "reject", "retire"]
#: The status each review action sets.
STATUS_OF: dict[str, str] = {"approve": "approved", "reject": "draft", "retire": "retired"}


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
    roles.authorize(ds, "edit", ids=[example_id])
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
        result = ds.rewrite(con, pred, sets, op="edit")
    finally:
        con.close()
    ds.log(result, note=note)
    return result


def review(
    ds: Dataset,
    action: ReviewAction,
    *,
    ids: Sequence[str] = (),
    where: str | None = None,
    note: str | None = None,
    dry_run: bool = False,
) -> WriteResult:
    """Set the status of the target rows and record who reviewed them, and when."""
    if action not in STATUS_OF:
        raise UsageError(f"review: unknown action {action!r} (approve, reject, retire)")
    roles.authorize(ds, "review", ids=ids, predicate=where)
    user = ds.workspace.user
    con = db.connect()
    try:
        pred = select_targets(ds, con, ids, where)
        if action == "approve" and ds.spec.review.require_distinct_reviewer:
            _refuse_own(ds, con, user, ids, where)
        sets = {"status": db.sql_str(STATUS_OF[action]), "reviewed_at": "now()", "reviewed_by": db.sql_str(user)}
        result = ds.rewrite(con, pred, sets, op=action, dry_run=dry_run)
    finally:
        con.close()
    ds.log(result, predicate=where, note=note)
    return result


def _refuse_own(ds: Dataset, con: duckdb.DuckDBPyConnection, user: str, ids: Sequence[str], where: str | None) -> None:
    own = [r[0] for r in con.execute(
        f"SELECT e.id FROM ({db.parts_select(ds.files())}) e SEMI JOIN _ids USING (id) WHERE e.created_by = ? ORDER BY e.id LIMIT 21",
        [user],
    ).fetchall()]
    if own:
        roles.record(ds, "approve", ids=own, predicate=where, allowed=False,
                     note="denied: require_distinct_reviewer and the reviewer created these")
        more = " ..." if len(own) > 20 else ""
        raise PermissionDenied(
            f"{user} created {', '.join(own[:20])}{more} and the spec requires a distinct reviewer "
            "(review.require_distinct_reviewer); ask someone else to approve them; nothing written"
        )

