"""Reviewing examples: approve, reject (back to draft) or retire.

A review is one copy-on-write rewrite through the write path. It sets ``status`` and ``reviewed_at/by`` (re-approving an approved example refreshes its review
date: that is how an example stays fresh). With ``review: {require_distinct_reviewer: true}``
in the spec nobody may approve an example they created.
An edit of what was approved goes back to draft: :mod:`goldset.curation._approval`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from goldset.curation._tag import select_targets
from goldset.errors import PermissionDenied, UsageError
from goldset.store import db
from goldset.workspace import Dataset, WriteResult, record, writing

if TYPE_CHECKING:
    import duckdb

ReviewAction = Literal["approve", "reject", "retire"]
#: The status each review action sets.
STATUS_OF: dict[str, str] = {"approve": "approved", "reject": "draft", "retire": "retired"}


def review(
    ds: Dataset,
    action: ReviewAction,
    *,
    ids: Sequence[str] = (),
    where: str | None = None,
    note: str | None = None,
    dry_run: bool = False,
    timeout_s: float | None = None,
    memory_limit: str | None = None,
) -> WriteResult:
    """Set the status of the target rows and record who reviewed them, and when.
    ``timeout_s`` / ``memory_limit`` override the spec's ``query:`` limits for ``where``."""
    if action not in STATUS_OF:
        raise UsageError(f"review: unknown action {action!r} (approve, reject, retire)")
    with writing(ds, "review", op=action, ids=ids, predicate=where, note=note) as w:
        con = db.connect()
        try:
            pred = select_targets(ds, con, ids, where, ds.spec.query.resolve(timeout_s, memory_limit))
            if action == "approve" and ds.spec.review.require_distinct_reviewer:
                _refuse_own(ds, con, w.user, where)
            sets = {"status": db.sql_str(STATUS_OF[action]), "reviewed_at": "now()", "reviewed_by": db.sql_str(w.user)}
            return w.rewrite(con, pred, sets, dry_run=dry_run)
        finally:
            con.close()


def _refuse_own(ds: Dataset, con: duckdb.DuckDBPyConnection, user: str, where: str | None) -> None:
    with ds.pinned() as files:
        own = [r[0] for r in con.execute(
            f"SELECT e.id FROM ({db.parts_select(files)}) e SEMI JOIN _ids USING (id) WHERE e.created_by = ? ORDER BY e.id LIMIT 21",
            [user],
        ).fetchall()]
    if own:
        record(ds, "approve", ids=own, predicate=where, allowed=False,
               note="denied: require_distinct_reviewer and the reviewer created these")
        more = " ..." if len(own) > 20 else ""
        raise PermissionDenied(
            f"{user} created {', '.join(own[:20])}{more} and the spec requires a distinct reviewer "
            "(review.require_distinct_reviewer); ask someone else to approve them; nothing written"
        )


