"""Production traffic per scenario, read from CSV or JSON, for representativeness checks.

Accepted shapes (one scenario per row or key):

* CSV with a header ``scenario,share`` or ``scenario,count``;
* JSON: a list of ``{"scenario": ..., "share": ...}`` / ``{"scenario": ..., "count": ...}``
  objects, or one object mapping scenario -> count.

Counts are turned into shares of their total. Shares are fractions of all production traffic
(0..1); when they sum to less than 1, the rest is traffic the file does not attribute, which
therefore meets no bar.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from goldset.errors import BadInput
from goldset.store import JsonProblem, json_loads

#: Shares may overshoot 1 by rounding (0.333 + 0.333 + 0.334 and the like).
_SHARE_SLACK = 1e-3


class Traffic(BaseModel):
    """Share of production traffic per scenario id."""

    source: str
    kind: Literal["share", "count"]
    shares: dict[str, float]
    total_count: int | None = None

    @property
    def attributed(self) -> float:
        return sum(self.shares.values())


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise BadInput(f"{where}: {value!r} is not a number")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"{where}: {value!r} is not a number") from None
    if math.isnan(x) or math.isinf(x) or x < 0:
        raise BadInput(f"{where}: {value!r} must be a finite number >= 0")
    return x


def _from_pairs(pairs: list[tuple[Any, Any]], kind: Literal["share", "count"], source: str) -> Traffic:
    if not pairs:
        raise BadInput(f"{source}: no traffic rows; expected scenario,share or scenario,count")
    values: dict[str, float] = {}
    for i, (scenario, raw) in enumerate(pairs, start=1):
        scenario = str(scenario or "").strip()
        if not scenario:
            raise BadInput(f"{source}: row {i}: empty scenario")
        if scenario in values:
            raise BadInput(f"{source}: row {i}: scenario {scenario!r} listed twice")
        values[scenario] = _number(raw, f"{source}: row {i} ({scenario}) {kind}")
    total = sum(values.values())
    if kind == "count":
        if total <= 0:
            raise BadInput(f"{source}: all counts are zero")
        return Traffic(source=source, kind=kind, shares={k: v / total for k, v in values.items()}, total_count=int(total))
    if total > 1 + _SHARE_SLACK:
        raise BadInput(
            f"{source}: shares sum to {total:g}; give fractions of all traffic (0..1), "
            "or use a 'count' column for raw counts"
        )
    return Traffic(source=source, kind=kind, shares=values)


def _kind(columns: list[str], source: str) -> Literal["share", "count"]:
    if "scenario" not in columns:
        raise BadInput(f"{source}: needs a 'scenario' column (found: {', '.join(columns) or 'none'})")
    has_share, has_count = "share" in columns, "count" in columns
    if has_share == has_count:
        raise BadInput(f"{source}: needs exactly one of the columns 'share' or 'count' (found: {', '.join(columns)})")
    return "share" if has_share else "count"


def parse_traffic(text: str, source: str, fmt: Literal["csv", "json"]) -> Traffic:
    if fmt == "json":
        try:
            data = json_loads(text)  # depth-limited, duplicate keys refused: no silent last-wins
        except JsonProblem as exc:
            raise BadInput(f"{source}: {exc}") from None
        if isinstance(data, dict):
            return _from_pairs(list(data.items()), "count", source)
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise BadInput(f"{source}: expected a list of {{scenario, share|count}} objects or a {{scenario: count}} object")
        if not data:
            raise BadInput(f"{source}: no traffic rows")
        kind = _kind(sorted({k for r in data for k in r}), source)
        return _from_pairs([(r.get("scenario"), r.get(kind)) for r in data], kind, source)
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    kind = _kind(columns, source)
    if len(set(columns)) != len(columns):
        raise BadInput(f"{source}: the header names a column twice ({', '.join(columns)})")
    reader.fieldnames = columns
    pairs = []
    for r in reader:
        if None in r:  # csv puts fields beyond the header under None: never drop them silently
            raise BadInput(f"{source}: line {reader.line_num}: more fields than the header's {len(columns)}")
        pairs.append((r.get("scenario"), r.get(kind)))
    return _from_pairs(pairs, kind, source)


def read_traffic(path: Path) -> Traffic:
    """Read a traffic file; ``.json`` is JSON, anything else CSV."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(f"--traffic: {path}: no such file") from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise BadInput(f"--traffic: {path}: not a UTF-8 text file") from None
    fmt: Literal["csv", "json"] = "json" if path.suffix.lower() == ".json" else "csv"
    return parse_traffic(text, str(path), fmt)
