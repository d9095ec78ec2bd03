"""How write results read on the command line (shared by every writing command)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goldset.dataset import WriteResult


def render_write(result: WriteResult, fmt: str) -> str:
    if fmt == "json":
        return result.model_dump_json(indent=2)
    verb = "would change" if result.dry_run else result.op
    parts = [f"{name} {getattr(result, name)}" for name in ("added", "updated", "removed", "unchanged", "skipped", "rejected") if getattr(result, name)]
    summary = ", ".join(parts) or "nothing to do"
    tail = "" if result.dry_run or not result.parts_written else f" ({result.parts_written} part(s), {result.bytes_written:,} bytes written)"
    return f"{verb} {result.dataset}: {summary}{tail}"
