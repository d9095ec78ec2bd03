"""goldset's vocabulary, defined once: priorities, statuses, polarities, roles, and the one
check that every "unknown scenario / edge case / tier" message goes through.

Everything else (the spec model, SQL checks, CLI choices, validation suites) takes its values
from here, so a new status or priority is one edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal, get_args

Priority = Literal["P0", "P1", "P2"]
Status = Literal["draft", "approved", "retired"]
Polarity = Literal["positive", "negative"]
Role = Literal["pm", "research", "eng", "admin"]
OnDuplicate = Literal["error", "skip", "update"]

PRIORITIES: Final[tuple[str, ...]] = get_args(Priority)
STATUSES: Final[tuple[str, ...]] = get_args(Status)
POLARITIES: Final[tuple[str, ...]] = get_args(Polarity)
ROLES: Final[tuple[str, ...]] = get_args(Role)
ON_DUPLICATE: Final[tuple[str, ...]] = get_args(OnDuplicate)

#: Known ids shown in an "unknown ..." message before it says how many there are in all.
_SHOWN = 20
#: How to add each kind of id, for the message when the spec has none.
_HOW_TO_ADD = {
    "scenario": "add some with goldset scenario add",
    "edge case": "add some with goldset edge-case add",
    "tier": "list them under tiers: in goldset.yaml",
}


def known_list(kind: str, known: Iterable[str]) -> str:
    """``(known scenarios: a, b, ... (42 in all))``, or how to add the first one."""
    ids = list(known)
    if not ids:
        return f"(known {kind}s: none; {_HOW_TO_ADD.get(kind, 'add some to goldset.yaml')})"
    shown = ", ".join(ids[:_SHOWN]) + (f", ... ({len(ids)} in all)" if len(ids) > _SHOWN else "")
    return f"(known {kind}s: {shown})"


def unknown_message(kind: str, bad: Iterable[str], known: Iterable[str], where: str | None = None) -> str:
    bad = list(bad)
    head = f"{where}: " if where else ""
    return f"{head}unknown {kind}{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))} {known_list(kind, known)}"


def require_known(kind: str, values: Iterable[str], known: Iterable[str], where: str | None = None) -> None:
    """Raise BadInput naming every value of ``values`` not in ``known``.

    ``kind`` is what the values are ("scenario", "edge case", "tier"); ``where`` is the flag,
    field or file the values came from, put first in the message.
    """
    known = list(known)
    bad = [v for v in dict.fromkeys(values) if v not in known]
    if bad:
        from goldset.errors import BadInput

        raise BadInput(unknown_message(kind, bad, known, where))
