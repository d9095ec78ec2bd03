"""Data hygiene of a golden set: near-duplicate inputs, and golden inputs leaked into training
data.

Owns: shingles, MinHash signatures (datasketch's hash family, computed with numpy) and LSH band
keys (``_minhash``); near-duplicate clusters, probable label conflicts, and tagging or retiring
the duplicates through ``goldset.curation`` (``_dupes``); training data files, streamed through
DuckDB (``_train``); leakage, exact and near, with its gate (``_leakage``); and both as checks
validation can run (``_check``'s :class:`HygieneCheck`, run by :func:`hygiene_checks` here). See
docs/hygiene.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from goldset.hygiene._check import CheckOffender, HygieneCheck
from goldset.hygiene._dupes import (
    DupeCluster,
    DupeMember,
    DupePair,
    DupesReport,
    find_near_duplicates,
    near_duplicate_check,
)
from goldset.hygiene._leakage import (
    LeakageCount,
    LeakageMatch,
    LeakageReport,
    TrainFile,
    find_leakage,
    leakage_check,
    leakage_gate,
)
from goldset.hygiene._minhash import NUM_PERM, Lsh, lsh_for

if TYPE_CHECKING:
    from goldset.workspace import Dataset

__all__ = [
    "NUM_PERM",
    "CheckOffender",
    "DupeCluster",
    "DupeMember",
    "DupePair",
    "DupesReport",
    "HygieneCheck",
    "LeakageCount",
    "LeakageMatch",
    "LeakageReport",
    "Lsh",
    "TrainFile",
    "find_leakage",
    "find_near_duplicates",
    "hygiene_checks",
    "leakage_check",
    "leakage_gate",
    "lsh_for",
    "near_duplicate_check",
]


def hygiene_checks(ds: Dataset, *, sample: int = 20) -> list[HygieneCheck]:
    """The hygiene checks ``ds``'s spec configures, run: near-duplicates (``near_duplicates:``)
    and leakage (``leakage:``); none when neither key is set. For validation to append to its
    report (see docs/hygiene.md); a check never raises for what it finds or cannot read."""
    found = [near_duplicate_check(ds, sample=sample), leakage_check(ds, sample=sample)]
    return [c for c in found if c is not None]
