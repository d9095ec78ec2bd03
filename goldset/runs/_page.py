"""A run's report as one self-contained HTML page: the launch verdict and its reasons on top,
a forest plot of the pass rate per scenario (dot, 95% Wilson interval, the bar's tick), the
latency distribution, then the tables (scenarios, tiers, edge cases, polarity, failures).

Like the coverage page (``goldset.coverage``): inline CSS and SVG, no script, no network, a
Content-Security-Policy that allows nothing else; every string that comes from the user (ids,
outputs, expected values, model, params) goes through ``html.escape``, in text, attributes and
SVG alike. The plots keep a fixed width and grow in height with the scenarios, so the page reads
at 1280 px wide whatever the taxonomy's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from goldset.runs._report import Cell, Failure, RunReport, ScenarioResult, Verdict
from goldset.spec import Bar

COLOR = {"pass": "#2e7d32", "fail": "#c62828", "insufficient": "#757575"}
_NO_VERDICT = "#9e9e9e"
_WORDS = {"pass": "pass", "fail": "fail", "insufficient": "not enough evidence"}
_ORDER = {"fail": 0, "insufficient": 1, "pass": 2}
#: A scenario's label in the forest plot is cut to this many characters (the full id is in its
#: tooltip, its data attribute and the tables).
_LABEL_CHARS = 36
_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
        "form-action 'none'")

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;padding:0 24px;color:#222;max-width:1100px}
#verdict{padding:14px 18px;border-radius:6px;color:#fff;margin-bottom:12px}
#verdict.pass{background:#2e7d32}#verdict.fail{background:#c62828}#verdict.insufficient{background:#616161}
#verdict h1{margin:0 0 4px;font-size:22px}#verdict ul{margin:6px 0 0;padding-left:20px}
h2{margin-top:28px;font-size:17px}h3{font-size:15px;margin:12px 0 6px}
dl#run{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
.note{padding:6px 10px;border-left:4px solid #f9a825;background:#fff8e1}.note.ok{border-color:#2e7d32;background:#f1f8e9}
table{border-collapse:collapse;font-size:13px;max-width:100%}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}th{background:#f4f4f4;white-space:nowrap}td.num{text-align:right;white-space:nowrap}td.nw{white-space:nowrap}
table.fixed{table-layout:fixed;width:100%}table.fixed td,table.fixed th{white-space:normal}
td.text{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:12px}
.v-pass{color:#2e7d32}.v-fail{color:#c62828}.v-insufficient{color:#616161}
svg{max-width:100%;height:auto;display:block}svg text{font:12px system-ui,sans-serif}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:5px}
details{margin:6px 0}summary{cursor:pointer;overflow-wrap:anywhere}code{overflow-wrap:anywhere}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:.1%}".replace(".0%", "%")


def _rate(c: Cell) -> str:
    """``83.3% (70.1%-91.2%)``: the pass rate with its 95% Wilson interval."""
    if c.pass_rate is None:
        return ""
    ci = f" ({_pct(c.ci_low)}-{_pct(c.ci_high)})" if c.ci_low is not None and c.ci_high is not None else ""
    return _pct(c.pass_rate) + ci


def _ms(x: float | None) -> str:
    return "" if x is None else f"{x:,.0f} ms"


def _usd(x: float | None) -> str:
    return "" if x is None else f"${x:,.2f}"


def _word(v: Verdict | None) -> str:
    return "" if v is None else _WORDS[v]


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _when(t: datetime) -> str:
    return f"{(t.astimezone(UTC) if t.tzinfo else t):%Y-%m-%d %H:%M} UTC"


def bar_text(bar: Bar | None) -> str:
    """What a bar asks, in a few words (``pass >= 90%, p95 <= 800 ms``)."""
    if bar is None:
        return ""
    parts = [text for value, text in (
        (bar.min_pass_rate, f"pass >= {_pct(bar.min_pass_rate)}"),
        (bar.max_failures, f"failures <= {bar.max_failures}"),
        (bar.min_negative_pass_rate, f"negatives >= {_pct(bar.min_negative_pass_rate)}"),
        (bar.max_p95_latency_ms, f"p95 <= {_ms(bar.max_p95_latency_ms)}"),
        (bar.max_cost_per_1k_usd, f"cost/1k <= {_usd(bar.max_cost_per_1k_usd)}"),
        (bar.min_examples_for_verdict, f"{bar.min_examples_for_verdict} examples for a verdict"),
    ) if value is not None]
    return ", ".join(parts)


def ordered(report: RunReport) -> list[ScenarioResult]:
    """Blocking scenarios first, then by verdict (fail, not enough evidence, pass), priority and
    the spec's order."""
    index = {s.id: i for i, s in enumerate(report.scenarios)}
    return sorted(report.scenarios, key=lambda s: (not s.blocking, _ORDER.get(s.verdict or "", 3), s.priority, index[s.id]))


