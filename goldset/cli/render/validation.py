"""``goldset validate``: one line per expectation; ``goldset expectations generate``: what was
written."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import as_json, lines, markdown_table, rich_table, rich_to_text

if TYPE_CHECKING:
    from goldset.validation import ExpectationOutcome, GenerateResult, ValidationReport

_COLUMNS = ["result", "severity", "check", "expectation", "failing", "offending ids"]


def _ids(r: ExpectationOutcome) -> str:
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
            detail = r.unexpected_text(5) if r.unexpected_values else _ids(r)
            note = next((o.note for o in r.offenders if o.note), None)
            if note:
                detail += f" [{note}]"
            if not detail and r.observed_value is not None:
                detail = f"observed {r.observed_value}"
        count = "" if r.unexpected_count is None else f"{r.unexpected_count:,}"
        rows.append([status, r.severity, r.check, r.description, count, detail])
    return rows


def render_validation(report: ValidationReport, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return as_json(report)
    if fmt == "markdown":
        from goldset.coverage import page

        head = f"**{report.summary()}**\n\nsuite: `{report.suite}` ({report.suite_source})\n\n"
        foot = (f"\n<sub>as of {report.validated_at:%Y-%m-%d %H:%M} UTC; {escape(page.subject_line(report))}; "
                "by goldset validate</sub>\n")
        return head + markdown_table(_COLUMNS, _rows(report)) + foot
    table = rich_table(_COLUMNS, _rows(report), title=f"{report.dataset}: {report.suite_source} suite", max_width=70)
    return rich_to_text([table, report.summary()], color)


def _validation_notes(report: ValidationReport, **_: Any) -> list[str]:
    if report.suite_source != "default":
        return []
    return [f"{report.suite} not found: using the default suite from goldset.yaml "
            "(write it with 'goldset expectations generate', then add your own)"]


def _generated(result: GenerateResult) -> str:
    verb = "created" if result.created else "updated"
    return (f"{verb} {result.path}: {result.generated} generated expectation(s)"
            f"{f' (replacing {result.replaced})' if result.replaced else ''}, {result.kept} of yours kept")


def render_generated(result: GenerateResult, fmt: str, **_: Any) -> str:
    return as_json(result) if fmt == "json" else lines(_generated(result))


KINDS = {
    "ValidationReport": Kind(render_validation, lambda r: r.summary(), _validation_notes),
    "GenerateResult": Kind(render_generated, _generated, message=True),
}
