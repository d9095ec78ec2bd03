"""Imports and adds: the result (a write summary with what changed field by field, and notes on
columns kept in metadata) and the plan of ``import --dry-run``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render import write as _write
from goldset.cli.render._rows import as_json, lines

if TYPE_CHECKING:
    from goldset.ingest import ImportPlan, ImportResult


def _fields(fields: dict[str, int]) -> str:
    return ", ".join(f"{f} {n:,}" for f, n in fields.items())


def summary(result: ImportResult) -> str:
    line = _write.summary(result)
    if result.fields:
        line = line.replace(f"updated {result.updated}", f"updated {result.updated} ({_fields(result.fields)})", 1)
    return line


def render(result: ImportResult, fmt: str, **_: Any) -> str:
    return as_json(result) if fmt == "json" else summary(result) + "\n"


def _columns(metadata_columns: list[str], hints: list[str]) -> list[str]:
    out = [f"kept in metadata: {', '.join(metadata_columns)}"] if metadata_columns else []
    return out + [f"hint: {h}" for h in hints]


def notes(result: ImportResult, *, rejects: Path | None = None, **_: Any) -> list[str]:
    out = _write.notes(result, rejects=rejects)
    if result.back_to_draft:
        out.append(f"{result.back_to_draft} approved example(s) went back to draft: their input, expected or "
                   "polarity changed (--keep-approval keeps them approved, with the review right)")
    if result.removed_left_out:
        out.append(f"{result.removed_left_out} id(s) were removed earlier (goldset remove) and stay removed; "
                   "--restore-removed adds them back")
    return out + _columns(result.metadata_columns, result.hints)


# -- the plan ----------------------------------------------------------------------------------
def plan_summary(p: ImportPlan) -> str:
    verdict = "would be refused" if p.fails else "would write"
    counts = [f"added {p.added:,}", f"updated {p.updated:,}", f"unchanged {p.unchanged:,}"]
    counts += [f"{name} {getattr(p, name):,}" for name in ("skipped", "removed", "rejected") if getattr(p, name)]
    return f"{p.op} {p.dataset} (dry run, nothing written): {verdict}: {', '.join(counts)}"


def render_plan(p: ImportPlan, fmt: str, **_: Any) -> str:
    if fmt == "json":
        return as_json(p)
    src = f" from {p.source}" if p.source else ""
    out = [f"plan: {p.op}{src} into {p.dataset} ({p.rows:,} row(s) read; --on-duplicate {p.on_duplicate}); nothing written"]
    out.append(f"  added      {p.added:,}" + (f" ({p.added_approved:,} as approved)" if p.added_approved else "")
               + (f", {p.restored:,} of them removed earlier and restored" if p.restored else ""))
    out.append(f"  updated    {p.updated:,}" + (f": {_fields(p.fields)}" if p.fields else ""))
    if p.back_to_draft:
        out.append(f"    back to draft: {p.back_to_draft:,} approved example(s) whose input, expected or polarity change")
    if p.reapproved:
        out.append(f"    kept approved (--keep-approval): {p.reapproved:,}")
    out.append(f"  unchanged  {p.unchanged:,}")
    if p.skipped:
        out.append(f"  skipped    {p.skipped:,}")
    if p.rejected:
        out.append(f"  rejected   {p.rejected:,} bad row(s)")
    if p.removed:
        shown = ", ".join(p.removed_ids[:5]) + (" ..." if p.removed > 5 else "")
        fate = "refused under --on-duplicate error" if p.on_duplicate == "error" else "left out"
        out.append(f"  removed    {p.removed:,} id(s) removed earlier ({shown}): {fate}; --restore-removed adds them back")
    if p.conflicts and p.on_duplicate != "update":
        head = "conflicts (refused under --on-duplicate error)" if p.on_duplicate == "error" else "skipped (stored content kept)"
        out.append(f"{head}:")
        out += [f"  {c}" for c in p.conflicts]
    if p.refused:
        out.append("refused (not allowed):")
        out += [f"  {r}" for r in p.refused]
    out += _columns(p.metadata_columns, p.hints)
    out.append(plan_summary(p))
    return lines(*out)


def plan_notes(p: ImportPlan, **_: Any) -> list[str]:
    return [f"  {line}" for line in p.problems[:10]] if p.rejected else []


KINDS = {
    "ImportResult": Kind(render, summary, notes),
    "ImportPlan": Kind(render_plan, plan_summary, plan_notes),
}