# -- the plots --------------------------------------------------------------------------------

def _forest_svg(report: RunReport) -> str:
    """One row per scenario: the pass rate (dot) and its 95% Wilson interval (line) on a 0-100%
    axis, the bar's min_pass_rate as a dark tick; the overall row last."""
    label_w, plot_w, right_w, row_h, head_h = 290, 560, 190, 20, 26
    x0 = label_w

    def x(rate: float) -> float:
        return x0 + plot_w * rate

    items = ordered(report)
    height = head_h + (len(items) + 1) * row_h + 12
    parts = []
    for k in range(5):
        v = k / 4
        parts.append(f'<line class="grid" data-value="{v}" x1="{x(v):.2f}" x2="{x(v):.2f}" y1="{head_h - 4}" '
                     f'y2="{height - 4}" stroke="#e0e0e0"/>'
                     f'<text x="{x(v):.2f}" y="{head_h - 10}" text-anchor="middle">{v:.0%}</text>')

    def row(i: int, cls: str, sid: str, label: str, c: Cell, color: str, tip: str, attrs: str, tick: float | None) -> str:
        y = head_h + i * row_h
        cy = y + row_h / 2
        band = f'<rect x="0" y="{y}" width="{label_w + plot_w + right_w}" height="{row_h}" fill="#f7f7f7"/>' if i % 2 else ""
        marks = ""
        if c.ci_low is not None and c.ci_high is not None:
            marks += (f'<line class="ci" x1="{x(c.ci_low):.2f}" x2="{x(c.ci_high):.2f}" y1="{cy}" y2="{cy}" '
                      f'stroke="{color}" stroke-width="2"/>')
        if tick is not None:
            marks += (f'<line class="bar-tick" data-value="{tick!r}" x1="{x(tick):.2f}" x2="{x(tick):.2f}" '
                      f'y1="{y + 3}" y2="{y + row_h - 3}" stroke="#222" stroke-width="2"/>')
        if c.pass_rate is not None:
            marks += f'<circle class="rate" cx="{x(c.pass_rate):.2f}" cy="{cy}" r="4.5" fill="{color}"/>'
            value = f"{_pct(c.pass_rate)} ({c.passed:,}/{c.n:,})"
        else:
            value = "no examples"
        return (f'<g class="{cls}" data-scenario="{_e(sid)}" {attrs}><title>{_e(tip)}</title>{band}'
                f'<text x="{label_w - 8}" y="{cy + 4}" text-anchor="end">{_e(label)}</text>{marks}'
                f'<text x="{label_w + plot_w + 8}" y="{cy + 4}">{_e(value)}</text></g>')

    for i, s in enumerate(items):
        color = COLOR.get(s.verdict or "", _NO_VERDICT)
        attrs = " ".join(f'data-{k}="{_e(v)}"' for k, v in (
            ("verdict", s.verdict or ""), ("priority", s.priority), ("n", s.n), ("passed", s.passed),
            ("pass-rate", "" if s.pass_rate is None else repr(s.pass_rate)),
            ("ci-low", "" if s.ci_low is None else repr(s.ci_low)),
            ("ci-high", "" if s.ci_high is None else repr(s.ci_high))))
        tip = f"{s.id} ({s.priority}): {_word(s.verdict)}; pass rate {_rate(s) or 'none'}"
        if s.reasons:
            tip += "; " + "; ".join(s.reasons)
        label = f"{_clip(s.id, _LABEL_CHARS)} ({s.priority})"
        tick = s.bar.min_pass_rate if s.bar is not None else None
        parts.append(row(i, "scenario", s.id, label, s, color, tip, attrs, tick))
    o = report.overall
    parts.append(row(len(items), "overall", "", "overall", o, "#222", f"overall: {_rate(o) or 'no examples'}",
                     'data-verdict=""', None))
    width = label_w + plot_w + right_w
    return (f'<svg id="forest" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" data-x0="{x0}" data-width="{plot_w}" role="img" '
            f'aria-label="pass rate per scenario with 95% intervals">{"".join(parts)}</svg>')


