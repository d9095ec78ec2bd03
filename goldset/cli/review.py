"""``goldset review``: approve, reject or retire examples."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import RESULT_FORMATS


@command("review")
@click.argument("ids", nargs=-1)
@click.option("--where", metavar="EXPR", help="DuckDB boolean expression over the example columns.")
@click.option("--approve", "action", flag_value="approve", help="Status approved: counts toward coverage.")
@click.option("--reject", "action", flag_value="reject", help="Back to draft: needs work.")
@click.option("--retire", "action", flag_value="retire", help="Status retired: kept, never counted.")
@click.option("--note", help="Why (kept in the audit log).")
@click.option("--dry-run", is_flag=True, help="Count the rows that would change; write nothing.")
@output_options(RESULT_FORMATS)
def review_cmd(
    g: GoldsetContext, ids: tuple[str, ...], where: str | None, action: str | None, note: str | None,
    dry_run: bool, fmt: str, output: Path | None,
) -> None:
    """Review examples given by IDS and/or --where; records you as reviewer, now.

    \b
    goldset review ex-1 ex-2 --approve
    goldset review --where "status = 'draft' AND source = 'expert'" --approve --note "batch 7"
    """
    from goldset.curation import review
    from goldset.errors import UsageError

    if action is None:
        raise UsageError("review: give one of --approve, --reject, --retire")
    present(review(g.dataset(), action, ids=list(ids), where=where, note=note, dry_run=dry_run), fmt, output)  # type: ignore[arg-type]
