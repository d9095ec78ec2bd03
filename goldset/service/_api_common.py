"""What the API's route modules share: the dataset from the path, the write dependencies, the
base of request bodies. Apart from ``_api`` (which includes the route modules), so no module
imports the one that imports it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict

from goldset.service._deps import Ws, writable
from goldset.workspace import Dataset


def dataset(ws: Ws, dataset: Annotated[str, PathParam(description="dataset name, as in goldset.yaml")]) -> Dataset:
    """The dataset named in the path, as the authenticated user (404 when unknown)."""
    return ws.dataset(dataset)


Ds = Annotated[Dataset, Depends(dataset)]
#: Dependencies of every write route: the server may write (409 on --read-only).
WRITE: list[Any] = [Depends(writable)]


class RequestModel(BaseModel):
    """Base of request bodies: an unknown field is a 400, never silently ignored."""

    model_config = ConfigDict(extra="forbid")
