"""DVC remotes: a local-directory remote and a real S3 API (moto in server mode on 127.0.0.1).

Each test snapshots (which pushes), deletes the local DVC cache, the store and goldset's
revision cache, then reads past versions with `--rev` (fetched from the remote) and restores
the working store with `dvc pull`: the rows must be identical to what was written."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from goldset.curation import TagChange, remove, tag
from goldset.history import init_workspace, snapshot, version_log
from goldset.ingest import add
from goldset.workspace import Workspace

from helpers import versions as H
from helpers.vcs import dvc, git, goldset_cli
from helpers.workspace import write_spec


def _two_snapshots(ws: Workspace) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ds = ws.dataset()
    add(ds, H.V1_ROWS)
    first = snapshot(ws, None, "import", tag="v1")
    assert first.pushed, first.push_error
    v1 = H.rows_of(ws)
    tag(ds, TagChange(add_scenarios=["cancel_order"]), ids=["c1"])
    remove(ds, ["g1"])
    second = snapshot(ws, None, "tag c1, drop g1", tag="v2")
    assert second.pushed, second.push_error
    return v1, H.rows_of(ws)


def _forget_local_data(root: Path) -> None:
    for d in (root / ".dvc" / "cache", root / "datasets" / "support-bot", root / ".goldset"):
        shutil.rmtree(d, ignore_errors=True)


def _jsonl(proc: Any) -> list[dict[str, Any]]:
    assert proc.returncode == 0, proc.stderr
    return sorted((json.loads(line) for line in proc.stdout.splitlines()), key=lambda r: r["id"])


def _check_round_trip(root: Path, v1: list[dict[str, Any]], v2: list[dict[str, Any]]) -> None:
    _forget_local_data(root)
    # Past versions read straight from the remote, in a fresh process, without checkout.
    assert _jsonl(goldset_cli(root, "list", "--rev", "v1", "-f", "jsonl")) == _normalized(v1)
    assert _jsonl(goldset_cli(root, "list", "--rev", "v2", "-f", "jsonl")) == _normalized(v2)
    assert [v.rows for v in version_log(Workspace.open(root)).versions][:2] == [len(v2), len(v1)]
    # And `dvc pull` brings the working store back, identical.
    _forget_local_data(root)
    dvc(root, "pull", "-q")
    assert H.rows_of(Workspace.open(root)) == v2


def _normalized(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as `list -f jsonl` prints them (timestamps as ISO text)."""
    from goldset.cli.render._rows import jsonable

    return [jsonable(r) for r in rows]


def test_local_directory_remote_round_trip(tmp_path: Path) -> None:
    root, remote = tmp_path / "ws", tmp_path / "remote"
    root.mkdir()
    write_spec(root)
    result = init_workspace(root, "support-bot", remote=str(remote))
    assert result.remote == str(remote)
    # The remote is in the first commit, so every later version can be pushed and read.
    assert "remote = storage" in git(root, "show", "HEAD:.dvc/config")
    v1, v2 = _two_snapshots(Workspace.open(root))
    assert any(remote.rglob("*.dir"))
    _check_round_trip(root, v1, v2)


def test_unreachable_remote_keeps_the_commit_and_fails_clearly(tmp_path: Path, run_cli: Any) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    write_spec(root)
    (tmp_path / "not-a-dir").write_text("a file where the remote directory should be")
    init_workspace(root, "support-bot", remote=str(tmp_path / "not-a-dir" / "remote"))
    add(Workspace.open(root).dataset(), H.V1_ROWS[:2])
    res = run_cli("snapshot", "-C", str(root), "-m", "two rows")
    assert res.exit_code == 7  # a DVC failure (VcsError), not a failed check
    assert "is committed, but 'dvc push' to remote 'storage' failed" in res.stderr and "Traceback" not in res.stderr
    assert git(root, "log", "-1", "--format=%s").strip() == "two rows"
    # The data is still in the local DVC cache: the version reads fine here.
    assert len(H.rows_of(Workspace.open(root), "HEAD")) == 2


@pytest.fixture
def s3_endpoint() -> Any:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    with H.moto_s3() as url:
        yield url


@pytest.mark.slow  # ~12 s: a moto server and a dozen DVC processes talking S3 to it
def test_s3_remote_round_trip(tmp_path: Path, s3_endpoint: str) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    write_spec(root)
    init_workspace(root, "support-bot")
    H.configure_s3_remote(root, s3_endpoint)
    v1, v2 = _two_snapshots(Workspace.open(root))
    # The remote's URL and endpoint are committed with the snapshot; the keys stay local.
    committed = git(root, "show", "v1:.dvc/config")
    assert "s3://goldset-remote/store" in committed and "testing" not in committed

    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="testing",
                      aws_secret_access_key="testing", region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="goldset-remote").get("Contents", [])]
    assert any(k.endswith(".dir") for k in keys) and len(keys) >= 4
    _check_round_trip(root, v1, v2)
    # Reading through DVC's S3 filesystem (an fsspec IO thread) must not crash at exit either.
    codes = []
    for _ in range(10):
        _forget_local_data(root)
        proc = goldset_cli(root, "list", "--rev", "v1", "-f", "jsonl")
        codes.append((proc.returncode, len(proc.stdout.splitlines())))
    assert codes == [(0, len(v1))] * 10
