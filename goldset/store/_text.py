"""Text rules every write path shares (import, add, edit), so a value is accepted or refused
alike whichever way it arrives:

- *blank*: empty or only whitespace, Unicode spaces included (tab, U+00A0, U+3000, ...):
  :data:`BLANK_CHARS`, tested in Python by :func:`is_blank` and in DuckDB by :func:`blank_sql`;
- *valid Unicode*: no lone surrogate (a ``"\\ud800"`` JSON escape, or undecodable bytes of a
  command-line argument), :func:`lone_surrogate`;
- *metadata JSON*: :func:`loads` parses a JSON text goldset accepts: nested at most
  :data:`MAX_JSON_DEPTH` levels (checked before the parser recurses), no duplicate key in an
  object, no ``NaN`` / ``Infinity`` and no number too large for a double. Integers stay exact.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

#: Deepest nesting of objects and lists accepted in a row (the row's own object is level 1).
MAX_JSON_DEPTH: Final = 64

#: Characters a blank value consists of: Python's ``str.isspace`` set (ASCII and Unicode
#: spaces, line and paragraph separators), plus the zero-width space and the BOM.
BLANK_CHARS: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\u200b\ufeff"
)

_SURROGATE = re.compile("[\ud800-\udfff]")
#: A JSON string (escapes included); what :func:`json_depth` skips.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


class JsonProblem(ValueError):
    """A JSON text goldset refuses; the message says why (no field name: the caller adds it)."""


def is_blank(text: str | None) -> bool:
    """None, empty, or only :data:`BLANK_CHARS`."""
    return text is None or not text.strip(BLANK_CHARS)


def blank_sql(col: str) -> str:
    """DuckDB: the value of ``col`` (a column or expression) is blank, as :func:`is_blank`.

    A value whose first character is not blank is not blank: that test (``unicode``, the
    first code point; -1 for '') settles almost every row, and the trim over the whole set of
    blank characters, 60x dearer, runs only for the rest. A CASE, not AND: DuckDB evaluates
    both sides of an AND for every row, but a CASE branch only for the rows that reach it
    (the trim for every row cost 16% of a 1M-row import)."""
    chars = " || ".join(f"chr({ord(c)})" for c in BLANK_CHARS)
    firsts = ", ".join(str(ord(c)) for c in BLANK_CHARS)
    return (f"(CASE WHEN {col} IS NULL THEN true WHEN unicode({col}) IN (-1, {firsts}) "
            f"THEN trim({col}, {chars}) = '' ELSE false END)")


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` as an escape (``\\ud800``), or None. Such text
    cannot be stored: it is not valid Unicode (UTF-8 cannot encode it)."""
    m = _SURROGATE.search(text)
    return None if m is None else f"\\u{ord(m.group()):04x}"


def json_depth(data: bytes) -> int:
    """Deepest nesting of ``[`` / ``{`` in a JSON text, brackets inside strings ignored. No
    parser recursion: linear in the length, safe on any input (a line nested 100,000 deep)."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKET)
    depth = deepest = 0
    for b in brackets:
        if b in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """``data`` nests deeper than ``limit``. Cheap for most texts: fewer opening brackets
    than the limit cannot nest deeper than it."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    return json_depth(data) > limit


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonProblem(f"duplicate key {json.dumps(key, ensure_ascii=False)}")
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    raise JsonProblem(f"{name} is not valid JSON; write null, or the text \"{name}\"")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonProblem(f"the number {text[:24]} is too large for a double; write it as a string")
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant, parse_float=_float)


def loads(text: str | bytes) -> Any:
    """Parse one JSON text under the rules above; JsonProblem says why one is refused."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if too_deep(data):
        raise JsonProblem(f"nested deeper than {MAX_JSON_DEPTH} levels")
    s = text.decode("utf-8") if isinstance(text, bytes) else text
    try:
        return _DECODER.decode(s)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}" if exc.lineno > 1 else f"column {exc.colno}"
        raise JsonProblem(f"malformed JSON: {exc.msg} at {where}") from None
    except JsonProblem:
        raise
    except RecursionError:  # not reached below MAX_JSON_DEPTH; kept as a last fence
        raise JsonProblem(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise JsonProblem(f"malformed JSON: {str(exc).splitlines()[0]}") from None


def raw_decode(text: str, pos: int) -> tuple[Any, int]:
    """The JSON value of ``text`` starting at ``pos``, and where it ends (an item of a JSON
    document), under the rules of :func:`loads`. The caller checks the depth of the item
    (:func:`too_deep` on its text); one nested past Python's recursion limit raises
    RecursionError (cleanly: the parser checks the limit). JSONDecodeError and JsonProblem
    say what is wrong."""
    return _DECODER.raw_decode(text, pos)


def dumps(value: Any) -> str:
    """Compact JSON text as goldset stores metadata: key order kept, non-ASCII as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
