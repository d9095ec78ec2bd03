from __future__ import annotations

import click

from goldset.cli.context import GoldsetContext, command, emit, format_option
from goldset.cli.results import render_write


@command("add")
@click.argument("input_text", metavar="INPUT")
@click.option("--expected", help="Expected output or label; for a negative, the expected behaviour (e.g. decline).")
@click.option("--id", "example_id", help="Example id (default: derived from the normalized input).")
@click.option("--scenario", "scenarios", multiple=True, metavar="S", help="Scenario id. Repeatable.")
@click.option("--edge-case", "edge_cases", multiple=True, metavar="E", help="Edge-case id. Repeatable.")
@click.option("--tier", metavar="T", help="Launch-bar tier (default: the spec's default_tier).")
@click.option("--negative", is_flag=True, help="Something the model must not do or must decline.")
@click.option("--status", type=click.Choice(["draft", "approved", "retired"]), default="draft", show_default=True)
@click.option("--source", default="expert", show_default=True)
@click.option("--metadata", metavar="JSON", help="Free-form JSON object.")
@format_option(("table", "json"))
def add_cmd(
    g: GoldsetContext, input_text: str, expected: str | None, example_id: str | None, scenarios: tuple[str, ...],
    edge_cases: tuple[str, ...], tier: str | None, negative: bool, status: str, source: str,
    metadata: str | None, fmt: str,
) -> None:
    """Add one example.

    \b
    goldset add "I was charged twice, refund me" --scenario refund_request --expected refund_flow
    goldset add "Write my essay for me" --negative --expected decline --scenario out_of_scope
    """
    record = {
        "id": example_id, "input": input_text, "expected": expected, "scenarios": list(scenarios),
        "edge_cases": list(edge_cases), "tier": tier, "polarity": "negative" if negative else "positive",
        "status": status, "source": source, "metadata": metadata,
    }
    emit(render_write(g.dataset().add([record]), fmt))


@command("remove")
@click.argument("ids", nargs=-1, required=True)
@click.option("--note", help="Why (kept in the audit log).")
@format_option(("table", "json"))
def remove_cmd(g: GoldsetContext, ids: tuple[str, ...], note: str | None, fmt: str) -> None:
    """Remove examples by id (they stay in earlier snapshots). Prefer `review --retire`
    to keep an example out of coverage while keeping its history in the current set."""
    from goldset.errors import UnknownId

    ds = g.dataset()
    present = set(ds.query("SELECT id FROM examples WHERE id IN (SELECT unnest(?::VARCHAR[]))", [list(ids)]).column("id").to_pylist())
    missing = [i for i in ids if i not in present]
    if missing:
        raise UnknownId(f"unknown id(s) in dataset {ds.name!r}: {', '.join(missing[:20])}; nothing removed")
    emit(render_write(ds.remove(list(ids), note=note), fmt))
