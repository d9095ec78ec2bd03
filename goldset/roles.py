"""Who may do what: the role matrix, and the one check every write entry point calls.

Roles come from the dataset's ``roles:`` mapping in goldset.yaml (user -> pm / research /
eng / admin); the acting user is ``Workspace.user`` (``GOLDSET_USER``, else git's
user.email). No ``roles`` at all means a team that has not set up roles: everyone may do
everything. Once roles exist, a user not listed has no role and may only read.

A refused action raises :class:`~goldset.errors.PermissionDenied` naming the role(s) that may
do it, and leaves a line with ``allowed: false`` in the audit log, so attempts are visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from goldset import audit
from goldset.errors import PermissionDenied

if TYPE_CHECKING:
    from goldset.dataset import Dataset

ADMIN = "admin"

#: action -> (roles that may do it besides admin, what it is, for messages).
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    # PM: the taxonomy and the launch bar
    "taxonomy": (frozenset({"pm"}), "change the scenario taxonomy"),
    "tag_scenarios": (frozenset({"pm"}), "tag examples with scenarios"),
    "set_tier": (frozenset({"pm"}), "set tiers"),
    "review": (frozenset({"pm"}), "approve, reject or retire examples"),
    # Research: the examples themselves
    "import": (frozenset({"research"}), "import or add examples"),
    "remove": (frozenset({"research"}), "remove examples"),
    "polarity": (frozenset({"research"}), "mark examples negative or positive"),
    "edge_cases": (frozenset({"research"}), "tag examples with edge cases"),
    # The edge-case catalogue is taxonomy (PM) as much as it is research's own vocabulary.
    "edge_case_taxonomy": (frozenset({"pm", "research"}), "change the edge-case catalogue"),
    "edit": (frozenset({"research"}), "edit examples"),
    # Engineering: the machinery
    "validate": (frozenset({"eng"}), "validate"),
    "snapshot": (frozenset({"eng"}), "take snapshots"),
    "compact": (frozenset({"eng"}), "compact the store"),
    "configure": (frozenset({"eng"}), "configure the workspace"),
}


def roles_for(action: str) -> list[str]:
    """Roles that may do ``action``, admin last."""
    try:
        allowed = ACTIONS[action][0]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    return [*sorted(allowed), ADMIN]


def role_of(ds: Dataset, user: str | None = None) -> str | None:
    return ds.spec.roles.get(user if user is not None else ds.workspace.user)


def may(ds: Dataset, action: str, user: str | None = None) -> bool:
    """Whether ``user`` (default: the acting user) may do ``action`` on ``ds``."""
    allowed = roles_for(action)
    if not ds.spec.roles:
        return True
    return role_of(ds, user) in allowed


def authorize(ds: Dataset, *actions: str, ids: Sequence[str] = (), predicate: str | None = None) -> None:
    """Raise PermissionDenied (and log the attempt) unless the acting user may do every action."""
    for action in actions:
        if may(ds, action):
            continue
        user = ds.workspace.user
        role = role_of(ds, user)
        needed = " or ".join(roles_for(action))
        record(ds, action, ids=ids, predicate=predicate, allowed=False,
               note=f"denied: needs role {needed}")
        who = f"{user} (role {role})" if role else f"{user} (no role in dataset {ds.name!r})"
        raise PermissionDenied(
            f"{who} may not {ACTIONS[action][1]}: needs role {needed}; "
            f"an admin can grant it under datasets.{ds.name}.roles in goldset.yaml"
        )


def record(
    ds: Dataset,
    op: str,
    *,
    rows: int = 0,
    ids: Iterable[str] = (),
    predicate: str | None = None,
    note: str | None = None,
    allowed: bool = True,
    detail: dict[str, object] | None = None,
) -> None:
    """Append one audit line for an action that is not a store write (taxonomy, denials)."""
    user = ds.workspace.user
    audit.append(
        ds.audit_path,
        audit.make_entry(
            user=user, role=role_of(ds, user), op=op, dataset=ds.name, rows=rows,
            ids=list(ids), predicate=predicate, note=note, allowed=allowed, detail=detail,
        ),
    )
