"""``goldset show``: every field of one example."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present, rev_option
from goldset.cli.render import RESULT_FORMATS


@command("show")
@rev_option
@click.argument("example_id", metavar="ID")
@output_options(RESULT_FORMATS)
def show_cmd(g: GoldsetContext, example_id: str, fmt: str, output: Path | None) -> None:
    """Show every field of one example."""
    from goldset.query import show

    present(show(g.dataset(), example_id), fmt, output)
