"""``goldset check``: validate + coverage gate, one document, one exit code (for CI)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from goldset.cli.context import GoldsetContext, color, command, deliver, format_option
from goldset.cli.validate import REPORT_FORMATS, output_option

if TYPE_CHECKING:
    from goldset.validation.check import CheckReport


@command("check")
@format_option(REPORT_FORMATS)
@output_option
@click.option("--sample", type=click.IntRange(1, 1000), default=20, show_default=True, help="Offending ids listed per expectation.")
def check_cmd(g: GoldsetContext, fmt: str, output: Path | None, sample: int) -> None:
    """Validate the dataset and apply the coverage gate: exit 1 if either fails.

    \b
    goldset check                      # both reports, then the verdict
    goldset check --format json > check.json
    """
    from goldset.validation.check import run_check

    report = run_check(g.dataset(), sample=sample)
    deliver(render_check(report, fmt, color=color() and output is None), output, _verdict(report))
    if not report.passed:
        from goldset.validation.report import ValidationFailed

        raise ValidationFailed(f"check failed: {len(report.failures)} problem(s)", report.failures)


def _verdict(report: CheckReport) -> str:
    v = "passed" if report.validation_passed else "FAILED"
    c = "passed" if report.coverage_gate_passed else "FAILED"
    return f"check {'passed' if report.passed else 'FAILED'}: validation {v}, coverage gate {c}"


def render_check(report: CheckReport, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    from goldset.cli.validate import render_validation
    from goldset.coverage_render import gate_line

    if fmt == "markdown":
        return (f"## {_verdict(report)}\n\n### Validation\n\n" + render_validation(report.validation, "markdown")
                + f"\n### Coverage\n\n{gate_line(report.coverage)}\n")
    return render_validation(report.validation, "table", color=color) + gate_line(report.coverage) + "\n" + _verdict(report) + "\n"
