"""``goldset pull``: bring each dataset's store to the version the checked-out commit names."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import RESULT_FORMATS


@command("pull")
@click.option("--force", is_flag=True, help="Replace a store even when it holds changes no commit records (they are lost).")
@output_options(RESULT_FORMATS)
def pull_cmd(g: GoldsetContext, force: bool, fmt: str, output: Path | None) -> None:
    """Make the working store of each dataset (or only --dataset) the version the checked-out
    commit names: after a fresh clone, or after 'git checkout' of another branch. Runs 'dvc
    checkout' from the local DVC cache, else 'dvc pull' from the DVC remote.

    Every other command refuses (exit 6) to read or write a store that is not the checked-out
    version, and says to run this. A store with changes since the last snapshot of this commit
    is left as it is; one holding changes that no commit records is refused unless --force.

    \b
    git clone URL golden && cd golden && goldset pull
    git checkout feature-branch && goldset pull
    """
    from goldset.history import pull

    present(pull(g.workspace(), g.dataset_name, force=force), fmt, output)
