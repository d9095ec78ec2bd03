"""Helpers of the versions tests: a small known dataset, the histories the shared fixtures
build from it (git + DVC, tagged snapshots), and a real local S3 server (moto in server mode)
for DVC remotes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from goldset.curation import TagChange, remove, review, tag
from goldset.history import at, snapshot
from goldset.ingest import add
from goldset.workspace import Workspace

from helpers.vcs import dvc


def rows_of(ws: Workspace, rev: str | None = None, dataset: str | None = None) -> list[dict[str, Any]]:
    """Every row (all columns), ordered by id: what a version holds."""
    ds = at(ws, rev).dataset(dataset)
    return ds.query("SELECT * FROM examples ORDER BY id").to_pylist()


#: The first import of the snapshot histories below (spec: helpers.workspace.SPEC).
V1_ROWS = [
    {"id": "r1", "input": "Refund my order please", "scenarios": ["refund_request"], "status": "approved"},
    {"id": "r2", "input": "I want my money back", "scenarios": ["refund_request"], "status": "approved"},
    {"id": "r3", "input": "Charged twice, refund one", "scenarios": ["refund_request"], "status": "approved"},
    {"id": "n1", "input": "Refund my neighbour's card to me", "scenarios": ["refund_request"], "polarity": "negative",
     "expected": "decline", "status": "approved"},
    {"id": "c1", "input": "Cancel my order", "status": "draft"},
    {"id": "c2", "input": "Stop the shipment", "status": "draft"},
    {"id": "g1", "input": "hello there", "scenarios": ["greeting"], "status": "approved"},
]


def build_two_versions(ws: Workspace) -> None:
    """v1: the seven rows of V1_ROWS; v2: c1, c2 tagged cancel_order and x1 added."""
    ds = ws.dataset()
    add(ds, V1_ROWS)
    snapshot(ws, None, "import seven examples", tag="v1")
    tag(ds, TagChange(add_scenarios=["cancel_order"]), ids=["c1", "c2"])
    add(ds, [{"id": "x1", "input": "Where is my parcel?"}])
    snapshot(ws, None, "tag cancels, add x1", tag="v2")


def build_story(ws: Workspace) -> None:
    """v1 import; v2 tag c1+c2 with cancel_order and approve c1 (review); v3 remove n1."""
    ds = ws.dataset()
    add(ds, V1_ROWS)
    snapshot(ws, None, "import", tag="v1")
    tag(ds, TagChange(add_scenarios=["cancel_order"]), ids=["c1", "c2"])
    review(ds, "approve", ids=["c1"])
    snapshot(ws, None, "tag and review", tag="v2")
    remove(ds, ["n1"])
    snapshot(ws, None, "remove n1", tag="v3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def moto_s3(bucket: str = "goldset-remote") -> Iterator[str]:
    """A real S3 API on 127.0.0.1 (moto server in a thread of this process); yields its URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        import boto3

        boto3.client(
            "s3", endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        ).create_bucket(Bucket=bucket)
        yield url
    finally:
        server.stop()


def configure_s3_remote(root: Path, endpoint: str, bucket: str = "goldset-remote") -> None:
    """`dvc remote add` + `dvc remote modify` (credentials in the git-ignored local config)."""
    dvc(root, "remote", "add", "-d", "storage", f"s3://{bucket}/store")
    dvc(root, "remote", "modify", "storage", "endpointurl", endpoint)
    dvc(root, "remote", "modify", "--local", "storage", "access_key_id", "testing")
    dvc(root, "remote", "modify", "--local", "storage", "secret_access_key", "testing")
    dvc(root, "remote", "modify", "storage", "region", "us-east-1")


def manifest_parts(root: Path, dataset: str) -> list[str]:
    data = json.loads((root / "datasets" / dataset / "_manifest.json").read_text())
    return [p["name"] for p in data["parts"]]
