"""``goldset init``: make a directory a goldset workspace (git + DVC + spec)."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import RESULT_FORMATS


@command("init")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--remote", metavar="URL", help="DVC remote for snapshots (a directory, s3://..., ...), set in the first commit.")
@output_options(RESULT_FORMATS)
def init_cmd(g: GoldsetContext, path: Path | None, remote: str | None, fmt: str, output: Path | None) -> None:
    """Make PATH (default: -C or the current directory) a goldset workspace.

    Creates goldset.yaml (a commented template), datasets/, expectations/, reports/,
    .dvcignore and dvc.yaml, runs `git init` and `dvc init` when needed, sets the DVC remote,
    and makes the first commit in a new repository. Inside an existing git repository it uses
    that one (`dvc init --subdir`) and commits only PATH. Safe to run again: it never
    overwrites a file that exists.

    \b
    goldset init my-golden-set --dataset support-bot --remote /mnt/dvc-store
    goldset init evals --dataset support-bot      # in your product's repository
    """
    from goldset.history import init_workspace

    present(init_workspace(path or Path(g.workspace_path), g.dataset_name or "golden", remote), fmt, output)
