"""``goldset snapshot``: commit the dataset's current state (git + DVC), tag it, push it."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import RESULT_FORMATS


@command("snapshot")
@click.option("-m", "--message", required=True, metavar="MSG", help="What changed since the last snapshot (the commit message).")
@click.option("--tag", metavar="NAME", help="Also tag the commit (e.g. v7): 'eval v12 ran on golden set v7'.")
@click.option("--no-push", is_flag=True, help="Do not 'dvc push' even when a DVC remote is configured.")
@output_options(RESULT_FORMATS)
def snapshot_cmd(g: GoldsetContext, message: str, tag: str | None, no_push: bool, fmt: str, output: Path | None) -> None:
    """Record the dataset as a version: clean store leftovers, `dvc add` the store, commit the
    .dvc file with the audit log, spec, expectations and reports, optionally tag the commit,
    and `dvc push` the data when a DVC remote is configured.

    Refuses (exit 5) while a merge conflict or a merge/rebase in progress touches those files.

    \b
    goldset snapshot -m "Add 40 refund negatives" --tag v7
    """
    from goldset.history import push_failed, snapshot

    result = snapshot(g.workspace(), g.dataset_name, message, tag, push=not no_push)
    present(result, fmt, output)
    if result.push_error:
        raise push_failed(result)
