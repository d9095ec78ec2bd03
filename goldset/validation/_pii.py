"""PII in ``input`` and ``expected``: found by pattern, then validated, then masked or redacted.

A pattern only proposes a candidate; the kind's validator decides (python-stdnum, phonenumbers:
well-kept libraries, not hand-written checksums): a card number must pass the Luhn check, an
IBAN its mod-97 checksum, a phone number must parse as a valid number of its country (with a
+code) or of one of ``pii.phone_regions``, an SSN must lie outside the reserved ranges. So
``4111 1111 1111 1112`` and ``555-123-4567`` are not PII, and a hit is worth an error. A
pattern of the spec's own has no validator: its match is the hit.

Candidates are found in one pass over each column, by DuckDB with RE2 (the built-ins use
explicit ASCII classes, no ``\\d``/``\\b``/``\\s``, so RE2 takes them); only the rows with a
candidate reach Python. A spec pattern RE2 cannot compile is matched with Python's ``re``
over every row instead (correct, slower).

Reports never repeat the PII they found: a hit is shown masked (``4111…1111``), since
``reports/validation.json`` is committed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
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

#: What a redaction puts in place of a hit, per kind (a spec pattern: its name, upper case).
PLACEHOLDERS: Final[dict[str, str]] = {
    "email": "[EMAIL]", "phone": "[PHONE]", "payment_card": "[CARD]", "iban": "[IBAN]", "us_ssn": "[SSN]",
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


@dataclass(frozen=True)
class Hit:
    kind: str
    start: int
    end: int
    text: str

    @property
    def masked(self) -> str:
        t = self.text
        return f"{t[:4]}…{t[-4:]}" if len(t) > 10 else f"{t[:1]}…"


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def _card(text: str, _: list[str]) -> bool:
    from stdnum import luhn

    digits = _digits(text)
    return 13 <= len(digits) <= 19 and bool(luhn.is_valid(digits))


def _iban(text: str, _: list[str]) -> bool:
    from stdnum import iban

    return bool(iban.is_valid(text))


def _ssn(text: str, _: list[str]) -> bool:
    from stdnum.us import ssn

    return bool(ssn.is_valid(text))


def _phone(text: str, regions: list[str]) -> bool:
    import phonenumbers

    for region in ([None] if text.lstrip().startswith("+") else regions):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


VALIDATORS: Final[dict[str, Callable[[str, list[str]], bool]]] = {
    "payment_card": _card, "iban": _iban, "us_ssn": _ssn, "phone": _phone,
}


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The hit without the boundary characters the pattern consumed around it."""
    while start < end and not text[start].isalnum() and text[start] not in "+(":
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


class Finder:
    """Validated PII hits in a text, for one dataset's spec (patterns compiled once)."""

    def __init__(self, spec: DatasetSpec) -> None:
        self.patterns = patterns(spec)
        self.compiled = {name: re.compile(p) for name, p in self.patterns.items()}
        self.regions = [r.upper() for r in spec.pii.phone_regions]
        self.exempt = list(spec.pii.exempt_edge_cases)

    def hits(self, text: str | None) -> list[Hit]:
        if not text:
            return []
        found: list[Hit] = []
        for name, rx in self.compiled.items():
            check = VALIDATORS.get(name) if name in BUILTIN_PATTERNS and self.patterns[name] == BUILTIN_PATTERNS[name] else None
            for m in rx.finditer(text):
                start, end = _trimmed(text, m.start(), m.end()) if name in BUILTIN_PATTERNS else (m.start(), m.end())
                value = text[start:end]
                if value and (check is None or check(value, self.regions)):
                    found.append(Hit(name, start, end, value))
        # Overlaps (a card number that also looks like a phone number): the first kind found wins.
        found.sort(key=lambda h: (h.start, -(h.end - h.start)))
        out: list[Hit] = []
        for h in found:
            if not out or h.start >= out[-1].end:
                out.append(h)
        return out

    def describe(self, text: str | None) -> str | None:
        """The hits as a report shows them: kind and masked value, never the PII itself."""
        hits = self.hits(text)
        return ", ".join(f"{h.kind} ({h.masked})" for h in hits) or None

    def redact(self, text: str | None) -> str | None:
        """``text`` with every hit replaced by its kind's placeholder."""
        if not text:
            return text
        hits = self.hits(text)
        for h in reversed(hits):
            text = text[: h.start] + PLACEHOLDERS.get(h.kind, f"[{h.kind.upper()}]") + text[h.end :]
        return text


def kinds_in(text: str | None, pats: dict[str, str]) -> list[str]:
    """Names of the patterns found in ``text`` (for a suite file's regex-only PII checks)."""
    if not text:
        return []
    return [name for name, p in pats.items() if re.search(p, text)]
