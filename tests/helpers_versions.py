"""Helpers of the versions tests: the goldset executable as a subprocess, a small known
dataset, and a real local S3 server (moto in server mode) for DVC remotes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from goldset.workspace import Workspace

BIN = Path(sys.executable).parent


def env() -> dict[str, str]:
    """The test's environment with the venv's `goldset` first on PATH."""
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["DVC_NO_ANALYTICS"] = "1"
    return e


def goldset(root: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real `goldset` executable in a child process."""
    proc = subprocess.run([str(BIN / "goldset"), "-C", str(root), *args], capture_output=True, text=True, env=env(), check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"goldset {' '.join(args)} -> {proc.returncode}: {proc.stderr}")
    return proc


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True, env=env()).stdout


def dvc(root: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True, text=True, env=env(), check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def rows_of(ws: Workspace, rev: str | None = None, dataset: str | None = None) -> list[dict[str, Any]]:
    """Every row (all columns), ordered by id: what a version holds."""
    ds = ws.at(rev).dataset(dataset)
    return ds.query("SELECT * FROM examples ORDER BY id").to_pylist()


#: The first import of the three-snapshot story (spec: tests.conftest.SPEC).
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
