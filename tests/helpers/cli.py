"""The CLI in-process, the way `goldset.cli.main` runs it (error mapping and exit codes included)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _MainAdapter:
    """Lets CliRunner drive `goldset.cli.main` (error mapping included), not just the group."""

    def __init__(self, main: Callable[[list[str]], None]) -> None:
        self._main = main
        self.name = "goldset"

    def main(self, args: list[str], prog_name: str | None = None, **_: Any) -> None:
        self._main(list(args))


def invoke(*args: str, input: str | None = None) -> Any:
    """`goldset ARGS` through click's CliRunner; returns its Result."""
    from click.testing import CliRunner

    from goldset.cli import main

    runner = CliRunner()
    return runner.invoke(_MainAdapter(main), list(args), input=input, catch_exceptions=False)
