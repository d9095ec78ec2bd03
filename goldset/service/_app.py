"""The ASGI app: configuration, authentication on every route, and errors in one place.

:func:`create_app` builds a FastAPI app over one workspace. Every route but :data:`PUBLIC`
(the login page, the static files) sits behind :func:`require_user` (a router dependency, so
a new route cannot forget it). Routes are plain ``def`` functions: FastAPI runs them in its
thread pool, and the library's own locks order writes between threads, processes and CLI
users alike.

Errors: a :class:`~goldset.errors.GoldsetError` becomes its ``http_status`` (the mapping lives
on the error classes, the same table the CLI's exit codes come from) with the CLI's message, as
JSON under ``/api`` and as an HTML page elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from goldset.errors import GoldsetError
from goldset.service._auth import CsrfFailed, NotAuthenticated, load_secret
from goldset.service._deps import MAX_UPLOAD_BYTES, PUBLIC, ServiceConfig, protected_router
from goldset.workspace import Workspace

__all__ = ["PUBLIC", "ServiceConfig", "create_app", "route_table"]

#: DuckDB's working memory per request (a listing spills its sort to disk beyond it).
SERVER_QUERY_MEMORY = "256MB"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, kind: str, message: str, problems: list[str] | None = None,
           headers: dict[str, str] | None = None) -> Response:
    if _is_api(request):
        body = {"error": {"type": kind, "message": message, "problems": problems or []}}
        return JSONResponse(body, status_code=status, headers=headers)
    from goldset.service._pages import error_page

    return error_page(request, status, message, problems or [], headers)


def create_app(root: Path, *, read_only: bool = False, max_upload_bytes: int = MAX_UPLOAD_BYTES) -> FastAPI:
    """The goldset web service over the workspace at ``root``."""
    ws = Workspace.open(root)  # a directory without goldset.yaml: one clear error, before serving
    from goldset.store import db

    # Each request opens its own DuckDB connection; many at once must not each take a thread
    # per core and most of the RAM (measured: 50 concurrent list requests on 1M rows).
    db.configure(threads=1, memory_limit=SERVER_QUERY_MEMORY)
    state_dir = ws.state_dir()
    config = ServiceConfig(root=ws.root, read_only=read_only, max_upload_bytes=max_upload_bytes,
                           secret=load_secret(state_dir), state_dir=state_dir)
    app = FastAPI(title="goldset", version="1", openapi_url=None, docs_url=None, redoc_url=None,
                  description="The golden dataset of an ML/LLM product: examples, scenarios, coverage, versions.")
    app.state.config = config
    from goldset.service._limits import BodyLimit

    app.add_middleware(BodyLimit, upload_limit=max_upload_bytes)

    @app.middleware("http")
    async def _timing(request: Request, call_next: Any) -> Response:
        # Server-side time of every response (what the benchmarks and a browser's devtools
        # read), and headers that keep pages out of frames and shared caches.
        import time

        start = time.perf_counter()
        response: Response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                                    "frame-ancestors 'none'; form-action 'self'")
        return response

    @app.exception_handler(GoldsetError)
    async def _goldset_error(request: Request, exc: GoldsetError) -> Response:
        return _error(request, exc.http_status, type(exc).__name__, str(exc), exc.problems)

    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(request: Request, exc: NotAuthenticated) -> Response:
        if _is_api(request):
            return _error(request, 401, "NotAuthenticated", str(exc), headers={"WWW-Authenticate": "Bearer"})
        from goldset.service._pages import login_page

        return login_page(request, status=401, next_path=request.url.path)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return _error(request, 403, "CsrfFailed", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:20]]
        return _error(request, 400, "UsageError", "invalid request: " + "; ".join(problems[:3]), problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, "HTTPError", str(exc.detail), headers=getattr(exc, "headers", None))

    from goldset.service import _api, _pages

    app.include_router(_pages.public_router())
    app.include_router(_api.router(), prefix="/api/v1")
    app.include_router(_pages.router())

    docs = protected_router()

    @docs.get("/api/v1/openapi.json", include_in_schema=False)
    def _openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    app.include_router(docs)
    return app


def route_table(app: FastAPI) -> list[tuple[str, frozenset[str]]]:
    """Every (path, methods) the app serves, mounts included (methods empty): what the
    security tests walk, so no route is left out by hand."""
    out: list[tuple[str, frozenset[str]]] = []
    for top in app.routes:
        contexts = top.effective_route_contexts() if hasattr(top, "effective_route_contexts") else [top]
        for ctx in contexts:
            path = getattr(ctx, "path", None) or getattr(getattr(ctx, "starlette_route", None), "path", None)
            if path is not None:
                out.append((str(path), frozenset(getattr(ctx, "methods", None) or ())))
    return out
