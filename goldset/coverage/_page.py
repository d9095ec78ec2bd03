"""The coverage report as one self-contained HTML page, and the layout pieces every rendering
of the report shares (scenario order, the gate line, the headline, the scenario rows).

The page is a document the library writes (a snapshot commits it as ``reports/coverage.html``
beside the JSON it was made from), so it lives here rather than in the CLI; the CLI's table
and Markdown renderers (``goldset.cli.render.coverage``) use the same pieces. Inline CSS and
SVG, no script, no network; plain strings only (no rich, no click).
"""

from __future__ import annotations

from html import escape
from typing import Any

from goldset.coverage._compute import CoverageReport, ScenarioCoverage
from goldset.coverage._subject import ReportSubject

_VERDICT_ORDER = {"missing": 0, "gap": 1, "ok": 2}
SVG_COLOR = {"ok": "#2e7d32", "gap": "#f9a825", "missing": "#c62828"}


def ordered(report: CoverageReport) -> list[ScenarioCoverage]:
    """Scenarios below their bar first (by priority, missing before gap), then the rest."""
    index = {s.id: i for i, s in enumerate(report.scenarios)}
    return sorted(
        report.scenarios,
        key=lambda s: (s.verdict == "ok", s.priority, _VERDICT_ORDER[s.verdict], index[s.id]),
    )


def pct(x: float | None) -> str:
    return "" if x is None else f"{x:.0%}"


def need(s: ScenarioCoverage) -> str:
    return f"{s.counted}/{s.requirements.min_examples}" if s.requirements.min_examples is not None else str(s.counted)


def gate_line(report: CoverageReport) -> str:
    g = report.gate
    prios = "/".join(g.blocking_priorities) or "none"
    if g.passed:
        return f"Gate PASSED: every {prios} scenario meets its bar"
    return f"Gate FAILED: {len(g.failing)} {prios} scenario(s) below their bar: {', '.join(g.failing)}"


def gate_detail(report: CoverageReport) -> str:
    prios = "/".join(report.gate.blocking_priorities) or "none"
    if report.gate.passed:
        return f"every {prios} scenario meets its bar"
    return f"{len(report.gate.failing)} {prios} scenario(s) below their bar"


def headline(report: CoverageReport) -> str:
    v = report.metrics.get("verdicts") or {}
    text = (
        f"{report.dataset}: {len(report.scenarios)} scenarios ({v.get('ok', 0)} ok, {v.get('gap', 0)} gap, "
        f"{v.get('missing', 0)} missing); {report.counted_rows:,} of {report.rows:,} examples count "
        f"({', '.join(report.count_status)}); {report.untagged:,} untagged"
    )
    if report.unknown_scenarios:
        n = sum(report.unknown_scenarios.values())
        text += f"; {n:,} tagged with {len(report.unknown_scenarios)} scenario(s) not in the taxonomy"
    if report.traffic is not None:
        text += f"; {report.traffic.covered_share:.0%} of production traffic meets its bar"
    if not report.scenarios:
        text += " -- no scenarios defined: add them under 'scenarios:' in goldset.yaml (goldset scenario add)"
    return text


def columns(report: CoverageReport) -> list[str]:
    cols = ["verdict", "scenario", "prio", "group", "counted", "all", "neg", "edge", "fresh"]
    if report.traffic is not None:
        cols.append("gold/traffic")
    return [*cols, "reasons"]


def row(report: CoverageReport, s: ScenarioCoverage) -> list[Any]:
    cells: list[Any] = [s.verdict, s.id, s.priority, s.group or "", need(s), s.total, s.negatives,
                        s.edge_case_examples, pct(s.fresh_share)]
    if report.traffic is not None:
        flag = " LOW" if s.under_represented else ""
        cells.append(f"{pct(s.golden_share)}/{pct(s.traffic_share)}{flag}")
    return [*cells, "; ".join(s.reasons)]


