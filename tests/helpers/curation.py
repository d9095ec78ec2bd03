"""Helpers for the curation tests (taxonomy, tagging, review, roles, audit, predicates)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from goldset.ingest import add
from goldset.workspace import Workspace

USERS = {"pm": "pm@example.com", "research": "res@example.com", "eng": "eng@example.com", "admin": "admin@example.com"}
NOBODY = "nobody@example.com"


def make_ws(root: Path, spec: str) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    (root / "goldset.yaml").write_text(spec, encoding="utf-8")
    return Workspace.open(root)


def as_user(ws: Workspace, user: str) -> Workspace:
    """The same workspace, acting as ``user`` (what GOLDSET_USER does for the CLI)."""
    return Workspace.open(ws.root, user=user)


def store_bytes(ws: Workspace, name: str = "support-bot") -> dict[str, bytes]:
    """Every file of the dataset directory, by name (lock file aside): to prove nothing changed."""
    d = ws.root / "datasets" / name
    if not d.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file() and p.name != ".goldset.lock"}


def audit_lines(ws: Workspace, name: str = "support-bot") -> list[dict[str, Any]]:
    path = ws.root / "datasets" / f"{name}.audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rows(ws: Workspace, sql: str = "SELECT * FROM examples ORDER BY id") -> list[dict[str, Any]]:
    return ws.dataset().query(sql).to_pylist()  # type: ignore[no-any-return]


def seed(ws: Workspace, n: int = 6, prefix: str = "x") -> None:
    """n examples, one part each (so compaction and copy-on-write have parts to work on)."""
    texts = ["refund my order please", "cancel order 12", "hello there", "my credit card was charged twice",
             "I want my money back", "what is the weather"]
    ds = ws.dataset()
    for i in range(n):
        add(ds, [{"id": f"{prefix}{i}", "input": f"{texts[i % len(texts)]} {i}", "expected": "label"}])
