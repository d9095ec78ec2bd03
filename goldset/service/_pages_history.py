"""History pages: the versions with the gate of each, a diff between two of them (or one and
the working store), and the audit log with its filters."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from goldset.errors import BadInput, GoldsetError
from goldset.service._deps import Ws, protected_router
from goldset.service._pages_common import dataset_ctx, page

#: ``b`` of a diff: the working store (what is not snapshotted yet).
WORKING = "working"
#: Audit lines a page shows at most.
MAX_AUDIT = 5000


def router() -> APIRouter:
    r = protected_router()

    @r.get("/d/{dataset}/versions", response_class=HTMLResponse, include_in_schema=False)
    def versions(request: Request, ws: Ws, dataset: str) -> HTMLResponse:
        from goldset.history import version_log

        ctx = dataset_ctx(request, ws, dataset)
        try:
            log = version_log(ws, ctx.name)
        except GoldsetError as exc:  # no history yet: say so on the page
            return page(request, ctx, "versions.html", {"log": None, "error": str(exc)})
        return page(request, ctx, "versions.html", {"log": log, "error": None, "working": WORKING})

    @r.get("/d/{dataset}/diff", response_class=HTMLResponse, include_in_schema=False)
    def diff_view(request: Request, ws: Ws, dataset: str, a: str = "", b: str = WORKING) -> HTMLResponse:
        """Only versions the log lists (their commits or tags) may be compared: a revision is
        never a free-form string handed to git."""
        from goldset.history import diff, version_log

        ctx = dataset_ctx(request, ws, dataset)
        log = version_log(ws, ctx.name, rows=False)
        known = {v.commit for v in log.versions} | {t for v in log.versions for t in v.tags}
        if not log.versions:
            raise BadInput("no versions yet: take a snapshot first")
        a = a or log.versions[0].commit
        for name, rev in (("a", a), ("b", b)):
            if rev not in known and not (name == "b" and rev == WORKING):
                raise BadInput(f"{name}: {rev[:60]!r} is not a version of {ctx.name} (pick one from the versions page)")
        report = diff(ws, ctx.name, a, None if b == WORKING else b, sample=10)
        return page(request, ctx, "diff.html", {"report": report, "log": log, "a": a, "b": b, "working": WORKING})

    @r.get("/d/{dataset}/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_log(request: Request, ws: Ws, dataset: str, since: str = "", user: str = "", op: str = "",
                  denied: bool = False, limit: int = 200) -> HTMLResponse:
        from goldset.access import audit

        ctx = dataset_ctx(request, ws, dataset)
        if not 1 <= limit <= MAX_AUDIT:
            raise BadInput(f"limit: give a number between 1 and {MAX_AUDIT}")
        when = audit.parse_since(since) if since.strip() else None
        entries = audit.filtered(ctx.ds.audit_path, since=when, user=user.strip() or None, op=op.strip() or None,
                                 denied_only=denied, limit=limit)
        users = sorted({e.user for e in audit.read(ctx.ds.audit_path)})
        return page(request, ctx, "audit.html", {
            "entries": list(reversed(entries)), "since": since, "who": user, "op": op, "denied": denied,
            "limit": limit, "users": users,
        })

    return r
