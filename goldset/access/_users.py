"""The people who may use goldset's server, and their tokens.

``goldset user add EMAIL --role ROLE`` makes a random token, shows it once, and keeps only its
SHA-256 in ``.goldset/users.json`` (mode 0600, in the workspace's never-committed state
directory): the file alone cannot be used to log in. The server authenticates every request by
that token (``Authorization: Bearer``, or a session cookie obtained with it) and acts as that
user; what the user may do comes from the spec's ``roles:`` through the same role matrix the
library applies (:mod:`goldset.access._roles`). The CLI's ``GOLDSET_USER`` is an honour system
for one machine; the server is where identity is enforced.

A token is ``gs_`` and 43 URL-safe characters (256 random bits): a plain SHA-256 is enough (a
slow password hash protects low-entropy secrets, which these are not), and lookups compare
digests in constant time.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from goldset.errors import BadInput, UsageError, WorkspaceError
from goldset.store import write_atomic

USERS_FILE = "users.json"
TOKEN_PREFIX = "gs_"
_EMAIL = re.compile(r"^[^@\s\x00-\x1f]{1,128}@[^@\s\x00-\x1f]{1,255}$")


class User(BaseModel):
    email: str
    created_at: datetime
    created_by: str
    #: SHA-256 of the token (hex). Never the token itself.
    token_sha256: str
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class UserFile(BaseModel):
    format: int = 1
    users: list[User] = Field(default_factory=list)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", errors="surrogateescape")).hexdigest()


def check_email(email: str) -> str:
    value = email.strip()
    if not _EMAIL.match(value):
        raise BadInput(f"{email!r} is not an e-mail address (the identity the audit log records)")
    return value


class Users:
    """``<workspace>/.goldset/users.json``: read on every call (another process, the CLI, may
    have revoked a token a moment ago), written atomically under a lock."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / USERS_FILE
        self._lock = state_dir / "users.lock"

    def _read(self) -> UserFile:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return UserFile()
        try:
            return UserFile.model_validate_json(raw)
        except ValidationError:
            raise WorkspaceError(
                f"{self.path}: not a goldset users file; fix it or move it away and add the users again"
            ) from None

    def list(self) -> list[User]:
        return self._read().users

    def add(self, email: str, by: str) -> str:
        """A new token for ``email`` (its earlier tokens keep working until revoked); returns
        the token, which is never stored."""
        email = check_email(email)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._locked():
            data = self._read()
            data.users.append(User(email=email, created_at=datetime.now(UTC), created_by=by, token_sha256=_digest(token)))
            self._write(data)
        return token

    def revoke(self, email: str) -> int:
        """Revoke every active token of ``email``; how many there were."""
        email = check_email(email)
        with self._locked():
            data = self._read()
            now = datetime.now(UTC)
            hit = [u for u in data.users if u.email == email and u.active]
            if not hit:
                raise UsageError(f"{email} has no active token; 'goldset user list' shows who has")
            for u in hit:
                u.revoked_at = now
            self._write(data)
        return len(hit)

    def authenticate(self, token: str) -> str | None:
        """The e-mail of the active user holding ``token``, else None."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = _digest(token)
        found = None
        for u in self._read().users:  # every entry compared: no early exit to time
            if hmac.compare_digest(u.token_sha256, digest) and u.active:
                found = u.email
        return found

    def _write(self, data: UserFile) -> None:
        write_atomic(self.path, json.dumps(data.model_dump(mode="json"), indent=1) + "\n", mode=0o600)

    def _locked(self) -> _FileLock:
        return _FileLock(self._lock)


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> None:
        import os

        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        import os

        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