def summary_rows(report: CoverageReport) -> list[list[Any]]:
    return [[p, *(report.summary[p].get(v, 0) for v in ("ok", "gap", "missing"))]
            for p in report.summary if sum(report.summary[p].values())]


def short(digest: str | None) -> str:
    """A digest as people read it: its first 12 hex digits."""
    return digest[:12] if digest else "none"


def subject_line(report: ReportSubject) -> str:
    """What a report describes, for footers: ``dataset X, data 1a2b3c4d5e6f, spec 9f8e7d6c5b4a``."""
    return f"dataset {report.dataset}, data {short(report.data)}, spec {short(report.spec)}"


# -- the page -------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1100px}
#gate{padding:14px 18px;border-radius:6px;color:#fff;margin-bottom:12px}
#gate.pass{background:#2e7d32}#gate.fail{background:#c62828}
#gate h1{margin:0 0 4px;font-size:22px}
h2{margin-top:28px;font-size:17px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left}
th{background:#f4f4f4}.v-ok{color:#2e7d32}.v-gap{color:#b07900}.v-missing{color:#c62828}
svg text{font:12px system-ui,sans-serif}.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
"""


def _bars_svg(report: CoverageReport) -> str:
    """One bar per scenario: counted examples against min_examples (the dark tick)."""
    label_w, bar_w, row_h = 260, 520, 22
    items = ordered(report)
    top = max((s.counted for s in items), default=0) or 1
    rows = []
    for i, s in enumerate(items):
        need = s.requirements.min_examples
        scale = max(need or 0, s.counted, 1) if need else top
        w = bar_w * s.counted / scale
        y = i * row_h
        tick = ""
        if need:
            x = label_w + bar_w * need / scale
            tick = f'<line class="need" x1="{x:.1f}" x2="{x:.1f}" y1="{y + 2}" y2="{y + row_h - 2}" stroke="#222" stroke-width="2"/>'
        label = f"{s.counted:,}" + (f" / {need:,}" if need else "")
        rows.append(
            f'<g class="bar" data-scenario="{escape(s.id)}" data-verdict="{s.verdict}">'
            f"<title>{escape(s.id)}: {escape(label)} ({s.verdict}){escape(': ' + '; '.join(s.reasons) if s.reasons else '')}</title>"
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(s.id)} ({s.priority})</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row_h - 8}" fill="#eee"/>'
            f'<rect class="fill" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{SVG_COLOR[s.verdict]}"/>'
            f'{tick}<text x="{label_w + bar_w + 8}" y="{y + 15}">{escape(label)}</text></g>'
        )
    h = max(len(items), 1) * row_h
    return (f'<svg id="bars" xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 120}" height="{h}" '
            f'role="img" aria-label="examples per scenario vs requirement">{"".join(rows)}</svg>')


def _heatmap_svg(report: CoverageReport) -> str:
    """Scenario x edge case: cell shade = counted examples relative to the largest cell."""
    m = report.edge_case_matrix
    if not m.edge_cases or not m.scenarios:
        return "<p>No edge cases in the spec or the data.</p>"
    label_w, cell_w, cell_h, head_h = 260, 90, 20, 28
    top = max((max(r) for r in m.counts if r), default=0) or 1
    required = {s.id: set(s.requirements.required_edge_cases) for s in report.scenarios}
    parts = [f'<text x="{label_w + j * cell_w + cell_w / 2}" y="18" text-anchor="middle">{escape(e)}</text>'
             for j, e in enumerate(m.edge_cases)]
    for i, (sid, row) in enumerate(zip(m.scenarios, m.counts, strict=True)):
        y = head_h + i * cell_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">{escape(sid)}</text>')
        for j, n in enumerate(row):
            e = m.edge_cases[j]
            alpha = 0.08 + 0.92 * n / top if n else 0
            fill = f"rgba(21,101,192,{alpha:.3f})" if n else ("#ffcdd2" if e in required[sid] else "#fafafa")
            ink = "#fff" if alpha > 0.55 else "#222"
            parts.append(
                f'<g class="cell" data-scenario="{escape(sid)}" data-edge-case="{escape(e)}" data-count="{n}">'
                f"<title>{escape(sid)} x {escape(e)}: {n}</title>"
                f'<rect x="{label_w + j * cell_w}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}"/>'
                f'<text x="{label_w + j * cell_w + cell_w / 2}" y="{y + 14}" text-anchor="middle" fill="{ink}">{n}</text></g>'
            )
    w, h = label_w + cell_w * len(m.edge_cases) + 10, head_h + cell_h * len(m.scenarios)
    return (f'<svg id="heatmap" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
            f'aria-label="scenario by edge case">{"".join(parts)}</svg>')


def _html_table(names: list[str], rows: list[list[Any]], verdict_col: int | None = None) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in names)
    body = []
    for r in rows:
        cells = []
        for k, v in enumerate(r):
            cls = f' class="v-{escape(str(v))}"' if k == verdict_col else ""
            cells.append(f"<td{cls}>{escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _footer(report: CoverageReport) -> str:
    """What the page describes (full digests in data attributes, short ones in the text)."""
    attrs = " ".join(f'data-{k}="{escape(v or "")}"' for k, v in
                     (("dataset", report.dataset), ("data", report.data), ("spec", report.spec)))
    return (f'<footer id="subject" {attrs}><p><small>Describes dataset <code>{escape(report.dataset)}</code>: '
            f"data <code>{short(report.data)}</code> (manifest digest), spec <code>{short(report.spec)}</code> "
            f"(SHA-256 of goldset.yaml), as of {report.generated_at:%Y-%m-%d %H:%M} UTC. Counted statuses: "
            f"{escape(', '.join(report.count_status))}; fresh = reviewed within {report.max_review_age_days} days. "
            "Made by goldset coverage.</small></p></footer>")


def html(report: CoverageReport) -> str:
    """The report as one self-contained HTML page."""
    g = report.gate
    state = "pass" if g.passed else "fail"
    failing = ""
    if g.failing:
        failing = "<p>Failing: " + ", ".join(f"<code>{escape(i)}</code>" for i in g.failing) + "</p>"
    legend = "".join(f'<span><i class="sw" style="background:{c}"></i>{v}</span>' for v, c in SVG_COLOR.items())
    traffic = ""
    if report.traffic is not None:
        t = report.traffic
        under = ", ".join(t.under_represented) or "none"
        traffic = (f"<h2>Production traffic</h2><p id=\"traffic\"><b>{t.covered_share:.0%}</b> of production traffic "
                   f"falls in scenarios that meet their bar ({t.attributed_share:.0%} of traffic attributed). "
                   f"Under-represented: {escape(under)}.</p>")
    extra = ""
    if report.unknown_scenarios:
        extra = "<h2>Scenarios not in the taxonomy</h2>" + _html_table(
            ["scenario", "examples"], [[k, v] for k, v in report.unknown_scenarios.items()])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Coverage of {escape(report.dataset)}</title>
<style>{_CSS}</style></head><body>
<header id="gate" class="{state}" data-passed="{str(g.passed).lower()}"><h1>{escape(gate_line(report).split(':')[0])}</h1>
<div>{escape(gate_detail(report))}</div>{failing}</header>
<p id="headline">{escape(headline(report))}</p>
{traffic}
<h2>Examples per scenario vs requirement</h2>
<p class="legend">{legend}<span>| dark tick = min_examples</span></p>
{_bars_svg(report)}
<h2>Scenario x edge case</h2>
<p class="legend"><span>shade = counted examples; pink = required but missing</span></p>
{_heatmap_svg(report)}
<h2>Priority x verdict</h2>
{_html_table(["priority", "ok", "gap", "missing"], summary_rows(report))}
<h2>All scenarios</h2>
{_html_table(columns(report), [row(report, s) for s in ordered(report)], verdict_col=0)}
{extra}
{_footer(report)}
</body></html>
"""
