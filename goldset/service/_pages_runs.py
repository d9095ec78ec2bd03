"""Run pages: the runs of a dataset with their launch-bar verdicts, one run with its launch
verdict (validation, the coverage gate and the launch bar, on the data as it is now), its
scenarios' pass rates with their 95% intervals and its failures, two runs compared, and the
run's self-contained report page (:func:`goldset.runs.run_report_page`), served under a CSP
of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from goldset.errors import GoldsetError, StaleRun
from goldset.service import _cache as cache
from goldset.service._deps import Ws, protected_router
from goldset.service._pages_common import dataset_ctx, page

if TYPE_CHECKING:
    from goldset.runs import RunInfo, RunReport
    from goldset.workspace import Dataset

#: Runs (the newest) whose report the Runs page computes; older ones show their record only.
MAX_REPORTED = 30
#: The self-contained report page: its own styles inline, no script, nothing fetched.
REPORT_PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                   "frame-ancestors 'none'; form-action 'none'; base-uri 'none'")


@dataclass
class RunRow:
    info: RunInfo
    #: The launch-bar report (None past MAX_REPORTED, or when it failed: ``problem``).
    report: RunReport | None = None
    problem: str | None = None
    #: The store holds other data than the run was evaluated on (examples may have changed).
    data_changed: bool = False


def _rows(ds: Dataset, infos: list[RunInfo], data_now: str | None) -> list[RunRow]:
    rows = []
    for i, info in enumerate(reversed(infos)):  # newest first
        row = RunRow(info=info, data_changed=info.data != data_now)
        if i < MAX_REPORTED:
            try:  # staleness is for the run's own page: here, whether the data moved at all
                row.report = cache.run_report(ds, info.name)
            except GoldsetError as exc:  # one run's problem does not hide the others
                row.problem = str(exc)
        rows.append(row)
    return rows


def router() -> APIRouter:
    r = protected_router()

    @r.get("/d/{dataset}/runs", response_class=HTMLResponse, include_in_schema=False)
    def runs(request: Request, ws: Ws, dataset: str) -> HTMLResponse:
        from goldset.runs import list_runs

        ctx = dataset_ctx(request, ws, dataset)
        infos = list_runs(ctx.ds)
        data_now = ctx.ds.manifest().digest
        return page(request, ctx, "runs.html", {
            "rows": _rows(ctx.ds, infos, data_now), "total": len(infos), "max_reported": MAX_REPORTED,
            "gate": cache.coverage(ctx.ds).gate, "names": sorted(i.name for i in infos),
        })

    @r.get("/d/{dataset}/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare(request: Request, ws: Ws, dataset: str, a: str = "", b: str = "") -> HTMLResponse:
        from goldset.runs import compare_runs, list_runs

        ctx = dataset_ctx(request, ws, dataset)
        infos = list_runs(ctx.ds)
        names = [i.name for i in reversed(infos)]
        comparison, error, status = None, None, 200
        if a and b:
            try:
                comparison = compare_runs(ctx.ds, a, b)
            except GoldsetError as exc:  # a wrong pick: say so beside the form
                error, status = str(exc), exc.http_status
        elif names:  # the newest against the one before, preselected
            b = b or names[0]
            a = a or (names[1] if len(names) > 1 else "")
        return page(request, ctx, "run_compare.html", {"names": names, "a": a, "b": b, "c": comparison,
                                                       "error": error}, status=status)

    @r.get("/d/{dataset}/runs/{name}", response_class=HTMLResponse, include_in_schema=False)
    def run(request: Request, ws: Ws, dataset: str, name: str) -> HTMLResponse:
        from goldset.runs import find_run, run_report
        from goldset.validation import launch

        ctx = dataset_ctx(request, ws, dataset)
        find_run(ctx.ds, name)  # a malformed name: 400; an unknown run: 404
        verdict, launch_error = None, None
        try:
            # Stale or not, the page shows the verdict, and the staleness above it.
            verdict = launch(ctx.ds, name, allow_stale=True)
            report = verdict.report
        except StaleRun as exc:  # the store cannot be compared with the run here
            launch_error = str(exc)
            report = run_report(ctx.ds, name)
        return page(request, ctx, "run.html", {"report": report, "verdict": verdict, "launch_error": launch_error})

    @r.get("/d/{dataset}/runs/{name}/report.html", include_in_schema=False)
    def report_page(request: Request, ws: Ws, dataset: str, name: str, download: bool = False) -> HTMLResponse:
        """The run's self-contained report page (one HTML file, no script), under a CSP that
        allows its inline styles and nothing else."""
        from goldset.runs import run_report, run_report_page

        ctx = dataset_ctx(request, ws, dataset)
        body = run_report_page(run_report(ctx.ds, name))
        headers = {"Content-Security-Policy": REPORT_PAGE_CSP}
        if download:
            filename = f"{ctx.name}-{name}.html"
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
        return HTMLResponse(body, headers=headers)

    return r
