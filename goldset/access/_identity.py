"""Who is acting: ``GOLDSET_USER``, else git's user.email, else the login name."""

from __future__ import annotations

import functools
import getpass
import os
import subprocess
from pathlib import Path


@functools.cache
def _git_email(cwd: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "config", "user.email"], cwd=cwd, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    email = out.stdout.strip()
    return email or None


def current_user(workspace: Path | None = None) -> str:
    env = os.environ.get("GOLDSET_USER", "").strip()
    if env:
        return env
    email = _git_email(str(workspace or Path.cwd()))
    if email:
        return email
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"
