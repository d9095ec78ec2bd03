"""Thin wrappers over the real ``git`` and ``dvc`` command lines.

DVC is driven through its CLI (``python -m dvc``) rather than its Python internals: the CLI is
DVC's stable interface, and running it in a child process keeps its ~1 s import out of ours.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from goldset.errors import VcsError, WorkspaceError


def _run(args: list[str], cwd: Path, what: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise VcsError(f"{what}: '{args[0]}' is not installed or not on PATH") from None
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        last = detail[-1] if detail else f"exit code {proc.returncode}"
        raise VcsError(f"{what} failed: {last}")
    return proc


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _run(["git", *args], cwd, "git " + (args[0] if args else ""), check)


def dvc(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "dvc", *args], cwd, "dvc " + (args[0] if args else ""), check)


def is_git_repo(path: Path) -> bool:
    """``path`` is in a git working tree: its top, or a subdirectory of a larger repository
    (a workspace in ``evals/`` of the team's code repository)."""
    proc = git(path, "rev-parse", "--is-inside-work-tree", check=False)
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def git_top(path: Path) -> Path | None:
    """The top of the git working tree ``path`` is in, or None."""
    proc = git(path, "rev-parse", "--show-toplevel", check=False)
    return Path(proc.stdout.strip()).resolve() if proc.returncode == 0 else None


def has_commits(path: Path) -> bool:
    return git(path, "rev-parse", "--verify", "HEAD", check=False).returncode == 0


def commit_identity_args(path: Path, user: str) -> list[str]:
    """``-c user.*`` options when git has no identity configured (CI machines often don't)."""
    configured = git(path, "config", "user.email", check=False).stdout.strip()
    if configured:
        return []
    return ["-c", f"user.email={user}", "-c", f"user.name={user.split('@')[0]}"]


def git_prefix(path: Path) -> str:
    """``path`` relative to the top of its git working tree, with a trailing slash ("" at the
    top): where a workspace in a subdirectory of a larger repository sits in it."""
    return git(path, "rev-parse", "--show-prefix").stdout.strip()


def dvc_configs(root: Path) -> list[Any]:
    """The project's DVC config files (``.dvc/config``, then ``config.local``), parsed with
    DVC's own parser (configobj) instead of a ``dvc config`` child process (~0.5 s each)."""
    from configobj import ConfigObj, ConfigObjError  # type: ignore[import-untyped]  # DVC's dependency, no stubs

    found = []
    for name in ("config", "config.local"):
        path = root / ".dvc" / name
        if not path.is_file():
            continue
        try:
            found.append(ConfigObj(str(path), interpolation=False))
        except ConfigObjError:
            raise WorkspaceError(f"{path}: unreadable DVC config; fix it with 'dvc remote list' / 'dvc config'") from None
    return found
