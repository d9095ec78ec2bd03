"""``goldset pull`` (PullResult): what each dataset's store is now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goldset.cli.render import Kind
from goldset.cli.render._rows import as_json, lines

if TYPE_CHECKING:
    from goldset.history import PullResult


def _lines(r: PullResult) -> list[str]:
    out = []
    for d in r.datasets:
        rows = "" if d.rows is None else f": {d.rows:,} rows"
        version = f" (version {d.version[:12]})" if d.version else ""
        line = f"{d.dataset}: {d.status}{rows}{version}"
        if d.status == "fetched" and r.remote:
            line += f" from DVC remote {r.remote!r}"
        out.append(line + (f"; {d.detail}" if d.detail else ""))
    return out or [f"no datasets at commit {r.commit}"]


def summary(r: PullResult) -> str:
    return f"pull at {r.commit}: " + "; ".join(f"{d.dataset} {d.status}" for d in r.datasets)


def render(r: PullResult, fmt: str, **_: Any) -> str:
    return as_json(r) if fmt == "json" else lines(*_lines(r))


KINDS = {"PullResult": Kind(render, summary, message=True)}
