"""What every route depends on: the server's configuration, the authenticated user, the
workspace opened as that user, the read-only fence, and the router that puts a route behind
the login. Kept apart from the app (``_app``) so the API and page modules import these without
importing the app that includes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from goldset.errors import ReadOnly
from goldset.service._auth import Principal, authenticate, check_csrf
from goldset.workspace import Workspace

#: Paths served without a login: the login form itself and static assets.
PUBLIC = ("/login", "/static")
#: Seconds a request's write waits for the writes queued before it (the CLI waits 60 s): many
#: users tagging at once queue behind each other, and none of them should get an error for it.
WRITE_WAIT = 300.0
#: Largest accepted upload (an import file), unless the server is started with another.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


@dataclass
class ServiceConfig:
    root: Path
    read_only: bool = False
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    secret: bytes = b""
    state_dir: Path = field(default_factory=Path)


async def require_user(request: Request) -> Principal:
    """The authenticated caller (401 otherwise); a cookie-authenticated unsafe request must
    carry the session's CSRF token (403 otherwise)."""
    principal = authenticate(request)
    await check_csrf(request, principal)
    request.state.principal = principal
    return principal


User = Annotated[Principal, Depends(require_user)]


def workspace(request: Request, principal: User) -> Workspace:
    """The workspace as the authenticated user: the library audits and authorizes that user."""
    config: ServiceConfig = request.app.state.config
    ws = Workspace(config.root, user=principal.email)
    ws.lock_timeout = WRITE_WAIT
    return ws


Ws = Annotated[Workspace, Depends(workspace)]


def writable(request: Request) -> None:
    """Refuse writes on a server started with ``--read-only`` (409)."""
    if request.app.state.config.read_only:
        raise ReadOnly("this goldset server is read-only (goldset serve --read-only): it shows the data and changes nothing")


def protected_router(**kwargs: Any) -> APIRouter:
    """A router whose every route needs an authenticated user."""
    return APIRouter(dependencies=[Depends(require_user)], **kwargs)
