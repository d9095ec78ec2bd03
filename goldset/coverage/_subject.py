"""What a report describes: the dataset, the version of its data and the spec.

Every report (coverage, validation) carries these three, so a committed report can be checked
against its commit: ``data`` is the digest of the store's manifest (what a snapshot records in
the ``meta`` of ``datasets/<name>.dvc``), ``spec`` the SHA-256 of ``goldset.yaml``'s bytes.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from goldset.store import Manifest
    from goldset.workspace import Workspace


class ReportSubject(BaseModel):
    """The dataset, data and spec a report describes."""

    dataset: str
    data: str | None = Field(
        default=None,
        description="digest of the store's manifest the report read (the version's identity, as in datasets/<name>.dvc)",
    )
    spec: str | None = Field(default=None, description="SHA-256 of the goldset.yaml the report used")


def spec_digest(ws: Workspace) -> str | None:
    """SHA-256 of the workspace's ``goldset.yaml`` (None when there is none)."""
    try:
        return hashlib.sha256(ws.spec_path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def data_time(manifest: Manifest) -> datetime:
    """The clock of a report that describes a version: when its data was last written.

    Reports a snapshot commits measure freshness as of this time, so the same data and spec
    always give the same report (a snapshot of nothing new makes no commit, and a gate
    computed later for an old version is the one a snapshot then would have recorded)."""
    return (manifest.committed_at or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC)
