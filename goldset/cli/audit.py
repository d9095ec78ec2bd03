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
@click.option("--verify", is_flag=True, help="Check the log's hash chain instead of listing it: exit 1 at the first broken link.")
@output_options(ROW_FORMATS)
def audit_cmd(
    g: GoldsetContext, since: str | None, user: str | None, op: str | None, denied: bool, limit: int | None,
    verify: bool, fmt: str, output: Path | None,
) -> None:
    """Show the audit log, oldest first.

    \b
    goldset audit --since 2026-05-01 --op tag
    goldset audit --denied --format jsonl
    goldset audit --verify         # every line chained to the one before; exit 1 if not
    """
    from goldset.access import audit

    if verify:
        from goldset.errors import CheckFailed
        from goldset.workspace import verify_audit

        report = verify_audit(g.dataset())
        present(report, "json" if fmt == "json" else "table", output)
        if not report.ok:
            raise CheckFailed(f"audit log {report.path}: {report.first_break}")
        return
    for problem in audit.read_log(g.dataset().audit_path).problems:
        click.echo(f"warning: {problem}", err=True)

    entries = audit.filtered(g.dataset().audit_path, since=audit.parse_since(since) if since else None, user=user,
                             op=op, denied_only=denied, limit=limit)
    present(entries, fmt, output, kind="audit")
