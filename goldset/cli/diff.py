"""``goldset diff``: row-level changes between two versions, and the coverage delta."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from goldset.cli.context import GoldsetContext, color, command, emit, format_option
from goldset.render import REPORT_FORMATS

if TYPE_CHECKING:
    from goldset.diff import DiffReport


_NOISE = ("updated_at", "updated_by")


def _priorities(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [p.strip().upper() for p in value.split(",") if p.strip()]
    if not items or any(p not in ("P0", "P1", "P2") for p in items):
        raise click.BadParameter(f"{value!r}: give a comma list of P0, P1, P2")
    return items


@command("diff")
@click.argument("rev_a", required=False, metavar="[REV_A]")
@click.argument("rev_b", required=False, metavar="[REV_B]")
@click.option("--sample", type=click.IntRange(min=0), default=5, show_default=True, help="Changed rows shown before/after.")
@click.option("--no-coverage", is_flag=True, help="Rows only; skip the coverage delta.")
@click.option("--fail-on", callback=_priorities, metavar="P0,P1", help="Blocking priorities for the gate (default: each side's spec).")
@click.option("--gate", is_flag=True, help="Exit 1 when the change flips the coverage gate from pass to fail.")
@format_option(REPORT_FORMATS)
def diff_cmd(
    g: GoldsetContext, rev_a: str | None, rev_b: str | None, sample: int, no_coverage: bool,
    fail_on: list[str] | None, gate: bool, fmt: str,
) -> None:
    """Examples added, removed and changed between two versions, per-field change counts, a
    sample before/after, then the coverage delta per scenario and whether the gate flips.

    With no revision: HEAD against the working store. With one: REV_A against the working
    store. Revisions are commits, tags or branches (see `goldset log`).

    \b
    goldset diff                      # what the next snapshot would record
    goldset diff v6 v7 --format markdown > pr-comment.md
    goldset diff main --gate          # in CI: fail if this branch breaks the launch bar
    """
    from goldset.diff import diff
    from goldset.errors import CheckFailed
    from goldset.render import render_model

    report = diff(g.workspace(), g.dataset_name, rev_a or "HEAD", rev_b, sample=sample,
                  coverage=not no_coverage, fail_on=fail_on)
    emit(render_model(report, fmt, table=_table, markdown=_markdown, color=color()))
    if gate and report.gate_flip == "pass_to_fail":
        raise CheckFailed(f"diff: the coverage gate flips from pass to fail ({', '.join(report.gate.failing_after) if report.gate else ''})")


def _rows_sections(r: DiffReport) -> list[tuple[str, list[str], list[list[Any]]]]:
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
        # updated_at/by move with every change: JSON keeps them, the tables leave them out.
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


def _ids_line(r: DiffReport) -> list[str]:
    lines = []
    for word, ids, n in (("added", r.added_ids, r.added), ("removed", r.removed_ids, r.removed), ("changed", r.changed_ids, r.changed)):
        if ids:
            shown = ", ".join(ids[:10]) + (f", ... ({n:,} in all)" if n > 10 else "")
            lines.append(f"{word}: {shown}")
    return lines


def _table(r: DiffReport) -> list[object]:
    from goldset.render import rich_table

    out: list[object] = [f"[bold]{r.dataset}[/]: {r.before} -> {r.after}"]
    out += [rich_table(cols, rows, title=title) for title, cols, rows in _rows_sections(r)]
    out += _ids_line(r)
    out += r.summary
    return out


def _markdown(r: DiffReport) -> str:
    from goldset.render import markdown_table

    text = f"### golden set `{r.dataset}`: {r.before} -> {r.after}\n\n"
    text += "".join(f"- {s}\n" for s in r.summary) + "\n"
    for title, cols, rows in _rows_sections(r):
        text += f"#### {title}\n\n" + markdown_table(cols, rows) + "\n"
    return text
