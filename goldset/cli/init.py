from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, emit, format_option, say


@command("init")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--remote", metavar="URL", help="DVC remote for snapshots (a directory, s3://..., ...), set in the first commit.")
@format_option(("table", "json"))
def init_cmd(g: GoldsetContext, path: Path | None, remote: str | None, fmt: str) -> None:
    """Make PATH (default: -C or the current directory) a goldset workspace.

    Creates goldset.yaml (a commented template), datasets/, expectations/, reports/,
    .dvcignore and dvc.yaml, runs `git init` and `dvc init` when needed, sets the DVC remote,
    and makes the first commit in a new repository. Safe to run again: it never overwrites
    a file that exists.

    \b
    goldset init my-golden-set --dataset support-bot --remote /mnt/dvc-store
    """
    from goldset.init import init_workspace

    result = init_workspace(path or Path(g.workspace_path), g.dataset_name or "golden", remote)
    if fmt == "json":
        emit(result.model_dump_json(indent=2))
        return
    for f in result.created:
        say(f"created {f}")
    for f in result.kept:
        say(f"kept    {f} (exists)")
    if result.git_initialized:
        say("git repository initialized")
    if result.dvc_initialized:
        say("DVC initialized")
    if result.remote:
        say(f"DVC remote 'storage' -> {result.remote}")
    say(f"workspace ready at {result.root} (dataset {result.dataset!r}); next: goldset import FILE")
