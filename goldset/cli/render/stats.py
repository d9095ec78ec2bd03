"""``goldset stats``: counts by status, polarity, tier and scenario."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import markdown_table, render_model, rich_table

if TYPE_CHECKING:
    from goldset.query import Stats


def _sections(s: Stats) -> Iterator[tuple[str, list[str], list[Any]]]:
    yield "status", ["status", "examples"], list(s.by_status.items())
    yield "polarity", ["polarity", "examples"], list(s.by_polarity.items())
    yield "tier", ["tier", "examples"], list(s.by_tier.items())
    yield "scenario", ["scenario", "total", "positive", "negative", "approved"], [
        [k, v["total"], v["positive"], v["negative"], v["approved"]] for k, v in s.by_scenario.items()
    ]


def summary(s: Stats) -> str:
    return f"{s.rows:,} examples in {s.parts} part(s); {s.untagged:,} without a scenario"


def _table(s: Stats) -> list[object]:
    from rich.text import Text

    out: list[object] = [Text.assemble((s.dataset, "bold"), f": {summary(s)}")]
    out += [rich_table(cols, rows, title=f"by {name}") for name, cols, rows in _sections(s)]
    return out


def _markdown(s: Stats) -> str:
    text = f"**{s.dataset}**: {summary(s)}\n\n"
    return text + "\n".join(f"### by {name}\n\n" + markdown_table(cols, rows) for name, cols, rows in _sections(s))


def render(s: Stats, fmt: str, *, color: bool = False, **_: Any) -> str:
    return render_model(s, fmt, table=_table, markdown=_markdown, color=color)


KINDS = {"Stats": Kind(render, lambda s: f"{s.dataset}: {summary(s)}")}
