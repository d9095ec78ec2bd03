"""``goldset audit``: who changed what, from the dataset's audit log."""

from __future__ import annotations

import click

from goldset.cli.context import GoldsetContext, color, command, emit, format_option
from goldset.render import ROW_FORMATS


@command("audit")
@click.option("--since", metavar="DATE", help="From this date or date-time (UTC), or 7d / 12h ago.")
@click.option("--user", metavar="U", help="Only this user.")
@click.option("--op", metavar="OP", help="Only this operation (import, tag, edit, approve, compact, scenario, ...).")
@click.option("--denied", is_flag=True, help="Only refused attempts.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N entries.")
@format_option(ROW_FORMATS)
def audit_cmd(
    g: GoldsetContext, since: str | None, user: str | None, op: str | None, denied: bool, limit: int | None, fmt: str,
) -> None:
    """Show the audit log, oldest first.

    \b
    goldset audit --since 2026-05-01 --op tag
    goldset audit --denied --format jsonl
    """
    from goldset import audit
    from goldset.render import render_rows

    ds = g.dataset()
    entries = audit.filtered(ds.audit_path, since=audit.parse_since(since) if since else None, user=user, op=op,
                             denied_only=denied, limit=limit)
    rows = [e.model_dump() for e in entries]
    if fmt in ("table", "markdown", "csv"):
        cols = ["time", "user", "role", "op", "rows", "allowed", "target", "note"]
        for r in rows:
            ids = r["ids"]
            r["target"] = r["predicate"] or (", ".join(ids[:3]) + (f" (+{len(ids) - 3})" if len(ids) > 3 else ""))
        emit(render_rows(rows, fmt, cols, color=color()))
    else:
        emit(render_rows(rows, fmt))
