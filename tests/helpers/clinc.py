"""The CLINC150 intent data set (../shared/data/clinc150) as goldset records and a spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CLINC_DIR = REPO.parent / "shared" / "data" / "clinc150"


def clinc_available() -> bool:
    return (CLINC_DIR / "data_full.json").is_file()


needs_clinc = pytest.mark.skipif(not clinc_available(), reason=f"CLINC150 data not found at {CLINC_DIR}")


def clinc_records(with_ids: bool = True) -> list[dict[str, Any]]:
    """CLINC150 as goldset records: intents as scenarios + expected, oos as negatives."""
    data = json.loads((CLINC_DIR / "data_full.json").read_text(encoding="utf-8"))
    out = []
    for split in ("train", "val", "test", "oos_train", "oos_val", "oos_test"):
        for i, (text, intent) in enumerate(data[split]):
            oos = intent == "oos"
            rec: dict[str, Any] = {
                "input": text,
                "expected": "decline" if oos else intent,
                "scenarios": "out_of_scope" if oos else intent,
                "polarity": "negative" if oos else "positive",
                "split": split,
            }
            if with_ids:
                rec = {"id": f"{split}-{i}", **rec}
            out.append(rec)
    return out


def clinc_spec(p0_domain: str | None = None, p0_min: int = 150, oos_min_negatives: int | None = None) -> str:
    """A spec with the 150 intents as scenarios grouped by domain, plus out_of_scope."""
    domains = json.loads((CLINC_DIR / "domains.json").read_text(encoding="utf-8"))
    lines = [
        "version: 1",
        "default_dataset: clinc",
        "datasets:",
        "  clinc:",
        "    tiers: [blocking, standard, monitor]",
        "    default_tier: standard",
        "    gate: {blocking_priorities: [P0]}",
        "    edge_cases: {card: Mentions a credit card}",
        "    requirements:",
        f"      P0: {{min_examples: {p0_min}}}",
        "    scenarios:",
    ]
    for domain, intents in domains.items():
        prio = "P0" if domain == p0_domain else "P1"
        for intent in intents:
            lines.append(f"      {intent}: {{priority: {prio}, group: {domain}}}")
    oos_req = f", requirements: {{min_negatives: {oos_min_negatives}}}" if oos_min_negatives is not None else ""
    lines.append(f"      out_of_scope: {{priority: P1, group: out_of_scope{oos_req}}}")
    return "\n".join(lines) + "\n"
