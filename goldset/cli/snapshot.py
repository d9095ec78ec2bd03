"""``goldset snapshot``: commit the dataset's current state (git + DVC), tag it, push it."""

from __future__ import annotations

import click

from goldset.cli.context import GoldsetContext, command, emit, format_option, say


@command("snapshot")
@click.option("-m", "--message", required=True, metavar="MSG", help="What changed since the last snapshot (the commit message).")
@click.option("--tag", metavar="NAME", help="Also tag the commit (e.g. v7): 'eval v12 ran on golden set v7'.")
@click.option("--no-push", is_flag=True, help="Do not 'dvc push' even when a DVC remote is configured.")
@format_option(("table", "json"))
def snapshot_cmd(g: GoldsetContext, message: str, tag: str | None, no_push: bool, fmt: str) -> None:
    """Record the dataset as a version: clean store leftovers, `dvc add` the store, commit the
    .dvc file with the audit log, spec, expectations and reports, optionally tag the commit,
    and `dvc push` the data when a DVC remote is configured.

    Refuses (exit 5) while a merge conflict or a merge/rebase in progress touches those files.

    \b
    goldset snapshot -m "Add 40 refund negatives" --tag v7
    """
    from goldset.snapshot import push_failed, snapshot

    result = snapshot(g.workspace(), g.dataset_name, message, tag, push=not no_push)
    if fmt == "json":
        emit(result.model_dump_json(indent=2))
    else:
        short = (result.commit or "")[:12]
        if result.committed:
            say(f"snapshot {short} of {result.dataset}: {result.rows:,} rows in {result.parts} part(s); committed {', '.join(result.files)}")
        else:
            say(f"nothing changed since the last snapshot ({short}); no new commit")
        if result.leftovers_removed:
            say(f"removed {len(result.leftovers_removed)} leftover file(s) of interrupted writes")
        if result.tag:
            say(f"tagged {short} as {result.tag}")
        if result.pushed:
            say(f"pushed the data to DVC remote {result.remote!r}")
        elif result.remote is None:
            say("no DVC remote configured: the data stays in this machine's DVC cache ('dvc remote add -d storage URL')")
    if result.push_error:
        raise push_failed(result)
