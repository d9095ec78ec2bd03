"""``goldset bar``: the launch bar a model run must meet, read and changed through the spec's
``launch_bar:`` section (the PM's decision: role action ``launch_bar``).

A change names its level (the defaults, a priority, a tier or a scenario) and the limits to set;
a limit given as None is removed, so the level falls back to the one above it. The edit keeps
the spec's comments and layout, and is validated whole before the file is replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from goldset.errors import UsageError
from goldset.spec import Bar, child_map, delete_key, set_key
from goldset.vocab import require_known
from goldset.workspace import editing_spec

if TYPE_CHECKING:
    from goldset.workspace import Dataset

Level = Literal["default", "priority", "tier", "scenario"]
#: The limits a bar may set, in the order they are shown.
LIMITS = tuple(Bar.model_fields)


class EffectiveBar(BaseModel):
    """The bar that applies to one scenario or tier, after the levels are merged."""

    kind: Literal["scenario", "tier"]
    id: str
    priority: str | None = None
    blocking: bool = False
    bar: Bar | None


class BarResult(BaseModel):
    op: str = "bar-set"
    dataset: str
    level: Level
    key: str | None = None
    set: dict[str, float | int] = Field(default_factory=dict)
    removed: list[str] = Field(default_factory=list)


def show_launch_bar(ds: Dataset) -> list[EffectiveBar]:
    """The effective bar of every scenario, then of every tier that has one."""
    spec = ds.spec
    lb = spec.launch_bar
    blocking = set(spec.gate.blocking_priorities)
    rows = [EffectiveBar(kind="scenario", id=sid, priority=sc.priority, blocking=sc.priority in blocking,
                         bar=lb.for_scenario(sid, sc.priority)) for sid, sc in spec.scenarios.items()]
    rows += [EffectiveBar(kind="tier", id=t, blocking=True, bar=lb.for_tier(t, strictest=i == 0))
             for i, t in enumerate(spec.tiers)]
    return rows


def set_launch_bar(
    ds: Dataset, level: Level, key: str | None, values: Mapping[str, float | int | None], *, note: str | None = None
) -> BarResult:
    """Set (or, for a None value, remove) limits of the launch bar at one level."""
    if bad := sorted(set(values) - set(LIMITS)):
        raise UsageError(f"bar: unknown limit(s) {', '.join(bad)}; limits are {', '.join(LIMITS)}")
    if not values:
        raise UsageError("bar set: nothing to change; give a limit such as --min-pass-rate 0.95")
    if (level == "default") != (key is None):
        raise UsageError("bar set: name exactly one of --priority, --tier, --scenario (or --default)")
    spec = ds.spec
    if level == "tier":
        require_known("tier", [key or ""], spec.tiers, "--tier")
    elif level == "scenario":
        require_known("scenario", [key or ""], spec.scenarios, "--scenario")
    elif level == "priority" and key not in ("P0", "P1", "P2"):
        raise UsageError(f"--priority: {key!r} is not one of P0, P1, P2")
    result = BarResult(dataset=ds.name, level=level, key=key)
    with editing_spec(ds, "launch_bar", op="bar-set", ids=[key] if key else [], note=note) as edit:
        node = edit.doc.section(ds.name, "launch_bar")
        if key is not None:
            group = {"priority": "priorities", "tier": "tiers", "scenario": "scenarios"}[level]
            node = child_map(child_map(node, group), key)
        for limit, value in values.items():
            if value is None:
                if limit in node:
                    delete_key(node, limit)
                    result.removed.append(limit)
            else:
                set_key(node, limit, value)
                result.set[limit] = value
        edit.detail = {"level": level, "key": key, "set": result.set, "removed": result.removed}
    return result
