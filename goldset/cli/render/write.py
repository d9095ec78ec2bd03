"""Write results (import, add, remove, edit, review, tag, compact): one summary line; for a tag
dry run, a sample of the rows that would change first."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import as_json, rich_table, rich_to_text

if TYPE_CHECKING:
    from goldset.workspace import WriteResult

_COUNTS = ("added", "updated", "removed", "unchanged", "skipped", "rejected")


def summary(result: WriteResult) -> str:
    if result.op == "compact":
        return _compact(result)
    verb = "would change" if result.dry_run else result.op
    matched = getattr(result, "matched", None)  # a TagResult: say why nothing changes
    if matched is not None and not result.changed:
        why = ("no row matches --where" if matched == 0
               else f"the {matched:,} matching row(s) are all tagged so already")
        return f"{verb} {result.dataset}: {why}; nothing to do"
    parts = [f"{name} {getattr(result, name)}" for name in _COUNTS if getattr(result, name)]
    tail = "" if result.dry_run or not result.parts_written else f" ({result.parts_written} part(s), {result.bytes_written:,} bytes written)"
    return f"{verb} {result.dataset}: {', '.join(parts) or 'nothing to do'}{tail}"


def _compact(r: WriteResult) -> str:
    if not r.parts_replaced:
        return f"compact {r.dataset}: nothing to merge"
    verb = "would merge" if r.dry_run else "merged"
    return (f"compact {r.dataset}: {verb} {r.parts_replaced} part(s) ({r.unchanged:,} rows) into {r.parts_written}"
            + ("" if r.dry_run else f", {r.bytes_written:,} bytes written"))


def render(result: WriteResult, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return as_json(result)
    sample: list[dict[str, Any]] = getattr(result, "sample", [])  # a TagResult's dry run
    if result.dry_run and sample:
        table = rich_table(list(sample[0]), ([r.get(c) for c in sample[0]] for r in sample),
                           title=f"sample of the {result.updated} row(s) that would change")
        return rich_to_text([table], color) + summary(result) + "\n"
    return summary(result) + "\n"


def notes(result: WriteResult, *, rejects: Path | None = None, **_: Any) -> list[str]:
    """Bad rows an import skipped (--skip-invalid): how many, where the reasons went, the first ten."""
    if not result.rejected:
        return []
    where = f"; reasons in {rejects}" if rejects else "; pass --rejects FILE to keep them"
    return [f"skipped {result.rejected} bad row(s){where}", *(f"  {line}" for line in result.problems[:10])]


KINDS = {"WriteResult": Kind(render, summary, notes)}
