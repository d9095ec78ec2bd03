"""Renderers of a :class:`~goldset.coverage.CoverageReport`: rich table, Markdown, HTML.

JSON is the model itself (``render_model``). The HTML page is one self-contained file made by
the library (:data:`goldset.coverage.page`, since a snapshot commits it as
``reports/coverage.html``): the gate verdict on top, a bar of count vs requirement per scenario,
the scenario x edge-case heatmap, then every scenario with its reasons, and what the report
describes (dataset, data digest, spec hash) in its footer, as in the Markdown one.
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
from goldset.coverage import CoverageReport, page

_RICH_COLOR = {"ok": "green", "gap": "yellow", "missing": "red"}
#: The shared layout pieces (also imported from here by the check renderer and tests).
ordered = page.ordered
gate_line = page.gate_line
headline = page.headline
html = page.html
_columns = page.columns
_row = page.row
_summary_rows = page.summary_rows
_pct = page.pct


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
    parts.append(f"<sub>as of {report.generated_at:%Y-%m-%d %H:%M} UTC (fresh = reviewed within "
                 f"{report.max_review_age_days} days); {escape(page.subject_line(report))}; by goldset coverage</sub>\n")
    return "\n".join(parts)


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{escape(summary)}</summary>\n\n{body}\n</details>\n"


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
