"""``goldset audit``: the audit log, one row per entry; the target (ids or predicate) in a
column of its own in the human formats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import render_rows

if TYPE_CHECKING:
    from goldset.access import audit

COLUMNS = ["time", "user", "role", "op", "rows", "allowed", "target", "note"]


def _target(row: dict[str, Any]) -> str:
    ids: list[str] = row["ids"]
    return str(row["predicate"] or (", ".join(ids[:3]) + (f" (+{len(ids) - 3})" if len(ids) > 3 else "")))


def render(entries: Sequence[audit.AuditEntry], fmt: str, *, color: bool = False, **_: Any) -> str:
    rows = [e.model_dump() for e in entries]
    if fmt not in ("table", "markdown", "csv"):
        return render_rows(rows, fmt)
    for r in rows:
        r["target"] = _target(r)
    return render_rows(rows, fmt, COLUMNS, color=color)


def summary(entries: Sequence[audit.AuditEntry]) -> str:
    return f"{len(entries):,} audit entr{'y' if len(entries) == 1 else 'ies'}"


KINDS = {"audit": Kind(render, summary), "AuditEntry": Kind(render, summary)}
