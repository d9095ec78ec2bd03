"""Approval survives only what was reviewed: an edit of an approved example's input,
expected or polarity (``edit``, ``tag --negative/--positive``, ``update``) sends it back to
draft, unless the editor may approve (the review right, admitted by the caller) and says so
(``keep_approval``); the distinct-reviewer rule still applies. Imports follow the same rule in
:mod:`goldset.ingest._plan`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from goldset.errors import PermissionDenied
from goldset.store import db
from goldset.workspace import record

if TYPE_CHECKING:
    import duckdb

    from goldset.workspace import Dataset, Writer


def approval_rule(ds: Dataset, con: duckdb.DuckDBPyConnection, w: Writer, changed: str, *, keep: bool) -> dict[str, str]:
    """Assignments that keep an edit from carrying an approval over to content nobody reviewed.

    ``changed`` is SQL over a stored row: true when the edit changes what was approved (its
    input, expected or polarity). Such an approved row among the targets (temp table ``_ids``)
    goes back to draft, its last ``reviewed_at/by`` kept as the record of the approval it had;
    the audit note says so. With ``keep`` (the caller admitted the review right) it stays
    approved and the editor becomes its reviewer, except on rows the editor created when the
    spec requires a distinct reviewer (refused, audited)."""
    hit = f"(status = 'approved' AND ({changed}))"
    with ds.pinned() as files:
        found = con.execute(
            f"""SELECT count(*), list(id ORDER BY id) FILTER (WHERE created_by = ?)
            FROM ({db.parts_select(files)}) e SEMI JOIN _ids USING (id) WHERE {hit}""",
            [w.user],
        ).fetchone()
    n, own = (int(found[0]), list(found[1] or [])) if found else (0, [])
    if keep:
        if own and ds.spec.review.require_distinct_reviewer:
            record(ds, "approve", ids=own[:100], allowed=False,
                   note="denied: --keep-approval, require_distinct_reviewer and the editor created these")
            more = " ..." if len(own) > 20 else ""
            raise PermissionDenied(
                f"{w.user} created {', '.join(own[:20])}{more} and the spec requires a distinct reviewer "
                "(review.require_distinct_reviewer): --keep-approval would approve your own change; "
                "drop --keep-approval (the example goes back to draft) and ask someone else to approve it; nothing written"
            )
        if n:
            w.note = "; ".join(filter(None, [w.note, f"{n} changed approved example(s) kept approved (--keep-approval)"]))
        user = db.sql_str(w.user)
        return {"reviewed_at": f"CASE WHEN {hit} THEN now() ELSE reviewed_at END",
                "reviewed_by": f"CASE WHEN {hit} THEN {user} ELSE reviewed_by END"}
    if n:
        w.note = "; ".join(filter(None, [w.note, f"{n} approved example(s) back to draft (content changed)"]))
    return {"status": f"CASE WHEN {hit} THEN 'draft' ELSE status END"}
