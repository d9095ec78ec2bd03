"""What every page shares: the Jinja2 environment (autoescaped), rendering, links, and the
dataset context of a request (the user's role and which actions to offer).

An action is offered only when the role matrix of the spec admits it for the user
(:func:`goldset.access.roles.may`) and the server is not read-only; the library refuses it
anyway (PermissionDenied, audited), so hiding a control is a courtesy, never the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from goldset.access import roles as roles_mod
from goldset.errors import BadInput

if TYPE_CHECKING:
    from goldset.workspace import Dataset, Workspace

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
#: Rows per page of the example browser and the review queue.
PAGE_ROWS = 50
#: The longest search text (the library's own limit).
MAX_SEARCH = 500
#: Element ids a fragment may replace (the client names the slot; never markup).
_SLOT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,40}$")


def link(*segments: object, **query: object) -> str:
    """A local URL: each path segment quoted whole (an example id may hold ``/`` or ``?``),
    then the query parameters that have a value."""
    path = "/" + "/".join(quote(str(s), safe="") for s in segments)
    params = [(k, str(v)) for k, v in query.items() if v not in (None, "", False)]
    return path + ("?" + urlencode(params) if params else "")


def _num(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else ("" if value is None else str(value))


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


templates.env.filters["num"] = _num
templates.env.filters["pct"] = _pct
templates.env.filters["when"] = _when
templates.env.globals["link"] = link
templates.env.globals["plural"] = plural


def render(request: Request, name: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    base = {"user": principal.email if principal else None, "csrf": principal.csrf if principal else None,
            "read_only": request.app.state.config.read_only, "ctx": None}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status, headers=headers)


@dataclass
class Ctx:
    """One dataset as the authenticated user sees it."""

    ws: Workspace
    ds: Dataset
    name: str
    user: str
    #: The user's role in this dataset (None: none, or no roles set at all).
    role: str | None
    #: No ``roles:`` in the spec: everyone may do everything.
    no_roles: bool
    read_only: bool
    #: action -> offered (the role may, and the server writes).
    can: dict[str, bool] = field(default_factory=dict)

    @property
    def may_tag(self) -> bool:
        return any(self.can[a] for a in ("tag_scenarios", "set_tier", "edge_cases", "polarity"))

    @property
    def role_line(self) -> str:
        if self.no_roles:
            return "no roles set: everyone may do everything"
        return f"role {self.role}" if self.role else "no role: read only"


def dataset_ctx(request: Request, ws: Workspace, name: str) -> Ctx:
    ds = ws.dataset(name)  # unknown dataset: WorkspaceError (404)
    spec_roles = ds.spec.roles
    read_only = bool(request.app.state.config.read_only)
    can = {a: (not read_only) and roles_mod.may(spec_roles, ws.user, a) for a in roles_mod.ACTIONS}
    return Ctx(ws=ws, ds=ds, name=ds.name, user=ws.user, role=spec_roles.get(ws.user), no_roles=not spec_roles,
               read_only=read_only, can=can)


#: Which navigation entry a page belongs to.
_NAV = {"coverage.html": "coverage", "scenario.html": "coverage", "examples.html": "examples",
        "example.html": "examples", "review.html": "review", "taxonomy.html": "taxonomy",
        "versions.html": "versions", "diff.html": "versions", "audit.html": "audit",
        "runs.html": "runs", "run.html": "runs", "run_compare.html": "runs"}


def page(request: Request, ctx: Ctx, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A page of one dataset (the navigation names it)."""
    return render(request, name, {"ctx": ctx, "nav_here": _NAV.get(name, ""), **context}, status=status)


def slot_id(slot: str) -> str:
    if not _SLOT.match(slot):
        raise BadInput(f"slot: {slot[:40]!r} is not an element id of this app")
    return slot


def opt_int(value: str, what: str) -> int | None:
    """A form's whole number (blank: None)."""
    text = value.strip()
    if not text:
        return None
    try:
        n = int(text)
    except ValueError:
        raise BadInput(f"{what}: {text[:40]!r} is not a whole number") from None
    if n < 0:
        raise BadInput(f"{what}: must be 0 or more")
    return n


def opt_share(value: str, what: str) -> float | None:
    """A form's share between 0 and 1 (blank: None)."""
    text = value.strip()
    if not text:
        return None
    try:
        x = float(text)
    except ValueError:
        raise BadInput(f"{what}: {text[:40]!r} is not a number") from None
    if not 0 <= x <= 1:
        raise BadInput(f"{what}: give a share between 0 and 1 (0.8 is 80%)")
    return x
