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


def _verify_summary(r: audit.VerifyReport) -> str:
    state = "ok" if r.ok else f"BROKEN: {r.first_break}"
    legacy = f", {r.unchained} from before the chain" if r.unchained else ""
    return f"{r.path}: {state} ({r.chained} chained line(s){legacy})"


def _render_verify(r: audit.VerifyReport, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return r.model_dump_json(indent=2) + "\n"
    return _verify_summary(r) + "\n"


KINDS = {
    "audit": Kind(render, summary),
    "AuditEntry": Kind(render, summary),
    "VerifyReport": Kind(_render_verify, _verify_summary),
}
