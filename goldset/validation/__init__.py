"""Validation of a golden dataset with Great Expectations suites.

Owns: the suite file ``expectations/<dataset>.json`` and the default expectations generated
from the spec (``_suite``), the frames GX validates, computed in DuckDB (``_prepare``), the
PII patterns (``_pii``), the GX run behind ``validate`` (``_validate``), the report (``_report``), and ``check``:
validation plus the coverage gate in one verdict (``_check``), and ``launch``: that plus a
model run's launch bar on the same revision (``_launch``). great_expectations itself is
imported only when a validation runs.
"""

from __future__ import annotations

from goldset.validation import _pii as pii
from goldset.validation._check import CheckReport, run_check
from goldset.validation._launch import LaunchReport, launch
from goldset.validation._redact import RedactResult, redact_pii
from goldset.validation._report import ExpectationOutcome, Offender, ValidationReport
from goldset.validation._suite import (
    GenerateResult,
    default_expectations,
    generate_suite,
    load_suite,
    suite_path,
    write_default_suite,
)
from goldset.validation._validate import import_gx, validate

__all__ = [
    "CheckReport",
    "ExpectationOutcome",
    "GenerateResult",
    "LaunchReport",
    "Offender",
    "RedactResult",
    "ValidationReport",
    "default_expectations",
    "generate_suite",
    "import_gx",
    "launch",
    "load_suite",
    "pii",
    "redact_pii",
    "run_check",
    "suite_path",
    "validate",
    "write_default_suite",
]
