"""The hygiene checks as validation sees them: one :class:`HygieneCheck` per check the spec
configures (``near_duplicates:``, ``leakage:``; ``goldset.hygiene.hygiene_checks`` runs them),
shaped like a validation outcome so that ``goldset.validation`` can append it to its report.

A check never raises for what it finds, nor for a training file it cannot read: that is a
failed check whose ``exception`` says why (a snapshot records a failing check, it does not
refuse).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class CheckOffender(BaseModel):
    """One offending example: its id, its input, and why."""

    id: str
    value: Any = None
    note: str | None = None


class HygieneCheck(BaseModel):
    #: ``near_duplicates`` or ``leakage``.
    check: str
    description: str
    #: The expectation type validation shows (``goldset_near_duplicates``, ``goldset_leakage``).
    type: str
    severity: Literal["error", "warning"]
    success: bool
    #: Examples checked.
    element_count: int = 0
    #: Offending examples (in a near-duplicate cluster; leaked into the training data).
    unexpected_count: int = 0
    unexpected_percent: float | None = None
    observed_value: dict[str, Any] = Field(default_factory=dict)
    #: The first offending examples.
    offenders: list[CheckOffender] = Field(default_factory=list)
    #: Set when the check could not run (a training file missing or unreadable).
    exception: str | None = None

    def problems(self) -> list[str]:
        """One line per reason the check fails (none when it passes)."""
        if self.success:
            return []
        if self.exception is not None:
            return [f"{self.check}: could not run: {self.exception}"]
        ids = ", ".join(o.id for o in self.offenders[:10])
        more = " ..." if self.unexpected_count > 10 else ""
        return [f"{self.check} ({self.severity}): {self.unexpected_count:,} example(s): {ids}{more}"]


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 4) if whole else None
