"""Runs: the run list (RunInfo rows), a run report (RunReport; HTML is the library's page,
``goldset.runs.run_report_page``), a comparison (Comparison), the launch verdict
(LaunchReport), the launch bar (EffectiveBar rows, BarResult)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import as_json, jsonable, markdown_table, rich_table, rich_to_text

if TYPE_CHECKING:
    from goldset.curation import BarResult, EffectiveBar
    from goldset.runs import Cell, Comparison, RunInfo, RunReport
    from goldset.validation import LaunchReport

_VERDICT = {"pass": "pass", "fail": "FAIL", "insufficient": "not enough evidence", None: "-"}


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _rate(c: Cell) -> str:
    if c.pass_rate is None:
        return "-"
    return f"{c.pass_rate:.1%} [{_pct(c.ci_low)}, {_pct(c.ci_high)}]"


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _usd(x: float | None) -> str:
    return "-" if x is None else f"${x:,.2f}"


def _out(columns: Sequence[str], rows: list[list[Any]], fmt: str, color: bool, title: str | None = None) -> str:
    if fmt == "markdown":
        return (f"**{title}**\n\n" if title else "") + markdown_table(columns, rows)
    return rich_to_text([rich_table(columns, rows, title=title)], color)


# -- run list ---------------------------------------------------------------------------------
def _info_rows(infos: Sequence[RunInfo]) -> list[list[Any]]:
    return [[i.name, i.model or "", i.added_by, i.added_at.strftime("%Y-%m-%d %H:%M"), f"{i.counted:,}",
             _pct(i.passed / i.counted if i.counted else None), (i.version or i.base or "")[:12],
             "partial" if i.partial else ""] for i in infos]


_INFO_COLUMNS = ["run", "model", "added by", "added", "counted", "passed", "data version", ""]


def render_infos(infos: Sequence[RunInfo], fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        import json

        return json.dumps(jsonable(list(infos)), indent=2, ensure_ascii=False) + "\n"
    if not infos:
        return "no runs yet; add one with 'goldset run add FILE --name NAME'\n"
    return _out(_INFO_COLUMNS, _info_rows(infos), fmt, color)


def render_info(info: RunInfo, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return as_json(info)
    params = ", ".join(f"{k}={v}" for k, v in info.params.items())
    rows = [["run", info.name], ["model", info.model or ""], ["params", params], ["source", info.source],
            ["added", f"{info.added_at:%Y-%m-%d %H:%M:%S} by {info.added_by}"],
            ["data", f"{info.data or ''} (version {info.version or 'local work on ' + (info.base or 'none')})"],
            ["commit", info.commit or ""], ["rows", f"{info.rows:,}"],
            ["counted", f"{info.counted:,} ({info.answered:,} answered, {info.passed:,} passed)"],
            ["scored by", ", ".join(f"{k}: {v:,}" for k, v in info.scored_by.items())]]
    if info.skipped_unknown:
        rows.append(["skipped", f"{info.skipped_unknown:,} unknown id(s)"])
    if info.partial:
        rows.append(["partial", "yes: counted examples without an output are left out"])
    return _out(["", ""], rows, fmt, color)


def added_line(info: RunInfo) -> str:
    rate = f" ({info.passed / info.counted:.1%})" if info.counted else ""
    extra = "".join(f"; {t}" for t in (
        f"{info.skipped_unknown:,} unknown id(s) skipped" if info.skipped_unknown else "",
        f"partial: {info.counted - info.answered:,} counted example(s) without output left out" if info.partial else
        f"{info.counted - info.answered:,} counted example(s) without output count as failures" if info.counted > info.answered else "",
    ) if t)
    version = info.version or (f"local work on {info.base[:12]}" if info.base else "unversioned data")
    return (f"run {info.name}: {info.passed:,} of {info.counted:,} counted examples passed{rate}, "
            f"evaluated on {version}{extra}; see 'goldset run report {info.name}'")


# -- report -----------------------------------------------------------------------------------
def headline(report: RunReport) -> str:
    v = _VERDICT[report.verdict]
    o = report.overall
    return f"run {report.run.name}: launch bar {v} ({o.passed:,}/{o.n:,} passed, {_pct(o.pass_rate)})"


def render_report(report: RunReport, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return as_json(report)
    if fmt == "html":
        from goldset.runs import run_report_page

        return run_report_page(report)
    md = fmt == "markdown"
    parts = [f"## {headline(report)}\n" if md else headline(report) + "\n"]
    for reason in report.reasons:
        parts.append(f"- {reason}\n" if md else f"  - {reason}\n")
    if report.staleness is not None and (report.staleness.stale or report.staleness.data_then != report.staleness.data_now):
        parts.append(f"\nnote: {report.staleness.summary()}\n")
    if report.staleness_error:
        parts.append(f"\nnote: not compared with the current data: {report.staleness_error}\n")
    order = {t.id: i for i, t in enumerate(report.tiers)}

    def by_tier(s: Any) -> str:  # the scenario x tier cells: passed/n per tier, strictest first
        cells = sorted(s.tiers.items(), key=lambda tc: order.get(tc[0], len(order)))
        return ", ".join(f"{t} {c.passed:,}/{c.n:,}" for t, c in cells)

    rows = [[s.id, s.priority + (" (blocking)" if s.blocking else ""), f"{s.n:,}", f"{s.failed:,}", _rate(s),
             by_tier(s), _pct(s.negatives.pass_rate), _ms(s.latency_p95_ms), _usd(s.cost_per_1k_usd),
             _VERDICT[s.verdict], "; ".join(s.reasons)]
            for s in sorted(report.scenarios, key=lambda s: (not s.blocking, s.verdict == "pass", s.priority, s.id))]
    parts.append("\n" + _out(["scenario", "priority", "n", "failed", "pass rate [95% CI]", "passed by tier", "negatives",
                              "p95 ms", "per 1k", "verdict", "why"], rows, fmt, color, "Scenarios"))
    trows = [[t.id, f"{t.n:,}", f"{t.failed:,}", _rate(t), _ms(t.latency_p95_ms), _VERDICT[t.verdict], "; ".join(t.reasons)]
             for t in report.tiers]
    parts.append("\n" + _out(["tier", "n", "failed", "pass rate [95% CI]", "p95 ms", "verdict", "why"], trows, fmt, color, "Tiers"))
    groups = [["polarity", g.id, f"{g.n:,}", _rate(g)] for g in report.polarity]
    groups += [["edge case", g.id, f"{g.n:,}", _rate(g)] for g in report.edge_cases]
    if report.untagged.n:
        groups.append(["scenario", "(no scenario)", f"{report.untagged.n:,}", _rate(report.untagged)])
    parts.append("\n" + _out(["by", "group", "n", "pass rate [95% CI]"], groups, fmt, color, "Groups"))
    o = report.overall
    parts.append(f"\nlatency p50 {_ms(o.latency_p50_ms)} ms, p95 {_ms(o.latency_p95_ms)} ms ({o.latency_n:,} timed); "
                 f"cost {_usd(o.cost_usd)} ({_usd(o.cost_per_1k_usd)} per 1k examples)\n")
    if report.failures:
        frows = [[f.id, f.tier, f.polarity, f.output if f.output is not None else "(no output)", f.expected or "", f.error or ""]
                 for f in report.failures]
        parts.append("\n" + _out(["id", "tier", "polarity", "output", "expected", "error"], frows, fmt, color,
                                 f"Failures (first {len(frows)} of {o.failed:,})"))
    return "".join(parts)


# -- compare ----------------------------------------------------------------------------------
def compare_line(c: Comparison) -> str:
    o = c.overall
    reg = f"{len(c.regressions)} significant regression(s)" if c.regressions else "no significant regression"
    return (f"{c.b.name} vs {c.a.name}: {_pct(o.a_rate)} -> {_pct(o.b_rate)} on {c.paired:,} paired examples "
            f"({o.fixed:,} fixed, {o.broken:,} broken, McNemar p = {o.p_value:.3g}); {reg}")


def render_compare(c: Comparison, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return as_json(c)
    md = fmt == "markdown"
    parts = [f"## {compare_line(c)}\n\n" if md else compare_line(c) + "\n"]
    extra = [f"{n:,} {what}" for n, what in ((c.only_a, f"only in {c.a.name}"), (c.only_b, f"only in {c.b.name}"),
                                              (c.changed, "changed between the runs' data (left out)")) if n]
    if extra:
        parts.append(f"not paired: {', '.join(extra)}\n")
    parts.append(f"method: {c.method}\n")

    def sign(d: Any) -> str:
        return "REGRESSION" if d.regression else "improved" if d.improvement else ""

    rows = [[d.id, d.priority or "", f"{d.n:,}", _pct(d.a_rate), _pct(d.b_rate),
             "-" if d.delta is None else f"{d.delta:+.1%} [{d.ci_low:+.1%}, {d.ci_high:+.1%}]" if d.ci_low is not None and d.ci_high is not None else f"{d.delta:+.1%}",
             f"{d.fixed:,}", f"{d.broken:,}", f"{d.p_value:.3g}", f"{d.p_adjusted:.3g}", sign(d)]
            for d in sorted(c.scenarios, key=lambda d: (not d.regression, not d.improvement, d.priority or "", d.id))]
    parts.append("\n" + _out(["scenario", "priority", "n", c.a.name, c.b.name, "delta [95% CI]", "fixed", "broken",
                              "p", "p (Holm)", ""], rows, fmt, color))
    return "".join(parts)


# -- launch -----------------------------------------------------------------------------------
def launch_line(r: LaunchReport) -> str:
    def ok(b: bool) -> str:
        return "passed" if b else "FAILED"

    return (f"launch {'GO' if r.passed else 'NO-GO'} for run {r.run}: validation {ok(r.validation_passed)}, "
            f"coverage gate {ok(r.coverage_gate_passed)}, launch bar {_VERDICT[r.run_verdict]}"
            + (" (stale run accepted)" if r.allowed_stale else ""))


def render_launch(r: LaunchReport, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return as_json(r)
    md = fmt == "markdown"
    parts = [f"## {launch_line(r)}\n\n" if md else launch_line(r) + "\n"]
    parts += [f"- {f}\n" if md else f"  - {f}\n" for f in r.failures]
    parts.append("\n" + render_report(r.report, fmt, color=color))
    return "".join(parts)


# -- the bar ----------------------------------------------------------------------------------
def render_bars(bars: Sequence[EffectiveBar], fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        import json

        return json.dumps(jsonable(list(bars)), indent=2, ensure_ascii=False) + "\n"
    rows = []
    for b in bars:
        bar = b.bar
        if bar is None:
            rows.append([b.kind, b.id, b.priority or "", "", "-", "-", "-", "-", "-", "-"])
            continue
        rows.append([b.kind, b.id, b.priority or "", "yes" if b.blocking else "", _pct(bar.min_pass_rate),
                     "-" if bar.max_failures is None else str(bar.max_failures), _pct(bar.min_negative_pass_rate),
                     _ms(bar.max_p95_latency_ms), _usd(bar.max_cost_per_1k_usd),
                     "-" if bar.min_examples_for_verdict is None else str(bar.min_examples_for_verdict)])
    return _out(["", "id", "priority", "blocks launch", "min pass", "max failures", "min neg. pass", "max p95 ms",
                 "max per 1k", "min n"], rows, fmt, color)


def bar_summary(r: BarResult) -> str:
    where = "defaults" if r.key is None else f"{r.level} {r.key}"
    done = [f"{k}={v}" for k, v in r.set.items()] + [f"{k} removed" for k in r.removed]
    return f"launch bar of {where} in {r.dataset}: {', '.join(done) or 'unchanged'}"


def render_bar_result(r: BarResult, fmt: str, **_: Any) -> str:
    return as_json(r) if fmt == "json" else bar_summary(r) + "\n"


KINDS = {
    "RunInfo": Kind(lambda r, fmt, **kw: render_infos(r, fmt, **kw) if isinstance(r, list) else render_info(r, fmt, **kw),
                    lambda r: f"{len(r)} run(s)" if isinstance(r, list) else f"run {r.name}"),
    "RunAdded": Kind(lambda r, fmt, **kw: as_json(r) if fmt == "json" else added_line(r) + "\n", added_line, message=True),
    "RunReport": Kind(render_report, headline),
    "Comparison": Kind(render_compare, compare_line),
    "LaunchReport": Kind(render_launch, launch_line),
    "EffectiveBar": Kind(render_bars, lambda r: f"{len(r)} bar(s)"),
    "BarResult": Kind(render_bar_result, bar_summary, message=True),
}
