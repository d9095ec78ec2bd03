"""``goldset validate``: run the dataset's Great Expectations suite; one line per expectation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from goldset.cli.context import (
    GoldsetContext,
    color,
    command,
    deliver,
    format_option,
    rev_option,
    say,
)

if TYPE_CHECKING:
    from goldset.validation.report import ValidationReport

REPORT_FORMATS = ("table", "json", "markdown")  # = goldset.render.REPORT_FORMATS (no import here)


def output_option(f: Any) -> Any:
    return click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                        help="Write the report to FILE instead of stdout (a summary line goes to stderr).")(f)


@command("validate")
@rev_option
@format_option(REPORT_FORMATS)
@click.option("--only", type=click.Choice(["error", "warning"]),
              help="Only expectations of this severity (the exit code follows: warnings never fail).")
@output_option
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when an error-severity expectation fails (for pipelines that read the report).")
@click.option("--sample", type=click.IntRange(1, 1000), default=20, show_default=True, help="Offending ids listed per expectation.")
def validate_cmd(g: GoldsetContext, fmt: str, only: str | None, output: Path | None, exit_zero: bool, sample: int) -> None:
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

    ds = g.dataset()
    report = validate(ds, sample=sample).only(only)  # type: ignore[arg-type]
    if report.suite_source == "default":
        say(f"{report.suite} not found: using the default suite from goldset.yaml "
            "(write it with 'goldset expectations generate', then add your own)")
    deliver(render_validation(report, fmt, color=color() and output is None), output, report.summary())
    if not report.success and not exit_zero:
        from goldset.validation.report import ValidationFailed

        raise ValidationFailed(f"validation failed: {report.errors_failed} error-severity expectation(s) failed "
                               "(use --exit-zero to report without failing)", report.problems())


def _ids(r: Any) -> str:
    shown = ", ".join(r.sample_ids[:5])
    more = (r.unexpected_count or 0) - min(len(r.sample_ids), 5)
    return shown + (f" (+{more:,} more)" if shown and more > 0 else "")


def _rows(report: ValidationReport) -> list[list[Any]]:
    rows = []
    for r in report.results:
        status = "pass" if r.success else "FAIL"
        if r.exception:
            detail = f"could not run: {r.exception}"
        elif r.success:
            detail = ""
        else:
            detail = _ids(r)
            note = next((o.note for o in r.offenders if o.note), None)
            if note:
                detail += f" [{note}]"
            if not detail and r.observed_value is not None:
                detail = f"observed {r.observed_value}"
        count = "" if r.unexpected_count is None else f"{r.unexpected_count:,}"
        rows.append([status, r.severity, r.check, r.description, count, detail])
    return rows


_COLUMNS = ["result", "severity", "check", "expectation", "failing", "offending ids"]


def render_validation(report: ValidationReport, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    if fmt == "markdown":
        from goldset.render import markdown_table

        head = f"**{report.summary()}**\n\nsuite: `{report.suite}` ({report.suite_source})\n\n"
        return head + markdown_table(_COLUMNS, _rows(report))
    from goldset.render import rich_table, rich_to_text

    table = rich_table(_COLUMNS, _rows(report), title=f"{report.dataset}: {report.suite_source} suite", max_width=70)
    return rich_to_text([table, report.summary()], color)
