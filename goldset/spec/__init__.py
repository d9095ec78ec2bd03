"""The spec, ``goldset.yaml``: the typed model validated on load, and edits that keep the
user's comments.

Owns: the pydantic model of datasets, tiers, scenarios, requirements, roles (``_model``), and
round-trip YAML editing (``_yamledit``) used by every verb that changes the spec.
"""

from __future__ import annotations

from goldset.spec._launch import (
    BUILTIN_METHODS,
    DEFAULT_MIN_EXAMPLES_FOR_VERDICT,
    Bar,
    LaunchBar,
    NegativeMode,
    Scorer,
    Scoring,
)
from goldset.spec._model import (
    MAX_ALIAS_EXPANSION,
    SPEC_FILE,
    DatasetSpec,
    DupeScope,
    Freshness,
    Gate,
    Leakage,
    NearDuplicates,
    Pii,
    QueryLimits,
    Requirements,
    Review,
    Scenario,
    Shingles,
    Spec,
    check_aliases,
    check_dataset_name,
    load_spec,
    parse_spec,
)
from goldset.spec._yamledit import (
    SpecDocument,
    append_key,
    child_map,
    delete_key,
    new_map,
    round_trip_yaml,
    set_key,
)

__all__ = [
    "BUILTIN_METHODS",
    "DEFAULT_MIN_EXAMPLES_FOR_VERDICT",
    "MAX_ALIAS_EXPANSION",
    "SPEC_FILE",
    "Bar",
    "DatasetSpec",
    "DupeScope",
    "Freshness",
    "Gate",
    "LaunchBar",
    "Leakage",
    "NearDuplicates",
    "NegativeMode",
    "Pii",
    "QueryLimits",
    "Requirements",
    "Review",
    "Scenario",
    "Scorer",
    "Scoring",
    "Shingles",
    "Spec",
    "SpecDocument",
    "append_key",
    "check_aliases",
    "check_dataset_name",
    "child_map",
    "delete_key",
    "load_spec",
    "new_map",
    "parse_spec",
    "round_trip_yaml",
    "set_key",
]
