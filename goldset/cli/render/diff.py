"""``goldset diff``: rows added/removed/changed, per-field counts, a before/after sample, the
coverage delta per scenario."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import markdown_table, render_model, rich_table

if TYPE_CHECKING:
    from goldset.history import DiffReport

#: updated_at/by move with every change: JSON keeps them, the tables leave them out.
_NOISE = ("updated_at", "updated_by")


def _sections(r: DiffReport) -> list[tuple[str, list[str], list[list[Any]]]]:
    out: list[tuple[str, list[str], list[list[Any]]]] = [(
        "rows", ["", "before", "after", "added", "removed", "changed", "unchanged"],
        [[r.dataset, r.rows_before, r.rows_after, r.added, r.removed, r.changed, r.unchanged]],
    )]
    if r.fields:
        out.append(("changed fields", ["field", "rows"], [[f.field, f.rows] for f in r.fields]))
    if r.transitions:
        out.append(("transitions", ["field", "before", "after", "rows"], [[t.field, t.before, t.after, t.rows] for t in r.transitions]))
    if r.tags:
        out.append(("tags on changed rows", ["kind", "tag", "added", "removed"], [[t.kind, t.id, t.added, t.removed] for t in r.tags]))
    if any(f not in _NOISE for c in r.sample for f in c.fields):
        rows = [[c.id, f, c.before.get(f), c.after.get(f)] for c in r.sample for f in c.fields if f not in _NOISE]
        out.append(("sample of changed rows", ["id", "field", "before", "after"], rows))
    if r.coverage:
        out.append(("coverage delta", ["scenario", "priority", "counted", "negatives", "verdict"], [
            [d.id, (d.priority or "") + (" (blocking)" if d.blocking else ""),
             f"{_v(d.before, 'counted')} -> {_v(d.after, 'counted')}",
             f"{_v(d.before, 'negatives')} -> {_v(d.after, 'negatives')}",
             f"{_v(d.before, 'verdict')} -> {_v(d.after, 'verdict')}"]
            for d in r.coverage
        ]))
    return out


def _v(side: Any, attr: str) -> str:
    if side is None:
        return "-"
    value = getattr(side, attr)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ids_lines(r: DiffReport) -> list[str]:
    out = []
    for word, ids, n in (("added", r.added_ids, r.added), ("removed", r.removed_ids, r.removed), ("changed", r.changed_ids, r.changed)):
        if ids:
            shown = ", ".join(ids[:10]) + (f", ... ({n:,} in all)" if n > 10 else "")
            out.append(f"{word}: {shown}")
    return out


def _table(r: DiffReport) -> list[object]:
    from rich.text import Text

    out: list[object] = [Text.assemble((r.dataset, "bold"), f": {r.before} -> {r.after}")]
    out += [rich_table(cols, rows, title=title) for title, cols, rows in _sections(r)]
    out += _ids_lines(r)
    out += r.summary
    return out


def _markdown(r: DiffReport) -> str:
    text = f"### golden set `{r.dataset}`: {r.before} -> {r.after}\n\n"
    text += "".join(f"- {s}\n" for s in r.summary) + "\n"
    for title, cols, rows in _sections(r):
        text += f"#### {title}\n\n" + markdown_table(cols, rows) + "\n"
    return text


def render(r: DiffReport, fmt: str, *, color: bool = False, **_: Any) -> str:
    return render_model(r, fmt, table=_table, markdown=_markdown, color=color)


def summary(r: DiffReport) -> str:
    return (f"{r.dataset} {r.before} -> {r.after}: {r.added:,} added, {r.removed:,} removed, {r.changed:,} changed"
            + ("" if r.gate_flip == "none" else f"; coverage gate {r.gate_flip.replace('_', ' ')}"))


KINDS = {"DiffReport": Kind(render, summary)}
