"""``goldset validate``: run the dataset's Great Expectations suite; one line per expectation."""

from __future__ import annotations

from pathlib import Path

import click

from goldset.cli.context import GoldsetContext, command, output_options, present, rev_option
from goldset.cli.render import REPORT_FORMATS

#: = goldset.validation's Severity (not imported here: --help stays cheap).
SEVERITIES = ("error", "warning")


@command("validate")
@rev_option
@output_options(REPORT_FORMATS)
@click.option("--only", type=click.Choice(SEVERITIES),
              help="Only expectations of this severity (the exit code follows: warnings never fail).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when an error-severity expectation fails (for pipelines that read the report).")
@click.option("--sample", type=click.IntRange(1, 1000), default=20, show_default=True, help="Offending ids listed per expectation.")
def validate_cmd(g: GoldsetContext, fmt: str, output: Path | None, only: str | None, exit_zero: bool, sample: int) -> None:
    """Validate the dataset with its Great Expectations suite.

    Runs expectations/<dataset>.json (or, when it does not exist, the default suite generated
    from goldset.yaml) and prints one line per expectation: pass/fail, severity, how many rows
    fail, and the first offending ids. Exits 1 when an error-severity expectation fails;
    warnings never fail.

    \b
    goldset validate
    goldset validate --only error --format markdown
    goldset validate --format json --output reports/validation.json --exit-zero
    """
    from goldset.validation import validate

    report = validate(g.dataset(), sample=sample).only(only)  # type: ignore[arg-type]
    present(report, fmt, output)
    if not report.success and not exit_zero:
        from goldset.errors import ValidationFailed

        raise ValidationFailed(f"validation failed: {report.errors_failed} error-severity expectation(s) failed "
                               "(use --exit-zero to report without failing)", report.problems())
