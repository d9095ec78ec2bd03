"""``goldset doctor``: a store's health, what a repair would write, and what it refuses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import render_model

if TYPE_CHECKING:
    from goldset.store import DoctorReport


def summary(r: DoctorReport) -> str:
    if r.status == "ok":
        return f"{r.store}: ok, {r.rows:,} rows in {r.parts} part(s)" + (f"; {len(r.strays)} stray file(s)" if r.strays else "")
    if r.status == "empty":
        return f"{r.store}: empty (no store written yet)"
    state = "repaired" if r.repaired else "DAMAGED"
    return f"{r.store}: {state}: {r.problem}"


def _lines(r: DoctorReport) -> list[str]:
    out = [summary(r)]
    out += [f"  stray (not in the manifest, kept): {s}" for s in r.strays]
    out += [f"  left by an interrupted write: {j}" for j in r.journal]
    if r.status == "damaged":
        rows = sum(p.rows for p in r.candidates)
        verb = "rebuilt the manifest from" if r.repaired else "a repair would name"
        out.append(f"  {verb} {len(r.candidates)} part(s), {rows:,} rows, {len(r.removed_candidates)} removed-ids file(s)")
        out += [f"  refused: {x}" for x in r.refused]
        if not r.repaired:
            out.append("  run 'goldset doctor --repair' to rebuild it" if r.can_repair else "  cannot repair automatically: resolve the refused files first")
    return out


def _table(r: DoctorReport) -> list[object]:
    from rich.text import Text

    return [Text(line) for line in _lines(r)]


def render(r: DoctorReport, fmt: str, *, color: bool = False, **_: Any) -> str:
    return render_model(r, fmt, table=_table, markdown=lambda m: "\n".join(_lines(m)) + "\n", color=color)


KINDS = {"DoctorReport": Kind(render, summary)}
