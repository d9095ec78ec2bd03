"""Renderers of a :class:`~goldset.coverage.CoverageReport`: rich table, Markdown, HTML.

JSON is the model itself (``render_model``). The HTML page is one self-contained file (inline
CSS and SVG, no script, no network): the gate verdict on top, a bar of count vs requirement per
scenario, the scenario x edge-case heatmap, then every scenario with its reasons.
"""

from __future__ import annotations

from html import escape
from typing import Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import (
    literal,
    markdown_table,
    render_model,
    rich_table,
    rich_to_text,
)
from goldset.coverage import CoverageReport, ScenarioCoverage

_VERDICT_ORDER = {"missing": 0, "gap": 1, "ok": 2}
_RICH_COLOR = {"ok": "green", "gap": "yellow", "missing": "red"}
_SVG_COLOR = {"ok": "#2e7d32", "gap": "#f9a825", "missing": "#c62828"}


def ordered(report: CoverageReport) -> list[ScenarioCoverage]:
    """Scenarios below their bar first (by priority, missing before gap), then the rest."""
    index = {s.id: i for i, s in enumerate(report.scenarios)}
    return sorted(
        report.scenarios,
        key=lambda s: (s.verdict == "ok", s.priority, _VERDICT_ORDER[s.verdict], index[s.id]),
    )


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:.0%}"


def _need(s: ScenarioCoverage) -> str:
    return f"{s.counted}/{s.requirements.min_examples}" if s.requirements.min_examples is not None else str(s.counted)


def gate_line(report: CoverageReport) -> str:
    g = report.gate
    prios = "/".join(g.blocking_priorities) or "none"
    if g.passed:
        return f"Gate PASSED: every {prios} scenario meets its bar"
    return f"Gate FAILED: {len(g.failing)} {prios} scenario(s) below their bar: {', '.join(g.failing)}"


def _gate_detail(report: CoverageReport) -> str:
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


def _columns(report: CoverageReport) -> list[str]:
    cols = ["verdict", "scenario", "prio", "group", "counted", "all", "neg", "edge", "fresh"]
    if report.traffic is not None:
        cols.append("gold/traffic")
    return [*cols, "reasons"]


def _row(report: CoverageReport, s: ScenarioCoverage) -> list[Any]:
    row: list[Any] = [s.verdict, s.id, s.priority, s.group or "", _need(s), s.total, s.negatives,
                      s.edge_case_examples, _pct(s.fresh_share)]
    if report.traffic is not None:
        flag = " LOW" if s.under_represented else ""
        row.append(f"{_pct(s.golden_share)}/{_pct(s.traffic_share)}{flag}")
    return [*row, "; ".join(s.reasons)]


def _summary_rows(report: CoverageReport) -> list[list[Any]]:
    return [[p, *(report.summary[p].get(v, 0) for v in ("ok", "gap", "missing"))]
            for p in report.summary if sum(report.summary[p].values())]


# -- table ---------------------------------------------------------------------------------


def table(report: CoverageReport) -> list[Any]:
    from rich.text import Text

    gate_style = "bold green" if report.gate.passed else "bold red"
    out: list[Any] = [Text(gate_line(report), style=gate_style), Text(headline(report))]
    if not report.scenarios:
        return out
    t = rich_table(_columns(report), [], title=f"coverage of {report.dataset}", max_width=70)
    # Reasons: the column people read, one reason per line; as wide as the others allow.
    t.columns[-1].min_width = 26 if report.traffic is None else 22
    for s in ordered(report):
        cells = [str(c) for c in _row(report, s)]
        cells[-1] = "\n".join(s.reasons)
        t.add_row(literal(cells[0], _RICH_COLOR[s.verdict]), *(literal(c) for c in cells[1:]))
    out.append(t)
    out.append(rich_table(["priority", "ok", "gap", "missing"], _summary_rows(report), title="priority x verdict"))
    if report.unknown_scenarios:
        out.append(rich_table(["scenario not in taxonomy", "examples"], list(report.unknown_scenarios.items())))
    if report.traffic is not None and report.traffic.unknown:
        out.append(rich_table(["traffic scenario not in taxonomy", "share"],
                              [[k, _pct(v)] for k, v in report.traffic.unknown.items()]))
    return out


# -- markdown ------------------------------------------------------------------------------


