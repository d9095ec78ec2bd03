"""``goldset merge`` (MergeResult): what the merge changed, or the conflicts that stop it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import as_json, cell, rich_table, rich_to_text

if TYPE_CHECKING:
    from goldset.merging import MergeResult


def summary(r: MergeResult) -> str:
    if r.status == "nothing to merge":
        return f"merge {r.dataset}: its .dvc file is not in conflict (merged already, or unchanged on one side)"
    if r.status == "up to date":
        return f"merge {r.dataset}: {r.theirs} brings nothing {r.ours} lacks; ours staged as it is"
    verb = "would merge" if r.dry_run else "merged"
    counts = f"added {r.added}, removed {r.removed}, updated {r.updated}"
    fields = f"; {r.merged_fields} example(s) took fields from both sides" if r.merged_fields else ""
    resolved = f"; {r.resolved} conflict(s) resolved" if r.resolved else ""
    conflicts = f"; {r.conflict_count} conflict(s) left" if r.conflict_count else ""
    version = f" -> version {r.version[:12]}" if r.version else ""
    return f"{verb} {r.theirs} into {r.ours}{version}: {counts}{fields}{resolved}{conflicts}"


def render(r: MergeResult, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return as_json(r)
    out = summary(r) + "\n"
    if r.conflicts:
        rows = [(c.id, c.field, cell(c.base), cell(c.ours), cell(c.theirs)) for c in r.conflicts]
        out += rich_to_text([rich_table(["id", "field", "base", "ours", "theirs"], rows,
                                        title=f"{r.conflict_count} conflict(s)")], color)
    return out


KINDS = {"MergeResult": Kind(render, summary, message=True)}
