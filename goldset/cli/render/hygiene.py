"""``goldset dupes`` and ``goldset leakage``: clusters of near-duplicates, leaked examples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import as_json, markdown_table, rich_table, rich_to_text

if TYPE_CHECKING:
    from goldset.hygiene import DupeCluster, DupesReport, LeakageReport

_MEMBER_COLUMNS = ["id", "scenarios", "expected", "polarity", "status", "input"]


# -- dupes ---------------------------------------------------------------------------------
def _how(r: DupesReport) -> str:
    scope = "pairs sharing a scenario" if r.scope == "within" else "all pairs"
    return f"Jaccard >= {r.threshold:g}, {r.shingles} shingles, {scope}"


def dupes_summary(r: DupesReport) -> str:
    if not r.clusters:
        return f"dupes {r.dataset}: no near-duplicates among {r.examples:,} examples ({_how(r)})"
    conflicts = f", {r.label_conflicts:,} probable label conflict(s)" if r.label_conflicts else ""
    return (f"dupes {r.dataset}: {len(r.clusters):,} cluster(s) holding {r.duplicates:,} of {r.examples:,} "
            f"examples{conflicts} ({_how(r)})")


def _cluster_title(c: DupeCluster) -> str:
    low = min(p.exact for p in c.pairs)
    high = max(p.exact for p in c.pairs)
    span = f"{low:.2f}" if low == high else f"{low:.2f}-{high:.2f}"
    conflict = (", PROBABLE LABEL CONFLICT: " + ", ".join(f"{k} ({v})" for k, v in c.labels.items())) if c.label_conflict else ""
    return f"cluster {c.number}: {c.size} examples, Jaccard {span}{conflict}"


def _member_rows(c: DupeCluster) -> tuple[list[str], list[list[Any]]]:
    cols = list(_MEMBER_COLUMNS)
    retiring = bool(c.keep)
    if retiring:
        cols.insert(1, "action")
    rows = []
    for m in c.members:
        row: list[Any] = [m.id, m.scenarios, m.expected, m.polarity, m.status, m.input]
        if retiring:
            row.insert(1, "keep" if m.id == c.keep else "retire")
        rows.append(row)
    return cols, rows


def _writes(r: DupesReport) -> list[str]:
    from goldset.cli.render.write import summary as write_summary

    out = []
    if r.tagged is not None:
        out.append(f"tag +edge_case {r.edge_case}: {write_summary(r.tagged)}")
    if r.retired is not None:
        out.append(f"retire all but the {r.keep} of each cluster: {write_summary(r.retired)}")
    if r.dry_run and (r.tagged or r.retired):
        out.append("dry run: nothing written")
    return out


def _shown(r: DupesReport, limit: int) -> tuple[list[DupeCluster], str]:
    shown = r.clusters if not limit else r.clusters[:limit]
    more = len(r.clusters) - len(shown)
    return shown, (f"... {more:,} more cluster(s): --limit 0 or -f json for all" if more else "")


def render_dupes(r: DupesReport, fmt: str, *, color: bool = False, limit: int = 20, **_: Any) -> str:
    if fmt == "json":
        return as_json(r)
    shown, more = _shown(r, limit)
    tail = [t for t in (more, *_writes(r), dupes_summary(r)) if t]
    if fmt == "markdown":
        parts = [f"## Near-duplicates in {r.dataset}\n", dupes_summary(r) + "\n"]
        for c in shown:
            cols, rows = _member_rows(c)
            parts += [f"\n### {_cluster_title(c)}\n\n", markdown_table(cols, rows)]
        parts += [f"\n{t}\n" for t in tail[:-1]]
        return "".join(parts)
    tables = [rich_table(*_member_rows(c), title=_cluster_title(c)) for c in shown]
    return rich_to_text(tables, color) + "".join(t + "\n" for t in tail)


# -- leakage -------------------------------------------------------------------------------
def leakage_summary(r: LeakageReport) -> str:
    files = f"{r.train_rows:,} training rows in {len(r.files)} file(s)"
    if not r.matches:
        found = f"none of {r.examples:,} examples is in the training data"
    else:
        found = (f"{len(r.matches):,} of {r.examples:,} examples are in the training data "
                 f"({r.exact:,} exact, {r.near:,} near at Jaccard >= {r.threshold:g})")
    return f"leakage {r.dataset}: {found}; {files}"


def gate_line(r: LeakageReport) -> str:
    if not r.fail_on_tiers:
        return ""
    tiers = ", ".join(r.fail_on_tiers)
    if r.gate_passed:
        return f"gate (no {tiers} example in the training data): passed"
    return f"gate (no {tiers} example in the training data): FAILED, {len(r.failing):,} example(s)"


def _leak_sections(r: LeakageReport, limit: int) -> list[tuple[str, list[str], list[list[Any]]]]:
    out: list[tuple[str, list[str], list[list[Any]]]] = [(
        "by tier", ["tier", "examples", "exact", "near"], [[c.name, c.examples, c.exact, c.near] for c in r.by_tier],
    )]
    if r.by_scenario:
        out.append(("by scenario (those with a leaked example)", ["scenario", "examples", "exact", "near"],
                    [[c.name if c.name is not None else "(no scenario)", c.examples, c.exact, c.near] for c in r.by_scenario]))
    if r.matches:
        shown = r.matches if not limit else r.matches[:limit]
        out.append((f"leaked examples ({len(shown):,} of {len(r.matches):,})",
                    ["id", "tier", "kind", "jaccard", "training row", "training text", "input"],
                    [[m.id, m.tier, m.kind, f"{m.jaccard:.2f}", f"{m.train_file}:{m.train_row}", m.train_text, m.input]
                     for m in shown]))
    return out


def render_leakage(r: LeakageReport, fmt: str, *, color: bool = False, limit: int = 50, **_: Any) -> str:
    if fmt == "json":
        return as_json(r)
    tail = [t for t in (gate_line(r), leakage_summary(r)) if t]
    if fmt == "markdown":
        parts = [f"## Leakage of {r.dataset} into training data\n\n", leakage_summary(r) + "\n"]
        for title, cols, rows in _leak_sections(r, limit):
            parts += [f"\n### {title}\n\n", markdown_table(cols, rows)]
        if gate_line(r):
            parts.append(f"\n{gate_line(r)}\n")
        return "".join(parts)
    tables = [rich_table(cols, rows, title=title) for title, cols, rows in _leak_sections(r, limit)]
    return rich_to_text(tables, color) + "".join(t + "\n" for t in tail)


def leakage_notes(r: LeakageReport, **_: Any) -> list[str]:
    """Training rows that had no text in the column: skipped, said once per file."""
    return [f"{f.path}: {f.empty:,} of {f.rows:,} row(s) have no text in {r.column!r}; skipped"
            for f in r.files if f.empty]


KINDS = {
    "DupesReport": Kind(render_dupes, dupes_summary),
    "LeakageReport": Kind(render_leakage, leakage_summary, leakage_notes),
}
