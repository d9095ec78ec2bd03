"""Validation of a golden dataset with Great Expectations suites.

``validate(ds)`` runs ``expectations/<dataset>.json`` (or the default suite generated from the
spec) through GX and returns a :class:`ValidationReport`; ``generate_suite(ds)`` writes the
default expectations into the suite file, keeping the user's own. great_expectations itself
is imported only when a validation runs.
"""

from __future__ import annotations

from goldset.validation.report import ExpectationOutcome, Offender, ValidationReport
from goldset.validation.run import validate
from goldset.validation.suite import (
    GenerateResult,
    default_expectations,
    generate_suite,
    load_suite,
    suite_path,
)

__all__ = [
    "ExpectationOutcome",
    "GenerateResult",
    "Offender",
    "ValidationReport",
    "default_expectations",
    "generate_suite",
    "load_suite",
    "suite_path",
    "validate",
]
