"""``goldset edit``: change fields of one example."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import RESULT_FORMATS


@command("edit")
@click.argument("example_id", metavar="ID")
@click.option("--input", "input_text", metavar="TEXT", help="New input (its hash is recomputed).")
@click.option("--expected", metavar="TEXT", help="New expected output or label.")
@click.option("--source", metavar="TEXT", help="New source (production, expert, ...).")
@click.option("--metadata", metavar="JSON", help="New metadata: a JSON object (replaces the old one).")
@click.option("--note", help="Why (kept in the audit log).")
@click.option("--keep-approval", is_flag=True,
              help="An approved example whose input or expected changes stays approved, you as its reviewer "
                   "(needs the review right; not on your own examples under require_distinct_reviewer). "
                   "Without it, it goes back to draft.")
@output_options(RESULT_FORMATS)
def edit_cmd(
    g: GoldsetContext, example_id: str, input_text: str | None, expected: str | None, source: str | None,
    metadata: str | None, note: str | None, keep_approval: bool, fmt: str, output: Path | None,
) -> None:
    """Edit one example. Tags, tier and polarity: use `goldset tag`; status: `goldset review`.

    Changing the input or expected of an approved example sends it back to draft (approval
    covers what was reviewed), unless --keep-approval.

    \b
    goldset edit ex-42 --expected refund_flow --note "label was wrong"
    """
    from goldset.curation import edit

    present(edit(g.dataset(), example_id, input=input_text, expected=expected, source=source,
                 metadata=metadata, note=note, keep_approval=keep_approval), fmt, output)
