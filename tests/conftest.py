"""Shared fixtures: real workspaces (git + DVC) in tmp_path, versioned histories built once per
session and copied per test, the CLINC150 data, a CLI runner. Helpers live in ``helpers``."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from goldset.workspace import Workspace

from helpers import cli
from helpers.clinc import CLINC_DIR, clinc_available
from helpers.versions import build_story, build_two_versions
from helpers.workspace import copy_workspace, identity_env, write_spec


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOLDSET_USER", "tester@example.com")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "tester")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "tester")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tester@example.com")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")


@pytest.fixture
def bare_ws(tmp_path: Path) -> Workspace:
    """A workspace with a spec and an empty store, no git/DVC (fast; for store/library tests)."""
    root = tmp_path / "ws"
    root.mkdir()
    write_spec(root)
    ws = Workspace.open(root)
    ws.dataset().store.create()
    return ws


@pytest.fixture(scope="session")
def _git_ws_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real `goldset init` (git + DVC), copied per test: init costs ~2 s."""
    from goldset.history import init_workspace

    root = tmp_path_factory.mktemp("template") / "ws"
    with identity_env():
        root.mkdir(parents=True)
        write_spec(root)
        init_workspace(root, "support-bot")
    return root


@pytest.fixture
def git_ws(_git_ws_template: Path, tmp_path: Path) -> Workspace:
    """A real workspace: git repository, `dvc init`, spec, empty DVC-tracked store."""
    return Workspace.open(copy_workspace(_git_ws_template, tmp_path / "gws"))


@pytest.fixture(scope="session")
def _two_versions_template(_git_ws_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``git_ws`` + helpers.versions.build_two_versions (tags v1, v2). Built once per session."""
    root = copy_workspace(_git_ws_template, tmp_path_factory.mktemp("versions") / "ws")
    with identity_env():
        build_two_versions(Workspace.open(root))
    return root


@pytest.fixture
def two_versions(_two_versions_template: Path, tmp_path: Path) -> Workspace:
    """This test's own copy of the two-version history, without goldset's revision cache."""
    root = copy_workspace(_two_versions_template, tmp_path / "ws")
    shutil.rmtree(root / ".goldset", ignore_errors=True)
    return Workspace.open(root)


@pytest.fixture(scope="session")
def _story_template(_git_ws_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``git_ws`` + helpers.versions.build_story (tags v1, v2, v3). Built once per session."""
    root = copy_workspace(_git_ws_template, tmp_path_factory.mktemp("story") / "ws")
    with identity_env():
        build_story(Workspace.open(root))
    return root


@pytest.fixture
def story(_story_template: Path, tmp_path: Path) -> Workspace:
    """This test's own copy of the three-snapshot story."""
    return Workspace.open(copy_workspace(_story_template, tmp_path / "ws"))


@pytest.fixture
def run_cli() -> Callable[..., Any]:
    """Invoke the CLI in-process the way `main` does; returns click's Result."""
    return cli.invoke


@pytest.fixture
def clinc_dir() -> Iterator[Path]:
    if not clinc_available():
        pytest.skip(f"CLINC150 data not found at {CLINC_DIR}")
    yield CLINC_DIR


@pytest.fixture(scope="session")
def _served_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo golden set in a real workspace, with one user per role (helpers.service)."""
    from helpers.service import build_served_workspace

    root = tmp_path_factory.mktemp("served") / "ws"
    with identity_env():
        build_served_workspace(root)
    return root


@pytest.fixture
def served_ws(_served_template: Path, tmp_path: Path) -> Path:
    """This test's own copy of the served workspace (and its tokens file beside it)."""
    from helpers.service import TOKENS_FILE

    (tmp_path / "served").mkdir()
    shutil.copy(_served_template.parent / TOKENS_FILE, tmp_path / "served" / TOKENS_FILE)
    return copy_workspace(_served_template, tmp_path / "served" / "ws")


@pytest.fixture
def server(served_ws: Path) -> Iterator[Any]:
    """`goldset serve` running over ``served_ws`` (a helpers.service.Server)."""
    from helpers.service import serve

    with serve(served_ws) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A real Chromium (Debian's, else one on PATH) driven by Playwright; skips without one."""
    import os

    sync_api = pytest.importorskip("playwright.sync_api")
    exe = "/usr/lib/chromium/chromium" if os.path.exists("/usr/lib/chromium/chromium") else shutil.which("chromium")
    if exe is None:
        pytest.skip("no Chromium on this machine (apt install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()
