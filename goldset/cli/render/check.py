"""``goldset check``: the validation report, the coverage gate line, the verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import as_json

if TYPE_CHECKING:
    from goldset.validation import CheckReport


def verdict(report: CheckReport) -> str:
    v = "passed" if report.validation_passed else "FAILED"
    c = "passed" if report.coverage_gate_passed else "FAILED"
    return f"check {'passed' if report.passed else 'FAILED'}: validation {v}, coverage gate {c}"


def render(report: CheckReport, fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return as_json(report)
    from goldset.cli.render.coverage import gate_line
    from goldset.cli.render.validation import render_validation

    if fmt == "markdown":
        return (f"## {verdict(report)}\n\n### Validation\n\n" + render_validation(report.validation, "markdown")
                + f"\n### Coverage\n\n{gate_line(report.coverage)}\n")
    return render_validation(report.validation, "table", color=color) + gate_line(report.coverage) + "\n" + verdict(report) + "\n"


KINDS = {"CheckReport": Kind(render, verdict)}