def markdown(report: CoverageReport) -> str:
    """For a pull-request comment: verdict line, scenarios below bar, details collapsed."""
    icon = "✅" if report.gate.passed else "❌"
    parts = [f"### {icon} Coverage of `{report.dataset}`: {gate_line(report)}\n", headline(report) + "\n"]
    below = [s for s in ordered(report) if s.verdict != "ok"]
    cols = _columns(report)
    if below:
        parts.append(f"#### Below their bar ({len(below)})\n")
        parts.append(markdown_table(cols, (_row(report, s) for s in below)))
    parts.append(_details(f"All {len(report.scenarios)} scenarios",
                          markdown_table(cols, (_row(report, s) for s in ordered(report)))))
    parts.append(_details("Priority x verdict", markdown_table(["priority", "ok", "gap", "missing"], _summary_rows(report))))
    m = report.edge_case_matrix
    if m.edge_cases and any(any(r) for r in m.counts):
        rows = [[sid, *r] for sid, r in zip(m.scenarios, m.counts, strict=True) if any(r)]
        parts.append(_details("Scenario x edge case (counted examples)", markdown_table(["scenario", *m.edge_cases], rows)))
    if report.unknown_scenarios:
        parts.append(_details("Scenarios not in the taxonomy",
                              markdown_table(["scenario", "examples"], report.unknown_scenarios.items())))
    if report.traffic is not None and report.traffic.unknown:
        parts.append(_details("Traffic of scenarios not in the taxonomy",
                              markdown_table(["scenario", "share"], ([k, _pct(v)] for k, v in report.traffic.unknown.items()))))
    parts.append(f"<sub>generated {report.generated_at:%Y-%m-%d %H:%M} UTC by goldset coverage; "
                 f"fresh = reviewed within {report.max_review_age_days} days</sub>\n")
    return "\n".join(parts)


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{escape(summary)}</summary>\n\n{body}\n</details>\n"


# -- html ----------------------------------------------------------------------------------

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
            f'<rect class="fill" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{_SVG_COLOR[s.verdict]}"/>'
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


def _html_table(columns: list[str], rows: list[list[Any]], verdict_col: int | None = None) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for k, v in enumerate(r):
            cls = f' class="v-{escape(str(v))}"' if k == verdict_col else ""
            cells.append(f"<td{cls}>{escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html(report: CoverageReport) -> str:
    g = report.gate
    state = "pass" if g.passed else "fail"
    failing = ""
    if g.failing:
        failing = "<p>Failing: " + ", ".join(f"<code>{escape(i)}</code>" for i in g.failing) + "</p>"
    legend = "".join(f'<span><i class="sw" style="background:{c}"></i>{v}</span>' for v, c in _SVG_COLOR.items())
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
<div>{escape(_gate_detail(report))}</div>{failing}</header>
<p id="headline">{escape(headline(report))}</p>
{traffic}
<h2>Examples per scenario vs requirement</h2>
<p class="legend">{legend}<span>| dark tick = min_examples</span></p>
{_bars_svg(report)}
<h2>Scenario x edge case</h2>
<p class="legend"><span>shade = counted examples; pink = required but missing</span></p>
{_heatmap_svg(report)}
<h2>Priority x verdict</h2>
{_html_table(["priority", "ok", "gap", "missing"], _summary_rows(report))}
<h2>All scenarios</h2>
{_html_table(_columns(report), [_row(report, s) for s in ordered(report)], verdict_col=0)}
{extra}
<p><small>Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by goldset coverage; counted statuses: {escape(', '.join(report.count_status))};
fresh = reviewed within {report.max_review_age_days} days.</small></p>
</body></html>
"""


def render(report: CoverageReport, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "html":
        return html(report)
    if fmt == "table":
        return _table_text(report, color)
    return render_model(report, fmt, table=table, markdown=markdown, color=color)


def _table_text(report: CoverageReport, color: bool) -> str:
    """120 columns, or wider when the table cannot shrink to that (long ids + traffic):
    wrapped lines read better than cropped ones."""
    from rich.console import Console
    from rich.measure import Measurement

    parts = table(report)
    console = Console(width=1000)  # measure unclamped
    need = max((Measurement.get(console, console.options, p).minimum for p in parts[2:]), default=0)
    return rich_to_text(parts, color, width=max(120, need))


KINDS = {"CoverageReport": Kind(render, gate_line)}
