"""The JSON API under ``/api/v1``: the library's verbs over HTTP, documented by the OpenAPI
schema at ``/api/v1/openapi.json``. Every route needs a user (:func:`protected_router`);
every write also passes :func:`writable` and then the library's own write path (role,
lock, audit), as the authenticated user.

The routes are thin adapters: a request model in, one library call, the library's result
model out (errors are the library's, mapped to HTTP statuses in ``_app``). They live in
``_api_examples`` (examples: list, show, add, import, edit, tag, review), ``_api_taxonomy``
(scenarios, edge cases) and ``_api_reports`` (stats, coverage, validation, versions, diff,
audit); this module holds what they share and :func:`router`, the entry point.

The dataset comes from the path (``/api/v1/datasets/{dataset}/...``) and is resolved only by
:func:`dataset` (the spec's ``dataset_name``): an unknown or malformed name is a 404 before
anything reaches the filesystem.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Message

from goldset.service._deps import Ws, protected_router, writable
from goldset.workspace import Dataset

#: Largest JSON request body (a batch of examples to add, a tag or review request). Files
#: go through the import route, whose limit is the server's --max-upload-mb.
MAX_JSON_BODY = 16 * 1024 * 1024


class BodyLimitedRoute(APIRoute):
    """A route whose JSON body may not pass :data:`MAX_JSON_BODY`: a 413 in the API's error
    shape, before the body is read whole. (FastAPI reads a body before it solves the
    dependencies, so before the login check: without a limit, anyone could make the server
    hold any amount.) A route without a body field (the import reads its own stream, with
    the server's upload limit) is left as it is."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def limited(request: Request) -> Response:
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_JSON_BODY:
                raise _body_too_large()
            received = 0

            async def receive() -> Message:
                nonlocal received
                message = await request.receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > MAX_JSON_BODY:
                        raise _body_too_large()
                return message

            return await handler(Request(request.scope, receive))

        return limited


def _body_too_large() -> HTTPException:
    return HTTPException(413, f"the request body is larger than {MAX_JSON_BODY >> 20} MB; "
                              "send many examples as a file to the import route")


def dataset(ws: Ws, dataset: Annotated[str, PathParam(description="dataset name, as in goldset.yaml")]) -> Dataset:
    """The dataset named in the path, as the authenticated user (404 when unknown)."""
    return ws.dataset(dataset)


Ds = Annotated[Dataset, Depends(dataset)]
#: Dependencies of every write route: the server may write (409 on --read-only).
WRITE: list[Any] = [Depends(writable)]


class RequestModel(BaseModel):
    """Base of request bodies: an unknown field is a 400, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class DatasetInfo(BaseModel):
    name: str
    description: str
    rows: int


class Me(BaseModel):
    email: str
    #: dataset -> role (None: no role, so read-only once the dataset has roles).
    roles: dict[str, str | None]


def router() -> APIRouter:
    from goldset.service import _api_examples, _api_reports, _api_taxonomy

    r = protected_router(tags=["datasets"], route_class=BodyLimitedRoute)

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
    return r
