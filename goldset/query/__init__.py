"""Reading a dataset: filtered listings, one example, summary counts, ad-hoc SQL.

Owns the read verbs ``list``, ``show``, ``stats`` and ``query``; predicates and SQL run in the
store's sandbox (no file access).
"""

from __future__ import annotations

from goldset.query._page import ExamplePage, HistoryEntry, example_history, page_examples
from goldset.query._read import (
    Filters,
    Listing,
    Stats,
    list_examples,
    open_listing,
    run_query,
    show,
    stats,
)

__all__ = [
    "ExamplePage",
    "Filters",
    "HistoryEntry",
    "Listing",
    "Stats",
    "example_history",
    "list_examples",
    "open_listing",
    "page_examples",
    "run_query",
    "show",
    "stats",
]
