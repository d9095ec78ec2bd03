"""Pages of examples for the server: keyset pagination and one example's history.

A page is ordered like every listing (``created_at, id``) and continues *after* the last row
of the previous page (keyset pagination), so page 500 costs what page 1 costs and a write
between two requests never shifts rows into or out of a page the reader has not seen. The
cursor is opaque to clients (base64 of that last row's key).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from goldset.access import audit
from goldset.errors import BadInput, UnknownId
from goldset.query._read import Filters, _where_sql

if TYPE_CHECKING:
    from goldset.workspace import Dataset

#: Largest page a client may ask for.
MAX_PAGE = 500


class ExamplePage(BaseModel):
    rows: list[dict[str, Any]]
    #: Rows that pass the filters, all pages together.
    total: int
    #: Pass as ``after`` for the next page; None on the last page.
    next: str | None = None


def encode_cursor(created_at: datetime, example_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), example_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, example_id = json.loads(raw)
        return datetime.fromisoformat(when), str(example_id)
    except (ValueError, TypeError):
        raise BadInput(f"after: {cursor[:40]!r} is not a cursor this server gave out; start from the first page") from None


def page_examples(ds: Dataset, filters: Filters, *, limit: int = 50, after: str | None = None,
                  columns: list[str] | None = None) -> ExamplePage:
    """One page of the examples that pass ``filters`` (``limit`` rows after cursor ``after``)."""
    if not 1 <= limit <= MAX_PAGE:
        raise BadInput(f"limit: {limit} is not between 1 and {MAX_PAGE}")
    where, params = _where_sql(ds, filters.model_copy(update={"limit": None}))
    page_where, page_params = where, list(params)
    if after is not None:
        when, last = decode_cursor(after)
        page_where = f"({where}) AND (created_at > ? OR (created_at = ? AND id > ?))"
        page_params += [when, when, last]
    cols = list(dict.fromkeys(["id", "created_at", *columns])) if columns else None
    select = ", ".join(cols) if cols else "*"
    with ds.pinned() as files:  # both queries on one generation
        from goldset.store import db

        con = db.connect()
        try:
            db.create_examples_view(con, files)
            total = int(con.execute(f"SELECT count(*) FROM examples WHERE {where}", params).fetchall()[0][0])
            table = con.sql(f"SELECT {select} FROM examples WHERE {page_where} ORDER BY created_at, id LIMIT {limit + 1}",
                            params=page_params or None).to_arrow_table()
        finally:
            con.close()
    rows = table.to_pylist()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more and rows else None
    return ExamplePage(rows=rows, total=total, next=cursor)


class HistoryEntry(BaseModel):
    time: datetime
    user: str
    role: str | None = None
    op: str
    note: str | None = None
    allowed: bool = True
    #: How the entry names the example: by its id, or through a predicate it matched.
    matched: str = "id"
    predicate: str | None = None
    detail: dict[str, object] = Field(default_factory=dict)


def example_history(ds: Dataset, example_id: str, *, include_predicates: bool = True) -> list[HistoryEntry]:
    """The audit log's entries about one example, oldest first: those that list its id, and
    (``include_predicates``) the predicate writes that listed no ids, which may have touched
    it (the log keeps up to 100 ids per write; a larger write names its predicate)."""
    if ds.get(example_id) is None and not any(example_id in e.ids for e in audit.read(ds.audit_path)):
        raise UnknownId(f"no example with id {example_id!r} in dataset {ds.name!r}, now or in its audit log")
    out = []
    for e in audit.read(ds.audit_path):
        if example_id in e.ids:
            matched = "id"
        elif include_predicates and e.predicate and len(e.ids) >= audit.MAX_IDS:
            matched = "predicate"
        else:
            continue
        out.append(HistoryEntry(time=e.time, user=e.user, role=e.role, op=e.op, note=e.note, allowed=e.allowed,
                                matched=matched, predicate=e.predicate, detail=e.detail))
    return out