def _latency_svg(report: RunReport) -> str:
    """The latency histogram (equal bins up to the 99th percentile; the last bin holds the
    slowest 1% too), with the overall p50 and p95 marked."""
    hist = report.latency_histogram
    if not hist:
        return '<p id="latency-empty">no latency recorded</p>'
    left, top, plot_w, plot_h, bottom = 60, 40, 940, 170, 36
    hi = hist[-1][1] or 1.0
    most = max(n for _, _, n in hist) or 1

    def x(ms: float) -> float:
        return left + plot_w * min(max(ms, 0.0), hi) / hi

    parts = [f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#888"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{most:,}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>']
    for k in range(5):
        ms = hi * k / 4
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        parts.append(f'<text x="{x(ms):.2f}" y="{top + plot_h + 16}" text-anchor="{anchor}">{_e(_ms(ms))}</text>')
    for i, (lo, up, n) in enumerate(hist):
        h = plot_h * n / most
        last = i == len(hist) - 1
        tip = f"{lo:,.0f}-{up:,.0f} ms{' and slower' if last else ''}: {n:,} example(s)"
        parts.append(f'<rect class="bin" data-from="{lo!r}" data-to="{up!r}" data-count="{n}" x="{x(lo) + 0.5:.2f}" '
                     f'y="{top + plot_h - h:.2f}" width="{max(x(up) - x(lo) - 1, 0.5):.2f}" height="{h:.2f}" '
                     f'fill="#1565c0"><title>{_e(tip)}</title></rect>')
    o = report.overall
    for name, value, label_y in (("p50", o.latency_p50_ms, 16), ("p95", o.latency_p95_ms, 30)):
        if value is None:
            continue
        end = x(value) > left + plot_w * 0.8
        anchor = ' text-anchor="end"' if end else ""
        parts.append(f'<line class="mark {name}" data-ms="{value!r}" x1="{x(value):.2f}" x2="{x(value):.2f}" '
                     f'y1="{top - 6}" y2="{top + plot_h}" stroke="#c62828" stroke-width="2" stroke-dasharray="4 3"/>'
                     f'<text x="{x(value) + (-4 if end else 4):.2f}" y="{label_y}" fill="#c62828"{anchor}>'
                     f"{name} {_e(_ms(value))}</text>")
    width, height = left + plot_w + 20, top + plot_h + bottom
    return (f'<svg id="latency" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="latency distribution">{"".join(parts)}</svg>')


# -- the tables -------------------------------------------------------------------------------

def _table(table_id: str, names: Sequence[str], rows: Sequence[tuple[str, Sequence[object]]],
           verdict_col: int | None = None, num_cols: Sequence[int] = (), text_cols: Sequence[int] = (),
           nowrap_cols: Sequence[int] = (), widths: Sequence[int] = ()) -> str:
    """A table of escaped cells; each row is (its ``data-id``, its cells). With ``widths`` (per
    cent, one per column) the layout is fixed: a long id wraps in its column, not the page."""
    head = "".join(f"<th>{_e(c)}</th>" for c in names)
    body = []
    for rid, cells in rows:
        tds = []
        for k, v in enumerate(cells):
            cls = (f"v-{v}" if k == verdict_col and v else "num" if k in num_cols else "text" if k in text_cols
                   else "nw" if k in nowrap_cols else "")
            shown = "" if v is None else _WORDS.get(str(v), v) if k == verdict_col else v
            tds.append(f'<td class="{_e(cls)}">{_e(shown)}</td>' if cls else f"<td>{_e(shown)}</td>")
        body.append(f'<tr data-id="{_e(rid)}">{"".join(tds)}</tr>')
    fixed = ' class="fixed"' if widths else ""
    cols = "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in widths) + "</colgroup>" if widths else ""
    return (f'<table id="{_e(table_id)}"{fixed}>{cols}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _cell_cols(c: Cell) -> list[object]:
    return [c.n, c.passed, _rate(c), _ms(c.latency_p95_ms), _usd(c.cost_per_1k_usd)]


_CELL_NAMES = ["n", "passed", "pass rate (95% CI)", "p95 latency", "cost/1k"]


def _failures(table_id: str, failures: list[Failure], failed: int) -> str:
    if not failures:
        return "<p>No failures.</p>"
    more = f"<p>The first {len(failures)} of {failed:,} failures.</p>" if failed > len(failures) else ""
    rows = [(f.id, [f.id, f.tier, f.polarity, f.output, f.expected, f.error or f.scored_by or ""]) for f in failures]
    return more + _table(table_id, ["id", "tier", "polarity", "output", "expected", "error / scored by"], rows,
                         text_cols=(3, 4, 5), widths=(12, 9, 8, 29, 24, 18))


def _scenario_table(report: RunReport) -> str:
    rows = [(s.id, [s.id, s.priority + (" (blocking)" if s.blocking else ""), *_cell_cols(s)[:3],
                    f"{_pct(s.negatives.pass_rate)} of {s.negatives.n:,}" if s.negatives.n else "", *_cell_cols(s)[3:],
                    bar_text(s.bar), s.verdict, "; ".join(s.reasons)]) for s in ordered(report)]
    if report.untagged.n:
        rows.append(("", ["(no scenario)", "", *_cell_cols(report.untagged)[:3], "", *_cell_cols(report.untagged)[3:],
                          "", None, "counted examples tagged with no scenario"]))
    names = ["scenario", "priority", "n", "passed", "pass rate (95% CI)", "negatives", "p95 latency", "cost/1k",
             "bar", "verdict", "reasons"]
    return _table("scenarios", names, rows, verdict_col=9, num_cols=(2, 3, 6, 7),
                  widths=(14, 10, 4, 6, 16, 8, 7, 6, 10, 7, 12))


def _scenario_details(report: RunReport) -> str:
    out = []
    rank = {t.id: k for k, t in enumerate(report.tiers)}
    for i, s in enumerate(ordered(report)):
        by_tier = sorted(s.tiers.items(), key=lambda tc: (rank.get(tc[0], len(rank)), tc[0]))
        tiers = _table(f"scenario-tiers-{i}", ["tier", *_CELL_NAMES], [(t, [t, *_cell_cols(c)]) for t, c in by_tier],
                       num_cols=(1, 2, 4, 5), nowrap_cols=(3,)) if s.tiers else ""
        opened = " open" if s.verdict == "fail" else ""
        out.append(f'<details class="scenario" data-scenario="{_e(s.id)}"{opened}><summary><b>{_e(s.id)}</b> '
                   f'({_e(s.priority)}): <span class="v-{_e(s.verdict or "")}">{_e(_word(s.verdict) or "no verdict")}</span>, '
                   f"{s.failed:,} failure(s)</summary>{tiers}"
                   f"{_failures(f'scenario-failures-{i}', s.failures, s.failed)}</details>")
    return "".join(out) or "<p>No scenarios in the spec.</p>"


# -- the page ---------------------------------------------------------------------------------

def _headline(report: RunReport) -> str:
    v = report.verdict
    reasons = "".join(f"<li>{_e(r)}</li>" for r in report.reasons)
    return (f'<header id="verdict" class="{_e(v)}" data-verdict="{_e(v)}"><h1>Launch verdict: {_e(_word(v))}</h1>'
            f"<div>Run <code>{_e(report.run.name)}</code> of dataset <code>{_e(report.dataset)}</code></div>"
            f'{f"<ul id=reasons>{reasons}</ul>" if reasons else ""}</header>')


def _run_info(report: RunReport) -> str:
    r = report.run
    params = ", ".join(f"{k}={v}" for k, v in sorted(r.params.items()))
    data = f"{r.data[:12]}" if r.data else "unknown"
    version = r.version or (f"local work on {r.base}" if r.base else "local work (no snapshot)")
    items = [
        ("model", r.model or "(not given)"), ("params", params or "(none)"), ("added by", r.added_by),
        ("added at", _when(r.added_at)), ("source file", r.source),
        ("evaluated on", f"data {data}, version {version}, commit {(r.commit or 'none')[:12]}"),
        ("examples", f"{r.counted:,} counted, {r.answered:,} answered, {r.passed:,} passed"
                     + (f"; {r.skipped_unknown:,} unknown row(s) skipped" if r.skipped_unknown else "")),
        ("scored by", ", ".join(f"{k}: {n:,}" for k, n in sorted(r.scored_by.items())) or "(nothing)"),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return f'<dl id="run" data-data="{_e(r.data or "")}" data-model="{_e(r.model or "")}">{dl}</dl>'


def _notes(report: RunReport) -> str:
    notes = []
    if report.run.partial:
        notes.append(("partial", f"Partial run: the {report.run.counted - report.run.answered:,} counted example(s) "
                                 "without an output are left out, not counted as failures."))
    if report.staleness is not None:
        kind = "stale" if report.staleness.stale else "fresh"
        notes.append((kind, report.staleness.summary()))
    elif report.staleness_error is not None:
        notes.append(("stale-unknown", f"Could not check whether the data changed since the run: {report.staleness_error}"))
    return "".join(f'<p class="note{" ok" if kind == "fresh" else ""}" id="{kind}">{_e(text)}</p>' for kind, text in notes)


def _overall(report: RunReport) -> str:
    o = report.overall
    text = (f"{o.n:,} counted examples, {o.passed:,} passed: {_rate(o) or 'no pass rate'}; "
            f"latency p50 {_ms(o.latency_p50_ms) or 'n/a'}, p95 {_ms(o.latency_p95_ms) or 'n/a'}; "
            f"cost per 1k examples {_usd(o.cost_per_1k_usd) or 'n/a'}")
    if o.no_output or o.errors:
        text += f"; {o.no_output:,} without output, {o.errors:,} with an error"
    return f'<p id="overall">{_e(text)}</p>'


def run_report_page(report: RunReport) -> str:
    """The report as one self-contained HTML page (no script, no network)."""
    legend = "".join(f'<span><i class="sw" style="background:{c}"></i>{_e(_WORDS[v])}</span>' for v, c in COLOR.items())
    tiers = _table("tiers", ["tier", *_CELL_NAMES, "failed", "bar", "verdict", "reasons"],
                   [(t.id, [t.id, *_cell_cols(t), t.failed, bar_text(t.bar) or "no bar", t.verdict, "; ".join(t.reasons)])
                    for t in report.tiers], verdict_col=8, num_cols=(1, 2, 4, 5, 6),
                   widths=(13, 5, 6, 15, 8, 7, 6, 12, 9, 19))
    groups = {name: _table(name, [first, *_CELL_NAMES], [(g.id, [g.id, *_cell_cols(g)]) for g in rows],
                           num_cols=(1, 2, 4, 5), nowrap_cols=(3,))
              for name, first, rows in (("edge-cases", "edge case", report.edge_cases),
                                        ("polarity", "polarity", report.polarity))}
    title = f"Run {report.run.name} of {report.dataset}: {_word(report.verdict)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head><body>
{_headline(report)}
{_run_info(report)}
{_notes(report)}
{_overall(report)}
<h2>Pass rate per scenario</h2>
<p class="legend">{legend}<span>line = 95% Wilson interval; dark tick = the bar's min pass rate</span></p>
{_forest_svg(report)}
<h2>Latency</h2>
{_latency_svg(report)}
<h2>Scenarios</h2>
{_scenario_table(report)}
<h2>Tiers</h2>
{tiers}
<h2>Edge cases</h2>
{groups["edge-cases"] if report.edge_cases else "<p>No counted example has an edge case.</p>"}
<h2>Polarity</h2>
{groups["polarity"]}
<h2>Failures per scenario</h2>
{_scenario_details(report)}
<h2>Failures</h2>
{_failures("failures", report.failures, report.overall.failed)}
<footer><p><small>Pass rates with 95% Wilson intervals; verdicts against the spec's launch bar as it is now.
Made by goldset run report.</small></p></footer>
</body></html>
"""
