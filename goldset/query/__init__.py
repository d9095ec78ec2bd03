"""Reading a dataset: filtered listings, one example, summary counts, ad-hoc SQL.

Owns the read verbs ``list``, ``show``, ``stats`` and ``query``; predicates and SQL run in the
store's sandbox (no file access).
"""

from __future__ import annotations

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

__all__ = ["Filters", "Listing", "Stats", "list_examples", "open_listing", "run_query", "show", "stats"]
