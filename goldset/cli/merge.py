"""``goldset merge`` (finish a git merge of a dataset, row by row) and ``goldset merge-driver``
(what git runs for ``datasets/*.dvc``, the audit log and ``runs/*.dvc``; installed by ``goldset init``)."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present, say
from goldset.cli.render import RESULT_FORMATS


@command("merge")
@click.option("--resolve", type=click.Choice(["ours", "theirs"]), help="Which side wins the conflicts (of the --id examples, or all).")
@click.option("--id", "ids", multiple=True, metavar="ID", help="Resolve only this example's conflicts (repeatable); needs --resolve.")
@click.option("--dry-run", is_flag=True, help="Merge in memory and list what would change and conflict; write nothing.")
@output_options(RESULT_FORMATS)
def merge_cmd(g: GoldsetContext, resolve: str | None, ids: tuple[str, ...], dry_run: bool, fmt: str,
              output: Path | None) -> None:
    """Finish a git merge of the dataset: merge its examples row by row, field by field.

    `goldset init` installs a git merge driver, so `git merge BRANCH` merges the datasets
    by itself: changes to different examples merge, and so do different fields of one
    example (tags merge as sets). Run `goldset pull` afterwards only if git said the merge
    driver failed.

    When both branches changed the same field of an example differently, or one removed an
    example the other edited, git stops with the dataset's .dvc file in conflict and the
    driver lists each conflict. Nothing is lost: decide them here, then commit.

    \b
    git merge researcher-negatives            # conflicts listed by the driver
    goldset merge                             # list them again (exit 1 while any remain)
    goldset merge --resolve theirs --id q-17  # their label for q-17
    goldset merge --resolve ours              # ours for every other conflict
    git commit                                # conclude the merge (the .dvc file is staged)

    It also finishes a merge where no driver ran (a clone that never ran `goldset init`):
    it reads the three versions from git's index and merges the audit log too. The merged
    data is a new version in DVC's local cache; `dvc push` (or the next snapshot) sends it to
    the remote.
    """
    from goldset.errors import MergeConflict
    from goldset.merging import merge

    try:
        result = merge(g.workspace(), g.dataset_name, resolve=resolve,  # type: ignore[arg-type]
                       ids=list(ids) or None, dry_run=dry_run)
    except MergeConflict as exc:
        if fmt == "json" and exc.result is not None:  # scripts get the conflict table too
            present(exc.result, fmt, output)
        raise
    present(result, fmt, output)
    if result.status == "merged" and not dry_run:
        say("conclude the merge with 'git commit' (the merged .dvc file and audit log are staged)")


@command("merge-driver", hidden=True)
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("ours", type=click.Path(path_type=Path))
@click.argument("theirs", type=click.Path(path_type=Path))
@click.argument("path")
def merge_driver_cmd(g: GoldsetContext, base: Path, ours: Path, theirs: Path, path: str) -> None:
    """git's merge driver for datasets/*.dvc, datasets/*.audit.jsonl, runs/*.dvc and reports/: git runs it as
    `goldset merge-driver %O %A %B %P` from the repository's top (installed by `goldset init`).
    Exit 0: merged into OURS; exit 1: conflicts, listed on stderr, nothing written."""
    from goldset.merging import merge_audit_driver, merge_driver, merge_runs_driver

    top = Path.cwd()
    if Path(path).parent.name == "reports":
        # Generated files: they describe one version's data, so no merge of two is right.
        # This branch's stay; `goldset snapshot` rewrites them for the merged data.
        say(f"goldset: {path}: kept this branch's; the next 'goldset snapshot' rewrites the reports for the merged data")
        return
    if path.endswith(".audit.jsonl"):
        lines = merge_audit_driver(top, base, ours, theirs, path)
        say(f"goldset: {path}: audit logs merged ({lines} lines)")
        return
    if Path(path).parent.name == "runs":
        runs = merge_runs_driver(top, base, ours, theirs, path)
        if runs.status == "up to date":
            say(f"goldset: {path}: the other branch brings no change to the runs of {runs.dataset}")
        else:
            say(f"goldset: {path}: merged the runs of {runs.dataset} run by run: +{len(runs.added)} "
                f"-{len(runs.removed)} ~{len(runs.replaced)} ({runs.runs} run file(s))")
        return
    result = merge_driver(top, base, ours, theirs, path)
    if result.status == "up to date":
        say(f"goldset: {path}: the other branch brings no change to {result.dataset}")
    else:
        say(f"goldset: {path}: merged {result.dataset} row by row: +{result.added} -{result.removed} "
            f"~{result.updated} ({result.merged_fields} example(s) merged field by field)")
