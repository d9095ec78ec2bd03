"""Rows: a list of mappings or a pyarrow table (query), the examples of ``list``, and one
example (``show``) as field/value pairs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import jsonable, render_rows

if TYPE_CHECKING:
    import pyarrow as pa

#: ``goldset list`` in a table or Markdown; --all-columns (and json/jsonl/csv) show every column.
EXAMPLE_COLUMNS = ["id", "input", "expected", "polarity", "scenarios", "edge_cases", "tier", "status"]
_MACHINE = ("json", "jsonl", "csv")


def _pylist(result: Any) -> tuple[list[dict[str, Any]], list[str] | None]:
    """Rows, and the column names when the result knows them even with no rows."""
    if hasattr(result, "to_pylist") and hasattr(result, "schema"):  # a pyarrow table
        return result.to_pylist(), list(result.schema.names)
    rows = [dict(r) for r in result]
    return rows, None


def render(result: Any, fmt: str, *, color: bool = False, columns: Sequence[str] | None = None,
           title: str | None = None, **_: Any) -> str:
    rows, names = _pylist(result)
    return render_rows(rows, fmt, columns if columns is not None else names, title=title, color=color)


def render_examples(result: Any, fmt: str, *, color: bool = False, all_columns: bool = False, **_: Any) -> str:
    rows, names = _pylist(result)
    columns = names if (all_columns or fmt in _MACHINE) else EXAMPLE_COLUMNS
    return render_rows(rows, fmt, columns, color=color)


def render_record(result: Mapping[str, Any], fmt: str, *, color: bool = False, **_: Any) -> str:
    if fmt == "json":
        return json.dumps(jsonable(result), ensure_ascii=False, indent=2) + "\n"
    return render_rows([{"field": k, "value": v} for k, v in result.items()], "table", color=color)


def stream_rows(batches: Iterable[pa.RecordBatch], fmt: str, columns: Sequence[str]) -> Iterator[str]:
    """Text of ``fmt`` (json, jsonl, csv, markdown) one record batch at a time; the pieces
    joined are exactly what the whole result renders to."""
    first = True
    for batch in batches:
        rows = batch.to_pylist()
        if fmt == "jsonl":  # as render_rows writes it; json.dumps converts only what it must
            yield "".join(json.dumps(r, ensure_ascii=False, default=jsonable) + "\n" for r in rows)
            first = False
            continue
        if fmt == "json":
            for r in rows:
                item = json.dumps({c: r.get(c) for c in columns}, ensure_ascii=False, indent=2, default=jsonable)
                yield ("[\n" if first else ",\n") + "  " + item.replace("\n", "\n  ")
                first = False
            continue
        text = render_rows(rows, fmt, columns)
        if not first and fmt in ("csv", "markdown"):  # their header once
            text = text.split("\n", 2 if fmt == "markdown" else 1)[-1]
        first = False
        yield text
    if fmt == "json":
        yield "[]\n" if first else "\n]\n"
    elif first:
        yield render_rows([], fmt, columns)


def _count(result: Any) -> str:
    n = result.num_rows if hasattr(result, "num_rows") else len(result)
    return f"{n:,} row(s)"


def _record_summary(result: Mapping[str, Any]) -> str:
    return f"example {result.get('id', '')}"


KINDS = {
    "rows": Kind(render, _count),
    "examples": Kind(render_examples, _count),
    "record": Kind(render_record, _record_summary),
}
