"""``goldset pii redact``: replace validated PII with typed placeholders, as an audited edit."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import (
    GoldsetContext,
    command,
    common_options,
    output_options,
    present,
    say,
)
from goldset.cli.render import RESULT_FORMATS


@click.group("pii", context_settings={"help_option_names": ["-h", "--help"]})
@common_options
def pii_cmd() -> None:
    """Personal data in examples. `goldset validate` finds it (validated: a card's Luhn digit,
    an IBAN's checksum, a phone number parsed for its country); `goldset pii redact` removes it.
    """


@command("redact")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--all", "all_examples", is_flag=True, help="Every example with PII (except those tagged with pii.exempt_edge_cases).")
@click.option("--dry-run", is_flag=True, help="Count the examples and hits; write nothing.")
@click.option("--keep-approval", is_flag=True, help="Keep approved examples approved (needs the review right).")
@click.option("-m", "--note", metavar="TEXT", help="Why (kept in the audit log).")
@output_options(RESULT_FORMATS)
def _redact(g: GoldsetContext, ids: tuple[str, ...], all_examples: bool, dry_run: bool, keep_approval: bool,
            note: str | None, fmt: str, output: Path | None) -> None:
    """Replace validated PII in the input and expected of IDs (or --all) with placeholders:
    [EMAIL], [PHONE], [CARD], [IBAN], [SSN], or [NAME] for a pattern of your spec.

    One audited edit (`pii-redact`); like any edit of input or expected, an approved example
    goes back to draft unless --keep-approval. The audit log names the ids, never the PII.

    \b
    goldset pii redact --all --dry-run       # how many examples, which kinds
    goldset pii redact refund-018 account-018
    goldset validate                          # passes: nothing left to flag
    """
    from goldset.validation import redact_pii

    result = redact_pii(g.dataset(), list(ids), all_examples=all_examples, dry_run=dry_run,
                        keep_approval=keep_approval, note=note)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(result.kinds.items())) or "none"
    say(f"{'would redact' if dry_run else 'redacted'} {result.found} example(s) in {result.dataset}; hits: {kinds}")
    present(result, fmt, output)


pii_cmd.add_command(_redact)
