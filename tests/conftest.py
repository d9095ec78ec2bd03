"""Shared fixtures: real workspaces (git + DVC) in tmp_path, the CLINC150 data, a CLI runner."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from goldset.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
CLINC_DIR = REPO.parent / "shared" / "data" / "clinc150"

SPEC = """\
version: 1
default_dataset: support-bot
datasets:
  support-bot:
    description: test set
    tiers: [blocking, standard, monitor]
    default_tier: standard
    count_status: [approved]
    freshness: {max_review_age_days: 180}
    gate: {blocking_priorities: [P0]}
    edge_cases: {typo: Misspellings, multilingual: Non-English}
    requirements:
      P0: {min_examples: 3, min_negatives: 1}
      P1: {min_examples: 2}
    scenarios:
      refund_request: {description: Refunds, priority: P0, group: billing, owner: pm@example.com}
      cancel_order: {description: Cancel, priority: P1, group: orders}
      greeting: {description: Hello, priority: P2, group: chit-chat}
"""


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOLDSET_USER", "tester@example.com")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "tester")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "tester")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tester@example.com")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")


def write_spec(root: Path, text: str = SPEC) -> None:
    (root / "goldset.yaml").write_text(text, encoding="utf-8")


@pytest.fixture
def bare_ws(tmp_path: Path) -> Workspace:
    """A workspace with a spec and an empty store, no git/DVC (fast; for store/library tests)."""
    root = tmp_path / "ws"
    root.mkdir()
    write_spec(root)
    ws = Workspace.open(root)
    ws.dataset().store.create()
    return ws


IDENTITY = {"GOLDSET_USER": "tester@example.com", "GIT_AUTHOR_NAME": "tester", "GIT_AUTHOR_EMAIL": "tester@example.com",
            "GIT_COMMITTER_NAME": "tester", "GIT_COMMITTER_EMAIL": "tester@example.com"}


@contextlib.contextmanager
def identity_env() -> Iterator[None]:
    """The test identity while a session- or module-scoped fixture builds (monkeypatch is
    per test)."""
    saved = {k: os.environ.get(k) for k in IDENTITY}
    os.environ.update(IDENTITY)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def _git_ws_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real `goldset init` (git + DVC), copied per test: init costs ~2 s."""
    from goldset.init import init_workspace

    root = tmp_path_factory.mktemp("template") / "ws"
    with identity_env():
        root.mkdir(parents=True)
        write_spec(root)
        init_workspace(root, "support-bot")
    return root


@pytest.fixture
def git_ws(_git_ws_template: Path, tmp_path: Path) -> Workspace:
    """A real workspace: git repository, `dvc init`, spec, empty DVC-tracked store."""
    root = tmp_path / "gws"
    shutil.copytree(_git_ws_template, root, symlinks=True)
    return Workspace.open(root)


@pytest.fixture
def run_cli() -> Callable[..., Any]:
    """Invoke the CLI in-process the way `main` does; returns click's Result."""
    from click.testing import CliRunner

    def invoke(*args: str, input: str | None = None) -> Any:
        from goldset.cli import main

        runner = CliRunner()
        return runner.invoke(_MainAdapter(main), list(args), input=input, catch_exceptions=False)

    return invoke


class _MainAdapter:
    """Lets CliRunner drive `goldset.cli.main` (error mapping included), not just the group."""

    def __init__(self, main: Callable[[list[str]], None]) -> None:
        self._main = main
        self.name = "goldset"

    def main(self, args: list[str], prog_name: str | None = None, **_: Any) -> None:
        self._main(list(args))


def clinc_available() -> bool:
    return (CLINC_DIR / "data_full.json").is_file()


needs_clinc = pytest.mark.skipif(not clinc_available(), reason=f"CLINC150 data not found at {CLINC_DIR}")


def clinc_records(with_ids: bool = True) -> list[dict[str, Any]]:
    """CLINC150 as goldset records: intents as scenarios + expected, oos as negatives."""
    data = json.loads((CLINC_DIR / "data_full.json").read_text(encoding="utf-8"))
    out = []
    for split in ("train", "val", "test", "oos_train", "oos_val", "oos_test"):
        for i, (text, intent) in enumerate(data[split]):
            oos = intent == "oos"
            rec: dict[str, Any] = {
                "input": text,
                "expected": "decline" if oos else intent,
                "scenarios": "out_of_scope" if oos else intent,
                "polarity": "negative" if oos else "positive",
                "split": split,
            }
            if with_ids:
                rec = {"id": f"{split}-{i}", **rec}
            out.append(rec)
    return out


def clinc_spec(p0_domain: str | None = None, p0_min: int = 150, oos_min_negatives: int | None = None) -> str:
    """A spec with the 150 intents as scenarios grouped by domain, plus out_of_scope."""
    domains = json.loads((CLINC_DIR / "domains.json").read_text(encoding="utf-8"))
    lines = [
        "version: 1",
        "default_dataset: clinc",
        "datasets:",
        "  clinc:",
        "    tiers: [blocking, standard, monitor]",
        "    default_tier: standard",
        "    gate: {blocking_priorities: [P0]}",
        "    edge_cases: {card: Mentions a credit card}",
        "    requirements:",
        f"      P0: {{min_examples: {p0_min}}}",
        "    scenarios:",
    ]
    for domain, intents in domains.items():
        prio = "P0" if domain == p0_domain else "P1"
        for intent in intents:
            lines.append(f"      {intent}: {{priority: {prio}, group: {domain}}}")
    oos_req = f", requirements: {{min_negatives: {oos_min_negatives}}}" if oos_min_negatives is not None else ""
    lines.append(f"      out_of_scope: {{priority: P1, group: out_of_scope{oos_req}}}")
    return "\n".join(lines) + "\n"


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def clinc_dir() -> Iterator[Path]:
    if not clinc_available():
        pytest.skip(f"CLINC150 data not found at {CLINC_DIR}")
    yield CLINC_DIR
