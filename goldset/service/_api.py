"""The JSON API under ``/api/v1``: the library's verbs over HTTP, documented by the OpenAPI
schema at ``/api/v1/openapi.json``. Every route needs a user (:func:`protected_router`);
every write also passes :func:`writable` and then the library's own write path (role,
lock, audit), as the authenticated user.

The routes are thin adapters: a request model in, one library call, the library's result
model out (errors are the library's, mapped to HTTP statuses in ``_app``). They live in
``_api_examples`` (examples: list, show, add, import, edit, tag, review), ``_api_taxonomy``
(scenarios, edge cases), ``_api_reports`` (stats, coverage, validation, versions, diff,
audit) and ``_api_runs`` (model runs: report, compare, launch); ``_api_common`` holds what
they share, this module :func:`router`, the entry point.

The dataset comes from the path (``/api/v1/datasets/{dataset}/...``) and is resolved only by
:func:`dataset` (the spec's ``dataset_name``): an unknown or malformed name is a 404 before
anything reaches the filesystem.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from goldset.service._deps import Ws, protected_router


class DatasetInfo(BaseModel):
    name: str
    description: str
    rows: int


class Me(BaseModel):
    email: str
    #: dataset -> role (None: no role, so read-only once the dataset has roles).
    roles: dict[str, str | None]


def router() -> APIRouter:
    from goldset.service import _api_examples, _api_reports, _api_runs, _api_taxonomy

    r = protected_router(tags=["datasets"])  # bodies are capped for every route by _limits.BodyLimit

    @r.get("/datasets")
    def list_datasets(ws: Ws) -> list[DatasetInfo]:
        """The datasets of the workspace, with their row counts."""
        return [DatasetInfo(name=name, description=d.description, rows=ws.dataset(name).manifest().rows)
                for name, d in ws.spec.datasets.items()]

    @r.get("/me")
    def me(ws: Ws) -> Me:
        """Who the server takes the caller for, and the role per dataset."""
        return Me(email=ws.user, roles={n: d.roles.get(ws.user) for n, d in ws.spec.datasets.items()})

    _api_reports.add_routes(r)
    _api_examples.add_routes(r)
    _api_taxonomy.add_routes(r)
    _api_runs.add_routes(r)
    return r
