"""The web app: server-rendered pages (Jinja2, autoescaped), a few lines of plain JS for
partial updates (``static/app.js``, served from here: no CDN, works offline).

Every page route is in :func:`router` (behind the login); :func:`public_router` holds only
the login form and the static files. The pages call the library directly, as the
authenticated user; they live in ``_pages_coverage`` (datasets, dashboard, scenario),
``_pages_examples`` (browser, example, bulk tagging), ``_pages_curation`` (review queue,
taxonomy editor), ``_pages_history`` (versions, diff, audit log) and ``_pages_runs`` (model
runs: list, report and launch verdict, comparison). Fragment routes (under
``/d/{dataset}/fragments/``) answer a POST with pieces of HTML whose ids name the elements
they replace; ``docs/web.md`` describes what each role sees.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from goldset.access import users as users_mod
from goldset.service._auth import SESSION_COOKIE, SESSION_MAX_AGE, make_session
from goldset.service._deps import User, protected_router
from goldset.service._pages_common import HERE, render, templates

__all__ = ["error_page", "login_page", "public_router", "render", "router", "templates"]


def login_page(request: Request, status: int = 200, next_path: str = "/", error: str | None = None) -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next_path), "error": error}, status=status)


def error_page(request: Request, status: int, message: str, problems: list[str],
               headers: dict[str, str] | None = None) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "message": message, "problems": problems},
                  status=status, headers=headers)


def _safe_next(path: str) -> str:
    """Only a local path: never an open redirect to another site."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def public_router() -> APIRouter:
    r = APIRouter()

    @r.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:  # the query parameter's name
        return login_page(request, next_path=next)

    @r.post("/login", include_in_schema=False)
    def login(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
        config = request.app.state.config
        email = users_mod.Users(config.state_dir).authenticate(token.strip())
        if email is None:
            return login_page(request, status=401, next_path=next, error="unknown or revoked token")
        value, _csrf = make_session(config, token.strip(), email)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_MAX_AGE, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
        return response

    r.routes.append(_static())
    return r


def _static() -> Any:
    from starlette.routing import Mount

    return Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static")


def router() -> APIRouter:
    r = protected_router()

    @r.post("/logout", include_in_schema=False)
    def logout(user: User) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    from goldset.service import (
        _pages_coverage,
        _pages_curation,
        _pages_examples,
        _pages_history,
        _pages_runs,
    )

    for module in (_pages_coverage, _pages_examples, _pages_curation, _pages_history, _pages_runs):
        r.include_router(module.router())
    return r
