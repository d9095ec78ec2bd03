"""The JSON API under ``/api/v1``: the library's verbs over HTTP, documented by the OpenAPI
schema at ``/api/v1/openapi.json``. Every route needs a user (:func:`protected_router`);
every write also passes :func:`writable` and then the library's own write path (role,
lock, audit), as the authenticated user."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from goldset.service._app import Ws, protected_router


def router() -> APIRouter:
    r = protected_router(tags=["datasets"])

    @r.get("/datasets")
    def datasets(ws: Ws) -> list[dict[str, Any]]:
        """The datasets of the workspace, with their row counts."""
        return [{"name": name, "description": d.description, "rows": ws.dataset(name).manifest().rows}
                for name, d in ws.spec.datasets.items()]

    @r.get("/me")
    def me(ws: Ws) -> dict[str, Any]:
        """Who the server takes the caller for, and the role per dataset."""
        return {"email": ws.user, "roles": {n: d.roles.get(ws.user) for n, d in ws.spec.datasets.items()}}

    return r
