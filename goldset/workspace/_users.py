"""``goldset user add|list|revoke``: who may use the server, with which role.

Two places, each the one truth of its part: the token (only its SHA-256) in the workspace's
``.goldset/users.json`` (:class:`goldset.access.users.Users`, never committed), and the role in
the spec's ``roles:`` of each dataset (committed, reviewed like any spec change; the role
matrix the library and the server apply). Adding or revoking is an audited spec edit that
needs the ``users`` action: an admin once roles exist (anyone before, to set up the first
admin).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from goldset.access import users as users_mod
from goldset.errors import UsageError
from goldset.vocab import ROLES
from goldset.workspace._workspace import Workspace
from goldset.workspace._write import editing_spec

__all__ = ["UserInfo", "UserResult", "add_user", "list_users", "revoke_user"]


class UserResult(BaseModel):
    op: str
    email: str
    role: str | None = None
    datasets: list[str] = Field(default_factory=list)
    #: The new token: shown once, never stored (only its hash is).
    token: str | None = None
    revoked: int = 0


class UserInfo(BaseModel):
    email: str
    #: dataset -> role, from the spec.
    roles: dict[str, str] = Field(default_factory=dict)
    active_tokens: int = 0
    created_at: datetime | None = None


def _store(ws: Workspace) -> users_mod.Users:
    return users_mod.Users(ws.state_dir())


def _datasets(ws: Workspace, dataset: str | None) -> list[str]:
    return [ws.spec.dataset_name(dataset)] if dataset else list(ws.spec.datasets)


def add_user(ws: Workspace, email: str, role: str, dataset: str | None = None) -> UserResult:
    """Give ``email`` ``role`` in the spec (every dataset, or ``dataset``) and a new token."""
    if role not in ROLES:
        raise UsageError(f"--role {role!r}: pick one of {', '.join(ROLES)}")
    email = users_mod.check_email(email)
    names = _datasets(ws, dataset)
    for name in names:
        ds = ws.dataset(name)
        with editing_spec(ds, "users", op="user-add", ids=[email], note=f"role {role}") as edit:
            edit.doc.section(name, "roles")[email] = role
            edit.detail = {"role": role}
    token = _store(ws).add(email, by=ws.user)
    return UserResult(op="user-add", email=email, role=role, datasets=names, token=token)


def revoke_user(ws: Workspace, email: str, dataset: str | None = None) -> UserResult:
    """Revoke every token of ``email`` and take its role out of the spec."""
    email = users_mod.check_email(email)
    names = [n for n in _datasets(ws, dataset) if email in ws.spec.datasets[n].roles]
    for name in names:
        ds = ws.dataset(name)
        with editing_spec(ds, "users", op="user-revoke", ids=[email]) as edit:
            del edit.doc.section(name, "roles")[email]
    revoked = 0
    try:
        revoked = _store(ws).revoke(email)
    except UsageError:
        if not names:
            raise
    return UserResult(op="user-revoke", email=email, datasets=names, revoked=revoked)


def list_users(ws: Workspace) -> list[UserInfo]:
    """Everyone with a role in the spec or a token, sorted by e-mail."""
    infos: dict[str, UserInfo] = {}
    for name, dspec in ws.spec.datasets.items():
        for email, role in dspec.roles.items():
            infos.setdefault(email, UserInfo(email=email)).roles[name] = role
    for u in _store(ws).list():
        info = infos.setdefault(u.email, UserInfo(email=u.email))
        info.active_tokens += u.active
        info.created_at = min(info.created_at or u.created_at, u.created_at)
    return [infos[k] for k in sorted(infos)]
