"""``goldset remove``: delete examples by id."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import RESULT_FORMATS


@command("remove")
@click.argument("ids", nargs=-1, required=True)
@click.option("--note", help="Why (kept in the audit log).")
@output_options(RESULT_FORMATS)
def remove_cmd(g: GoldsetContext, ids: tuple[str, ...], note: str | None, fmt: str, output: Path | None) -> None:
    """Remove examples by id (they stay in earlier snapshots). Prefer `review --retire`
    to keep an example out of coverage while keeping its history in the current set."""
    from goldset.curation import remove

    present(remove(g.dataset(), list(ids), note=note), fmt, output)
