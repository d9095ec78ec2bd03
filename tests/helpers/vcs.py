"""The one way tests run git, DVC and the `goldset` executable: child processes in a workspace,
with this venv's executables first on PATH (DVC stages run `goldset ...` through the shell)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def env() -> dict[str, str]:
    """The test's environment with the venv's `goldset` first on PATH."""
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["DVC_NO_ANALYTICS"] = "1"
    return e


def git(root: Path, *args: str) -> str:
    """`git ARGS` in ``root``; its stdout. A non-zero exit raises CalledProcessError."""
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True, env=env()).stdout


def dvc(root: Path, *args: str) -> str:
    """`dvc ARGS` in ``root`` (this venv's DVC); its stdout. Asserts a zero exit."""
    proc = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True, text=True, env=env(), check=False)
    assert proc.returncode == 0, f"dvc {' '.join(args)}: {proc.stderr or proc.stdout}"
    return proc.stdout


def goldset_cli(root: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real `goldset` executable in a child process (`goldset -C ROOT ARGS`)."""
    proc = subprocess.run([str(BIN / "goldset"), "-C", str(root), *args], capture_output=True, text=True, env=env(), check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"goldset {' '.join(args)} -> {proc.returncode}: {proc.stderr}")
    return proc
