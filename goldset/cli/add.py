"""``goldset add``: one example from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import RESULT_FORMATS
from goldset.vocab import STATUSES


@command("add")
@click.argument("input_text", metavar="INPUT")
@click.option("--expected", help="Expected output or label; for a negative, the expected behaviour (e.g. decline).")
@click.option("--id", "example_id", help="Example id (default: derived from the normalized input).")
@click.option("--scenario", "scenarios", multiple=True, metavar="S", help="Scenario id. Repeatable.")
@click.option("--edge-case", "edge_cases", multiple=True, metavar="E", help="Edge-case id. Repeatable.")
@click.option("--tier", metavar="T", help="Launch-bar tier (default: the spec's default_tier).")
@click.option("--negative", is_flag=True, help="Something the model must not do or must decline.")
@click.option("--status", type=click.Choice(STATUSES),
              help="Default: draft. approved is an approval: it needs the review right, and is refused "
                   "under review.require_distinct_reviewer (you would approve your own example).")
@click.option("--source", default="expert", show_default=True)
@click.option("--metadata", metavar="JSON", help="Free-form JSON object.")
@click.option("--restore-removed", is_flag=True, help="Add it back if its id was removed with `goldset remove`.")
@output_options(RESULT_FORMATS)
def add_cmd(
    g: GoldsetContext, input_text: str, expected: str | None, example_id: str | None, scenarios: tuple[str, ...],
    edge_cases: tuple[str, ...], tier: str | None, negative: bool, status: str | None, source: str,
    metadata: str | None, restore_removed: bool, fmt: str, output: Path | None,
) -> None:
    """Add one example.

    \b
    goldset add "I was charged twice, refund me" --scenario refund_request --expected refund_flow
    goldset add "Write my essay for me" --negative --expected decline --scenario out_of_scope
    """
    record = {
        "id": example_id, "input": input_text, "expected": expected, "scenarios": list(scenarios),
        "edge_cases": list(edge_cases), "tier": tier, "polarity": "negative" if negative else None,
        "status": status, "source": source, "metadata": metadata,
    }
    from goldset.ingest import add

    present(add(g.dataset(), [record], restore_removed=restore_removed), fmt, output)
