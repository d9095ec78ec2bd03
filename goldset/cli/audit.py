"""``goldset audit``: who changed what, from the dataset's audit log."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import ROW_FORMATS


@command("audit")
@click.option("--since", metavar="DATE", help="From this date or date-time (UTC), or 7d / 12h ago.")
@click.option("--user", metavar="U", help="Only this user.")
@click.option("--op", metavar="OP", help="Only this operation (import, tag, edit, approve, compact, scenario, ...).")
@click.option("--denied", is_flag=True, help="Only refused attempts.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N entries.")
@output_options(ROW_FORMATS)
def audit_cmd(
    g: GoldsetContext, since: str | None, user: str | None, op: str | None, denied: bool, limit: int | None,
    fmt: str, output: Path | None,
) -> None:
    """Show the audit log, oldest first.

    \b
    goldset audit --since 2026-05-01 --op tag
    goldset audit --denied --format jsonl
    """
    from goldset.access import audit

    entries = audit.filtered(g.dataset().audit_path, since=audit.parse_since(since) if since else None, user=user,
                             op=op, denied_only=denied, limit=limit)
    present(entries, fmt, output, kind="audit")
