"""A small store where every coverage number, verdict and reason is known in advance.

See ``EXPECTED`` at the bottom: computed by hand from ``ROWS`` and ``SPEC``, not by goldset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from goldset.ingest import add
from goldset.store import db
from goldset.workspace import Dataset, Workspace

from helpers.store import rewrite

NOW = datetime(2026, 6, 10, tzinfo=UTC)
FRESH = "TIMESTAMPTZ '2026-06-01 00:00:00+00'"  # 9 days before NOW
STALE = "TIMESTAMPTZ '2026-01-01 00:00:00+00'"  # 160 days before NOW (limit: 30)

_SCENARIOS = """\
      refund:
        priority: P0
        group: billing
        owner: pm@example.com
        requirements:
          required_edge_cases: [typo, multilingual]
          min_per_tier: {blocking: 2}
          min_fresh_share: 0.5
      cancel: {priority: P0, group: orders}
      billing_dispute: {priority: P0, group: billing}
      shipping: {priority: P1, group: orders}
      greeting: {priority: P2}
"""

SPEC_HEAD = """\
version: 1
default_dataset: cov
datasets:
  cov:
    tiers: [blocking, standard, monitor]
    default_tier: standard
    count_status: [approved]
    freshness: {max_review_age_days: 30}
    gate: {blocking_priorities: [P0]}
    edge_cases: {typo: Misspellings, multilingual: Non-English, long: Long input}
    requirements:
      P0: {min_examples: 4, min_negatives: 1}
      P1: {min_examples: 2}
    scenarios:
"""
SPEC = SPEC_HEAD + _SCENARIOS
#: Rows are first written with scenario ``mystery`` known, then the spec drops it, so the
#: store holds examples of a scenario that is not in the taxonomy (as after a spec edit).
SPEC_WITH_MYSTERY = SPEC + "      mystery: {priority: P2}\n"


def _r(id_: str, scen: list[str], *, status: str = "approved", pol: str = "positive",
       tier: str = "standard", edge: list[str] | None = None) -> dict[str, Any]:
    return {"id": id_, "input": f"input of {id_}", "expected": "x", "scenarios": scen, "polarity": pol,
            "tier": tier, "status": status, "edge_cases": edge or []}


ROWS = [
    _r("r1", ["refund"], tier="blocking", edge=["typo"]),        # fresh
    _r("r2", ["refund"]),                                        # stale
    _r("r3", ["refund"], pol="negative"),                        # stale
    _r("r4", ["refund"], tier="monitor"),                        # stale
    _r("r5", ["refund"], status="draft", tier="blocking", edge=["multilingual"]),
    _r("r6", ["refund"], status="retired"),
    _r("c1", ["cancel"], edge=["long"]),
    _r("c2", ["cancel", "shipping"]),
    _r("d1", ["billing_dispute"], status="draft"),
    _r("s1", ["shipping"], tier="blocking"),
    _r("u1", []),
    _r("x1", ["mystery"]),
    _r("x2", ["mystery"], status="draft"),
]
STALE_IDS = ["r2", "r3", "r4"]

EXPECTED: dict[str, dict[str, Any]] = {
    "refund": dict(
        counted=4, total=6, positives=3, negatives=1, edge_case_examples=1, edge_cases_covered=["typo"],
        required_edge_cases_missing=["multilingual"], per_tier={"blocking": 1, "standard": 2, "monitor": 1},
        fresh_share=0.25, verdict="gap",
        reasons=["edge case multilingual missing", "blocking tier 1 of 2", "fresh 25% (need 50%)"],
    ),
    "cancel": dict(
        counted=2, total=2, positives=2, negatives=0, edge_case_examples=1, edge_cases_covered=["long"],
        required_edge_cases_missing=[], per_tier={"blocking": 0, "standard": 2, "monitor": 0},
        fresh_share=1.0, verdict="gap", reasons=["2 of 4 examples", "no negatives (need 1)"],
    ),
    "billing_dispute": dict(
        counted=0, total=1, positives=0, negatives=0, edge_case_examples=0, edge_cases_covered=[],
        required_edge_cases_missing=[], per_tier={"blocking": 0, "standard": 0, "monitor": 0},
        fresh_share=None, verdict="missing", reasons=["0 of 4 examples", "no negatives (need 1)"],
    ),
    "shipping": dict(
        counted=2, total=2, positives=2, negatives=0, edge_case_examples=0, edge_cases_covered=[],
        required_edge_cases_missing=[], per_tier={"blocking": 1, "standard": 1, "monitor": 0},
        fresh_share=1.0, verdict="ok", reasons=[],
    ),
    "greeting": dict(
        counted=0, total=0, positives=0, negatives=0, edge_case_examples=0, edge_cases_covered=[],
        required_edge_cases_missing=[], per_tier={"blocking": 0, "standard": 0, "monitor": 0},
        fresh_share=None, verdict="missing", reasons=["no counted examples"],
    ),
}


def build(root: Path) -> Dataset:
    """The hand-computed store in ``root`` (no git/DVC)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "goldset.yaml").write_text(SPEC_WITH_MYSTERY, encoding="utf-8")
    ds = Workspace.open(root).dataset()
    add(ds, ROWS)
    con = db.connect()
    rewrite(ds, con, "status = 'approved'", {"reviewed_at": FRESH}, op="test")
    rewrite(ds, con, f"id IN {tuple(STALE_IDS)}", {"reviewed_at": STALE}, op="test")
    con.close()
    (root / "goldset.yaml").write_text(SPEC, encoding="utf-8")
    return Workspace.open(root).dataset()
