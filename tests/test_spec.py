"""The spec: the issue's exact shape loads; every bad spec is one line naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from goldset.errors import SpecError, WorkspaceError
from goldset.spec import load_spec

ISSUE_SPEC = """\
version: 1
default_dataset: support-bot
datasets:
  support-bot:
    description: Golden set for the support assistant
    tiers: [blocking, standard, monitor]        # strictest first
    count_status: [approved]                    # statuses that count toward coverage
    freshness: {max_review_age_days: 180}
    gate: {blocking_priorities: [P0]}
    edge_cases: {typo: Misspellings, multilingual: Non-English or mixed input}
    requirements:                               # defaults per priority
      P0: {min_examples: 20, min_negatives: 3, min_edge_case_examples: 2}
      P1: {min_examples: 10}
    scenarios:
      refund_request: {description: Customer asks for a refund, priority: P0, group: billing,
                       owner: pm@example.com, requirements: {required_edge_cases: [typo]}}
    roles: {alice@example.com: pm, bob@example.com: research}
"""


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    p = tmp_path / "goldset.yaml"
    p.write_text(text, encoding="utf-8")
    return load_spec(p)


def test_issue_spec_loads_and_requirements_resolve(tmp_path: Path) -> None:
    spec = _load(tmp_path, ISSUE_SPEC)
    ds = spec.datasets["support-bot"]
    assert ds.tiers == ["blocking", "standard", "monitor"]
    assert ds.roles["alice@example.com"] == "pm"
    req = ds.requirements_for("refund_request")
    # scenario's own value + the priority's defaults for what it leaves unset
    assert req.required_edge_cases == ["typo"]
    assert (req.min_examples, req.min_negatives, req.min_edge_case_examples) == (20, 3, 2)
    assert ds.tier_default == "monitor"  # no default_tier: the least strict tier


def test_short_forms(tmp_path: Path) -> None:
    spec = _load(tmp_path, "version: 1\ndatasets:\n  d:\n    edge_cases: [typo, long]\n    scenarios: {greet: P2}\n")
    ds = spec.datasets["d"]
    assert list(ds.edge_cases) == ["typo", "long"]
    assert ds.scenarios["greet"].priority == "P2"
    assert spec.dataset_name(None) == "d"  # the only dataset is the default


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("version: 1\ndatasets:\n  d:\n    scenarios: {s: {priority: P7}}\n", "datasets.d.scenarios.s.priority"),
        ("version: 1\ndatasets:\n  d:\n    tierz: [a]\n", "datasets.d.tierz"),
        ("version: 1\ndatasets:\n  d:\n    requirements: {P0: {min_examples: -1}}\n", "datasets.d.requirements.P0.min_examples"),
        ("version: 1\ndatasets:\n  d:\n    scenarios: {s: {requirements: {required_edge_cases: [nope]}}}\n", "unknown edge case 'nope'"),
        ("version: 1\ndefault_dataset: x\ndatasets:\n  d: {}\n", "default_dataset"),
        ("version: 1\ndatasets:\n  ../x: {}\n", "invalid dataset name"),
        ("version: 2\n", "version"),
        ("version: 1\ndatasets: [\n", "invalid YAML at line"),
        ("- a\n- b\n", "top level must be a mapping"),
    ],
)
def test_bad_spec_is_one_line_naming_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as err:
        _load(tmp_path, text)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(str(tmp_path / "goldset.yaml"))
    assert fragment in msg


def test_missing_spec_and_dataset_resolution(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="goldset init"):
        load_spec(tmp_path / "goldset.yaml")
    spec = _load(tmp_path, "version: 1\ndatasets:\n  a: {}\n  b: {}\n")
    with pytest.raises(WorkspaceError, match="--dataset"):
        spec.dataset_name(None)
    with pytest.raises(WorkspaceError, match="unknown dataset 'c'"):
        spec.dataset_name("c")
    with pytest.raises(WorkspaceError, match="invalid dataset name"):
        spec.dataset_name("../x")
