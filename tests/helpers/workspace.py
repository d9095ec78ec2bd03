"""Workspaces for tests: the standard spec, the test identity, JSONL input files, and copying a
built workspace (git + DVC, self-contained) so each test gets its own."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

IDENTITY = {"GOLDSET_USER": "tester@example.com", "GIT_AUTHOR_NAME": "tester", "GIT_AUTHOR_EMAIL": "tester@example.com",
            "GIT_COMMITTER_NAME": "tester", "GIT_COMMITTER_EMAIL": "tester@example.com"}


def write_spec(root: Path, text: str = SPEC) -> None:
    (root / "goldset.yaml").write_text(text, encoding="utf-8")


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


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


_URL = re.compile(r"^(\s*url\s*=\s*)(.+?)\s*$")


def copy_workspace(template: Path, dest: Path) -> Path:
    """A private copy of a built workspace: the git repository, the DVC cache and everything
    else in the directory. A DVC remote that is an absolute path inside ``template`` (a local
    remote directory built with it) is pointed at the copy's own remote, so a push from the
    copy never writes to the template. Keep such a remote in ``.dvc/config.local`` (git-ignored)
    so the rewrite leaves the committed config as it was."""
    shutil.copytree(template, dest, symlinks=True)
    src = template.resolve()
    for name in ("config", "config.local"):
        config = dest / ".dvc" / name
        if not config.is_file():
            continue
        lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
        changed = False
        for i, line in enumerate(lines):
            m = _URL.match(line)
            if not m or not Path(m.group(2)).is_absolute():
                continue
            url = Path(m.group(2)).resolve()
            if url == src or src in url.parents:
                lines[i] = f"{m.group(1)}{dest.resolve() / url.relative_to(src)}\n"
                changed = True
        if changed:
            config.write_text("".join(lines), encoding="utf-8")
    return dest
