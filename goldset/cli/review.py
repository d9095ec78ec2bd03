"""``goldset review``: approve, reject or retire examples."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, limit_options, output_options, present
from goldset.cli.render import RESULT_FORMATS


@command("review")
@click.argument("ids", nargs=-1)
@click.option("--where", metavar="EXPR", help="DuckDB boolean expression over the example columns.")
@click.option("--approve", is_flag=True, help="Status approved: counts toward coverage.")
@click.option("--reject", is_flag=True, help="Back to draft: needs work.")
@click.option("--retire", is_flag=True, help="Status retired: kept, never counted.")
@click.option("--note", help="Why (kept in the audit log).")
@click.option("--dry-run", is_flag=True, help="Count the rows that would change; write nothing.")
@limit_options
@output_options(RESULT_FORMATS)
def review_cmd(
    g: GoldsetContext, ids: tuple[str, ...], where: str | None, approve: bool, reject: bool, retire: bool, note: str | None,
    dry_run: bool, timeout_s: float | None, memory_limit: str | None, fmt: str, output: Path | None,
) -> None:
    """Review examples given by IDS and/or --where; records you as reviewer, now.

    \b
    goldset review ex-1 ex-2 --approve
    goldset review --where "status = 'draft' AND source = 'expert'" --approve --note "batch 7"
    """
    from goldset.curation import review
    from goldset.errors import UsageError

    actions = [a for a, on in (("approve", approve), ("reject", reject), ("retire", retire)) if on]
    if len(actions) != 1:
        given = f" (got --{' --'.join(actions)})" if actions else ""
        raise UsageError(f"review: give exactly one of --approve, --reject, --retire{given}")
    action = actions[0]
    result = review(g.dataset(), action, ids=list(ids), where=where, note=note, dry_run=dry_run,  # type: ignore[arg-type]
                    timeout_s=timeout_s, memory_limit=memory_limit)
    present(result, fmt, output)
