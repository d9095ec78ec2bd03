"""``goldset restore``: bring the dataset back to a past version, as a new audited change."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present, say
from goldset.cli.render import RESULT_FORMATS


@command("restore")
@click.option("--rev", required=True, metavar="REV", help="The version to bring back: a tag, commit or branch (see `goldset log`).")
@click.option("--dry-run", is_flag=True, help="Count what would change, and the rights it needs; write nothing.")
@click.option("-m", "--note", metavar="TEXT", help="Why (kept in the audit log, with REV's commit).")
@output_options(RESULT_FORMATS)
def restore_cmd(g: GoldsetContext, rev: str, dry_run: bool, note: str | None, fmt: str, output: Path | None) -> None:
    """Undo changes: make the dataset's examples exactly what they were at REV, every column
    included (who created, edited and reviewed each row, and when), and its removed ids REV's.

    This is a new change on top of the history, not a rewrite of it: it is audited like any
    other write (one `restore` line naming REV), and the next `goldset snapshot` records it.
    Earlier versions, the bad one included, stay readable with `--rev`.

    It needs the rights of what it changes: `import` to bring rows back, `remove` to drop
    rows (or change the removed ids), and, for rows on both sides, the right of each field
    that differs (scenarios, tier, status, ...). Run with --dry-run first to see the counts.

    \b
    goldset log                                   # find the last good version
    goldset restore --rev v6 --dry-run            # what would change
    goldset restore --rev v6 -m "undo the bad CSV import"
    goldset snapshot -m "Back to v6" --tag v8
    """
    from goldset.history import restore

    result = restore(g.workspace(), g.dataset_name, rev, dry_run=dry_run, note=note)
    if result.identical:
        say(f"{result.dataset} already equals {rev} ({result.commit[:12]}): nothing written")
    elif dry_run and result.actions:
        say(f"a restore to {rev} needs the rights: {', '.join(result.actions)}")
    present(result, fmt, output)
