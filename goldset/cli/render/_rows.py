"""What every renderer shares: cells, JSON, Markdown tables, and the one place rich tables and
rich text are built.

User text (inputs, notes, ids, titles, column names from SQL) never goes to rich as markup: every
cell, header and title becomes a :class:`rich.text.Text`, and plain strings are printed with
markup and emoji off, so ``[INST]``, ``[/]`` or ``:smile:`` print as typed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


def jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def literal(value: Any, style: str = "") -> Any:
    """A cell, header or line for rich: text as typed (no markup, no emoji codes). Rich
    renderables (a styled Text, a Table) pass through."""
    from rich.text import Text

    if hasattr(value, "__rich_console__") or hasattr(value, "__rich__"):
        return value
    return Text(cell(value), style=style)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(_md_escape(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md_escape(cell(v)) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def rich_to_text(renderables: Sequence[Any], color: bool, width: int | None = None) -> str:
    """Print rich renderables to a string; plain strings print literally."""
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width or 120, soft_wrap=False,
                      emoji=False)
    for r in renderables:
        console.print(r, markup=False, emoji=False)
    return buf.getvalue()


def rich_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None, max_width: int = 60) -> Any:
    """A rich table whose headers, title and cells are literal text (see :func:`literal`)."""
    from rich.table import Table

    table = Table(title=literal(title) if title is not None else None, show_lines=False, header_style="bold")
    for c in columns:
        table.add_column(literal(c), overflow="ellipsis", max_width=max_width)
    for row in rows:
        table.add_row(*(literal(v) for v in row))
    return table


def render_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: str,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
    color: bool = False,
) -> str:
    cols = list(columns) if columns is not None else (list(rows[0].keys()) if rows else [])
    if fmt == "json":
        return json.dumps([jsonable(dict(r)) for r in rows], ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(jsonable(dict(r)), ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        for r in rows:
            w.writerow([json.dumps(v) if isinstance(v, list) else cell(v) for v in (r.get(c) for c in cols)])
        return buf.getvalue()
    if fmt == "markdown":
        return markdown_table(cols, ([r.get(c) for c in cols] for r in rows))
    return rich_to_text([rich_table(cols, ([r.get(c) for c in cols] for r in rows), title=title)], color)


def render_model(
    model: BaseModel,
    fmt: str,
    *,
    table: Callable[[Any], Sequence[Any]] | None = None,
    markdown: Callable[[Any], str] | None = None,
    color: bool = False,
) -> str:
    """A report: JSON always; table/markdown through the report's own layout functions."""
    if fmt == "json":
        return model.model_dump_json(indent=2) + "\n"
    if fmt == "markdown" and markdown is not None:
        return markdown(model)
    if table is not None:
        return rich_to_text(table(model), color)
    return model.model_dump_json(indent=2) + "\n"


def as_json(model: BaseModel) -> str:
    return model.model_dump_json(indent=2) + "\n"


def lines(*text: str) -> str:
    """Message lines as one text ending with a newline."""
    return "".join(t + "\n" for t in text)
