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
    key_where, key_params = "true", []
    if after is not None:
        when, last = decode_cursor(after)
        key_where, key_params = "(created_at > ? OR (created_at = ? AND id > ?))", [when, when, last]
    cols = list(dict.fromkeys(["id", "created_at", *columns])) if columns else None
    select = ", ".join(f"e.{c}" for c in cols) if cols else "e.*"
    with ds.pinned() as files:  # every query on one generation
        from goldset.store import db

        con = db.connect()
        try:
            db.create_examples_view(con, files)
            # The page's keys first, reading only the filter columns and (created_at, id);
            # then the whole rows of those few ids. Sorting whole rows of a 1M-row store for a
            # top-50 read every text column: 3x slower.
            if where == "true":  # no filter: the count is the store's, no scan
                total = int(con.execute("SELECT count(*) FROM examples").fetchall()[0][0])
                keys_src = "examples"
            else:  # one scan for the count and the page
                con.execute(f"CREATE TEMP TABLE _keys AS SELECT created_at, id FROM examples WHERE {where}", params)
                total = int(con.execute("SELECT count(*) FROM _keys").fetchall()[0][0])
                keys_src = "_keys"
            con.execute(f"""CREATE TEMP TABLE _page AS SELECT created_at, id FROM {keys_src} WHERE {key_where}
                ORDER BY created_at, id LIMIT {limit + 1}""", key_params)
            table = con.sql(f"""SELECT {select} FROM examples e SEMI JOIN _page p ON e.id = p.id
                ORDER BY e.created_at, e.id""").to_arrow_table()
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
    if not any(h.matched == "id" for h in out) and ds.get(example_id) is None:
        raise UnknownId(f"no example with id {example_id!r} in dataset {ds.name!r}, now or in its audit log")
    return out
