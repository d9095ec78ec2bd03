"""``goldset check``: validate + coverage gate, one document, one exit code (for CI)."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present
from goldset.cli.render import REPORT_FORMATS


@command("check")
@output_options(REPORT_FORMATS)
@click.option("--sample", type=click.IntRange(1, 1000), default=20, show_default=True, help="Offending ids listed per expectation.")
def check_cmd(g: GoldsetContext, fmt: str, output: Path | None, sample: int) -> None:
    """Validate the dataset and apply the coverage gate: exit 1 if either fails.

    \b
    goldset check                      # both reports, then the verdict
    goldset check --format json > check.json
    """
    from goldset.validation import run_check

    report = run_check(g.dataset(), sample=sample)
    present(report, fmt, output)
    if not report.passed:
        from goldset.errors import ValidationFailed

        raise ValidationFailed(f"check failed: {len(report.failures)} problem(s)", report.failures)
