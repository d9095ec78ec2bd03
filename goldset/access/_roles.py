"""Who may do what: the role matrix, as data and pure functions.

Roles come from the dataset's ``roles:`` mapping in goldset.yaml (user -> pm / research /
eng / admin). No ``roles`` at all means a team that has not set up roles: everyone may do
everything. Once roles exist, a user not listed has no role and may only read.

Nothing here writes or raises: the write path (:mod:`goldset.workspace`) asks :func:`denial`
and turns a refusal into an audited :class:`~goldset.errors.PermissionDenied`.
"""

from __future__ import annotations

from collections.abc import Mapping

ADMIN = "admin"

#: action -> (roles that may do it besides admin, what it is, for messages).
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    # PM: the taxonomy and the launch bar
    "taxonomy": (frozenset({"pm"}), "change the scenario taxonomy"),
    "tag_scenarios": (frozenset({"pm"}), "tag examples with scenarios"),
    "set_tier": (frozenset({"pm"}), "set tiers"),
    "review": (frozenset({"pm"}), "approve, reject or retire examples"),
    "launch_bar": (frozenset({"pm"}), "change the launch bar or the scoring of runs"),
    # Research: the examples themselves
    "import": (frozenset({"research"}), "import or add examples"),
    "remove": (frozenset({"research"}), "remove examples"),
    "polarity": (frozenset({"research"}), "mark examples negative or positive"),
    "edge_cases": (frozenset({"research"}), "tag examples with edge cases"),
    # The edge-case catalogue is taxonomy (PM) as much as it is research's own vocabulary.
    "edge_case_taxonomy": (frozenset({"pm", "research"}), "change the edge-case catalogue"),
    "edit": (frozenset({"research"}), "edit examples"),
    # Engineering: the machinery. Validating only reads (like the coverage gate): no action.
    "snapshot": (frozenset({"eng"}), "take snapshots"),
    "compact": (frozenset({"eng"}), "compact the store"),
    # Runs are evidence about a model, added by those who run it (eng) or study it (research).
    "runs": (frozenset({"eng", "research"}), "add or remove model runs"),
    "configure": (frozenset({"eng"}), "configure the workspace"),
    # A merge joins changes each branch's authors were admitted for; resolving a conflict
    # picks one of two admitted values. Anyone on the team may; a reader (no role) may not.
    "merge": (frozenset({"pm", "research", "eng"}), "merge branches of the dataset"),
    # Who may use the server with which role: the admin's alone (an eng granting admin would
    # be an escalation).
    "users": (frozenset(), "manage users and their roles"),
}

#: Field of an example -> the action a change of that field on an *existing* example needs.
#: (A new example's author may propose scenarios, edge cases and tier with the import right;
#: a status other than draft on a new example is a review.)
FIELD_ACTIONS: dict[str, str] = {
    "input": "edit",
    "expected": "edit",
    "source": "edit",
    "metadata": "edit",
    "polarity": "polarity",
    "edge_cases": "edge_cases",
    "scenarios": "tag_scenarios",
    "tier": "set_tier",
    "status": "review",
}
#: Fields whose change sends an approved example back to draft (what was approved changed).
APPROVAL_FIELDS: tuple[str, ...] = ("input", "expected", "polarity")


def roles_for(action: str) -> list[str]:
    """Roles that may do ``action``, admin last."""
    try:
        allowed = ACTIONS[action][0]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    return [*sorted(allowed), ADMIN]


def may(roles: Mapping[str, str], user: str, action: str) -> bool:
    """Whether ``user`` may do ``action`` under the dataset's ``roles`` mapping."""
    allowed = roles_for(action)
    return not roles or roles.get(user) in allowed


def denial(roles: Mapping[str, str], user: str, dataset: str, action: str) -> str | None:
    """None when ``user`` may do ``action``; else the message that says who may."""
    if may(roles, user, action):
        return None
    role = roles.get(user)
    needed = " or ".join(roles_for(action))
    who = f"{user} (role {role})" if role else f"{user} (no role in dataset {dataset!r})"
    return (
        f"{who} may not {ACTIONS[action][1]}: needs role {needed}; "
        f"an admin can grant it under datasets.{dataset}.roles in goldset.yaml"
    )
