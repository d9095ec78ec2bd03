"""PII patterns checked in ``input`` and ``expected``: built-ins, overridable in the spec.

The built-ins use explicit ASCII classes (``[0-9]``, no ``\\d``/``\\b``/``\\s``) on purpose:
pandas runs such patterns through pyarrow's RE2 (about 0.1 s per million rows); a pattern with
``\\d``, ``\\b`` or ``\\s`` falls back to Python's ``re`` on non-ASCII data, 10-15x slower.
User patterns may use any Python syntax (pandas falls back transparently, just slower).
All patterns of a column are checked in one pass, as one alternation; which kinds matched is
worked out afterwards, for the sample of offending rows only.
"""

from __future__ import annotations

import re
from typing import Final

from goldset.spec import DatasetSpec

_NOT_DIGIT_BEFORE = "(?:^|[^0-9])"
_NOT_DIGIT_AFTER = "(?:$|[^0-9])"

BUILTIN_PATTERNS: Final[dict[str, str]] = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    # +1 (555) 123-4567, 555-123-4567, +44 20 7946 0958; not bare 8-digit numbers.
    "phone": _NOT_DIGIT_BEFORE
    + r"(?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{2,4}\)[ .-]?|[0-9]{2,4}[ .-])[0-9]{3,4}[ .-]?[0-9]{3,4}"
    + _NOT_DIGIT_AFTER,
    # 13-19 digits in groups of four, as printed on cards (4111 1111 1111 1111).
    "payment_card": _NOT_DIGIT_BEFORE + r"[0-9]{4}(?:[ -]?[0-9]{4}){2}[ -]?[0-9]{1,7}" + _NOT_DIGIT_AFTER,
    "iban": r"(?:^|[^A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?:$|[^A-Za-z0-9])",
    "us_ssn": _NOT_DIGIT_BEFORE + r"[0-9]{3}-[0-9]{2}-[0-9]{4}" + _NOT_DIGIT_AFTER,
}

#: The example columns PII is looked for in.
PII_COLUMNS: Final = ("input", "expected")


def patterns(spec: DatasetSpec) -> dict[str, str]:
    """Built-ins overridden by the spec's ``pii.patterns`` (null turns one off)."""
    merged: dict[str, str | None] = {**BUILTIN_PATTERNS, **spec.pii.patterns}
    return {name: p for name, p in merged.items() if p}


def combined(pats: dict[str, str]) -> str:
    """One regex matching where any of the patterns matches."""
    return "|".join(f"(?:{p})" for p in pats.values())


def kinds_in(text: str | None, pats: dict[str, str]) -> list[str]:
    """Names of the patterns found in ``text`` (for the report's sample rows)."""
    if not text:
        return []
    return [name for name, p in pats.items() if re.search(p, text)]
