"""Coverage pages: the datasets, one dataset's dashboard (verdicts, the gate, traffic), and a
scenario's page (requirements, what is missing in words, its examples)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from goldset.errors import BadInput, GoldsetError
from goldset.service import _cache as cache
from goldset.service._deps import Ws, protected_router
from goldset.service._pages_common import PAGE_ROWS, Ctx, dataset_ctx, page, plural, render
from goldset.vocab import PRIORITIES

if TYPE_CHECKING:
    from goldset.coverage import CoverageReport, ScenarioCoverage, Traffic

#: The largest traffic text accepted from the form.
MAX_TRAFFIC_CHARS = 1_000_000
_VERDICT_RANK = {"missing": 0, "gap": 1, "ok": 2}


def _more(n: int, word: str) -> str:
    return f"{n:,} more {word}" + ("" if n == 1 else "s")


def missing_words(s: ScenarioCoverage) -> list[str]:
    """What the scenario lacks, one phrase per unmet requirement: ``4 more negatives``,
    ``1 typo example``. Counts are of counted examples (the spec's count_status)."""
    req = s.requirements
    out: list[str] = []
    if req.min_examples is not None and s.counted < req.min_examples:
        out.append(_more(req.min_examples - s.counted, "example"))
    if req.min_negatives is not None and s.negatives < req.min_negatives:
        out.append(_more(req.min_negatives - s.negatives, "negative"))
    if req.min_edge_case_examples is not None and s.edge_case_examples < req.min_edge_case_examples:
        out.append(_more(req.min_edge_case_examples - s.edge_case_examples, "edge-case example"))
    out += [f"1 {e} example" for e in s.required_edge_cases_missing]
    for tier, need in req.min_per_tier.items():
        have = s.per_tier.get(tier, 0)
        if have < need:
            out.append(_more(need - have, f"{tier}-tier example"))
    if req.min_fresh_share is not None and (s.fresh_share or 0.0) < req.min_fresh_share:
        if s.counted:
            more = max(1, math.ceil(req.min_fresh_share * s.counted - 1e-9) - s.fresh)
            out.append(f"{plural(more, 'example')} re-approved (fresh: {s.fresh_share or 0:.0%}, "
                       f"need {req.min_fresh_share:.0%})")
        else:
            out.append(f"fresh examples (need {req.min_fresh_share:.0%} reviewed recently)")
    return out


def needs_sentence(s: ScenarioCoverage) -> str:
    words = missing_words(s)
    if not words:
        return "Meets its bar."
    return "Needs " + ", ".join(words) + "."


@dataclass
class Bar:
    s: ScenarioCoverage
    #: Width of the counted bar and position of the requirement tick, in % of the common scale.
    width: float
    tick: float | None
    needs: str


def bars(report: CoverageReport) -> list[Bar]:
    """Every scenario's bar on one scale: the largest of any count or requirement."""
    scale = max([1] + [max(s.counted, s.requirements.min_examples or 0) for s in report.scenarios])
    return [Bar(s=s, width=100 * s.counted / scale,
                tick=None if s.requirements.min_examples is None else 100 * s.requirements.min_examples / scale,
                needs=needs_sentence(s))
            for s in report.scenarios]


def grouped(report: CoverageReport) -> list[tuple[str, bool, list[Bar]]]:
    """(priority, blocks the launch, its bars: missing, then gap, then ok; spec order within)."""
    order = {s.id: i for i, s in enumerate(report.scenarios)}
    all_bars = bars(report)
    out = []
    for p in PRIORITIES:
        mine = sorted((b for b in all_bars if b.s.priority == p),
                      key=lambda b: (_VERDICT_RANK[b.s.verdict], order[b.s.id]))
        if mine:
            out.append((p, p in report.gate.blocking_priorities, mine))
    return out


def verdict_chips(report: CoverageReport) -> list[Bar]:
    """The scenarios as the compact strip shows them: by priority, worst first."""
    return [b for _, _, group in grouped(report) for b in group]


def coverage_of(ctx: Ctx, traffic: Traffic | None = None) -> CoverageReport:
    if traffic is None:
        return cache.coverage(ctx.ds)  # shared while the data and spec stay the same
    from goldset.coverage import compute_coverage

    return compute_coverage(ctx.ds, traffic=traffic)


def _dashboard(request: Request, ctx: Ctx, traffic: Traffic | None = None, traffic_text: str = "",
               traffic_fmt: str = "csv", traffic_error: str | None = None, status: int = 200) -> HTMLResponse:
    from goldset.coverage import page as cov_page

    report = coverage_of(ctx, traffic)
    return page(request, ctx, "coverage.html", {
        "report": report, "groups": grouped(report), "gate_line": cov_page.gate_line(report),
        "headline": cov_page.headline(report), "traffic_text": traffic_text, "traffic_fmt": traffic_fmt,
        "traffic_error": traffic_error,
    }, status=status)


def router() -> APIRouter:
    r = protected_router()

    @r.get("/", response_class=HTMLResponse, include_in_schema=False)
    def datasets(request: Request, ws: Ws) -> HTMLResponse:
        rows = []
        for name, d in ws.spec.datasets.items():
            row: dict[str, object] = {"name": name, "description": d.description}
            try:
                ds = ws.dataset(name)
                report = cache.coverage(ds)
                row.update(rows=report.rows, gate=report.gate, role=d.roles.get(ws.user))
            except GoldsetError as exc:  # one dataset's problem does not hide the others
                row["problem"] = str(exc)
            rows.append(row)
        return render(request, "datasets.html", {"datasets": rows})

    @r.get("/d/{dataset}", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, ws: Ws, dataset: str) -> HTMLResponse:
        return _dashboard(request, dataset_ctx(request, ws, dataset))

    @r.post("/d/{dataset}/traffic", response_class=HTMLResponse, include_in_schema=False)
    def with_traffic(request: Request, ws: Ws, dataset: str, traffic: str = Form(""),
                     fmt: Literal["csv", "json"] = Form("csv")) -> HTMLResponse:
        """The dashboard compared with production traffic pasted into the form (reads only)."""
        from goldset.coverage import parse_traffic

        ctx = dataset_ctx(request, ws, dataset)
        try:
            if len(traffic) > MAX_TRAFFIC_CHARS:
                raise BadInput(f"traffic: {len(traffic):,} characters; paste at most {MAX_TRAFFIC_CHARS:,}")
            parsed = parse_traffic(traffic, "traffic", fmt)
        except BadInput as exc:
            return _dashboard(request, ctx, traffic_text=traffic, traffic_fmt=fmt, traffic_error=str(exc),
                              status=exc.http_status)
        return _dashboard(request, ctx, parsed, traffic_text=traffic, traffic_fmt=fmt)

    @r.get("/d/{dataset}/s/{scenario:path}", response_class=HTMLResponse, include_in_schema=False)
    def scenario(request: Request, ws: Ws, dataset: str, scenario: str) -> HTMLResponse:
        from goldset.query import Filters, page_examples
        from goldset.vocab import require_known

        ctx = dataset_ctx(request, ws, dataset)
        require_known("scenario", [scenario], ctx.ds.spec.scenarios)  # BadInput: 400
        report = coverage_of(ctx)
        s = report.scenario(scenario)
        examples = page_examples(ctx.ds, Filters(scenarios=[scenario]), limit=PAGE_ROWS)
        drafts = page_examples(ctx.ds, Filters(scenarios=[scenario], statuses=["draft"]), limit=1,
                               columns=["id"]).total
        spec_sc = ctx.ds.spec.scenarios[scenario]
        return page(request, ctx, "scenario.html", {
            "s": s, "sc": spec_sc, "words": missing_words(s), "needs": needs_sentence(s), "examples": examples,
            "drafts": drafts, "count_status": report.count_status,
            "blocking": s.priority in report.gate.blocking_priorities,
        })

    return r
