"""Keyset pages of examples (what the server's example browser and API list use), text
search, and one example's history from the audit log."""

from __future__ import annotations

import pytest

from goldset.curation import TagChange, edit, tag
from goldset.errors import BadInput, UnknownId
from goldset.ingest import add
from goldset.query import Filters, example_history, page_examples
from goldset.workspace import Workspace

ROWS = [{"id": f"e{i:03d}", "input": f"question {i} about refunds" if i % 3 == 0 else f"question {i} about orders",
         "edge_cases": ["typo"] if i % 5 == 0 else []} for i in range(57)]


@pytest.fixture
def ws(bare_ws: Workspace) -> Workspace:
    add(bare_ws.dataset(), ROWS[:30])
    add(bare_ws.dataset(), ROWS[30:])  # a second batch: a later created_at
    return bare_ws


def _all_pages(ws: Workspace, filters: Filters, limit: int) -> list[str]:
    ids, after = [], None
    while True:
        page = page_examples(ws.dataset(), filters, limit=limit, after=after)
        ids += [r["id"] for r in page.rows]
        if page.next is None:
            return ids
        after = page.next


@pytest.mark.parametrize("limit", [1, 7, 57, 500])
def test_pages_cover_every_row_once_in_listing_order(ws: Workspace, limit: int) -> None:
    expected = [r["id"] for r in ws.dataset().query("SELECT id FROM examples ORDER BY created_at, id").to_pylist()]
    assert _all_pages(ws, Filters(), limit) == expected and len(expected) == 57
    assert page_examples(ws.dataset(), Filters(), limit=limit).total == 57


def test_a_write_between_pages_never_repeats_or_skips_a_row(ws: Workspace) -> None:
    first = page_examples(ws.dataset(), Filters(), limit=10)
    tag(ws.dataset(), TagChange(add_edge_cases=["typo"]), ids=[r["id"] for r in first.rows])  # rewrites their part
    add(ws.dataset(), [{"id": "zz-new", "input": "a brand new one"}])
    rest = _all_pages_from(ws, first.next)
    seen = [r["id"] for r in first.rows] + rest
    assert len(seen) == len(set(seen)) == 58 and seen[-1] == "zz-new"


def _all_pages_from(ws: Workspace, after: str | None) -> list[str]:
    ids = []
    while after is not None:
        page = page_examples(ws.dataset(), Filters(), limit=10, after=after)
        ids += [r["id"] for r in page.rows]
        after = page.next
    return ids


def test_search_is_case_insensitive_per_word_and_literal(ws: Workspace) -> None:
    ds = ws.dataset()
    page = page_examples(ds, Filters(search="REFUNDS question"), limit=500)
    assert page.total == 19 and all("refunds" in r["input"] for r in page.rows)
    assert page_examples(ds, Filters(search="%"), limit=10).total == 0  # a wildcard is a character
    assert page_examples(ds, Filters(search="'; DROP TABLE examples; --"), limit=10).total == 0
    add(ds, [{"id": "pct", "input": "100% refund please"}])
    assert [r["id"] for r in page_examples(ds, Filters(search="100%"), limit=10).rows] == ["pct"]


def test_edge_case_filter_and_bad_input(ws: Workspace) -> None:
    ds = ws.dataset()
    assert page_examples(ds, Filters(edge_cases=["typo"]), limit=500).total == 12
    with pytest.raises(BadInput):
        page_examples(ds, Filters(), limit=10, after="not-a-cursor")
    with pytest.raises(BadInput):
        page_examples(ds, Filters(), limit=0)
    with pytest.raises(BadInput):
        page_examples(ds, Filters(edge_cases=["nope"]), limit=5)


def test_history_lists_the_writes_that_named_the_example(ws: Workspace) -> None:
    ds = ws.dataset()
    edit(ds, "e003", expected="refund_flow")
    tag(ds, TagChange(tier="blocking"), ids=["e003", "e004"])
    history = example_history(ds, "e003")
    assert [h.op for h in history] == ["add", "edit", "tag"]
    assert all(h.user == "tester@example.com" and h.matched == "id" for h in history)
    assert [h.op for h in example_history(ds, "e004")] == ["add", "tag"]
    with pytest.raises(UnknownId):
        example_history(ds, "never-there")
