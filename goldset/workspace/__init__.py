"""A workspace and its datasets, and the one write path every change goes through.

Owns: :class:`Workspace` (a directory with ``goldset.yaml``; the acting user), :class:`Dataset`
(reading one dataset's live rows through DuckDB), and the write path (``_write``): the one
place that refuses writes on read-only revisions, checks the role, takes the lock, commits and
writes the audit line; and the check that the working store is the version the checked-out
commit names (``_checkout``). Verbs in other packages (ingest, curation, validation, history) reach a
store, the spec or a suite file only through it.
"""

from __future__ import annotations

from goldset.workspace._checkout import (
    Recorded,
    head_commit,
    is_local_work,
    parse_recorded,
    read_recorded,
    record_version,
)
from goldset.workspace._compact import compact
from goldset.workspace._dataset import Dataset, OnDuplicate, WriteResult
from goldset.workspace._doctor import doctor, verify_audit
from goldset.workspace._users import UserInfo, UserResult, add_user, list_users, revoke_user
from goldset.workspace._workspace import Workspace, find_root, managed_path
from goldset.workspace._write import (
    Guarded,
    SpecEdit,
    Writer,
    admit,
    editing_spec,
    guarding,
    record,
    writing,
)

__all__ = [
    "Dataset",
    "Guarded",
    "OnDuplicate",
    "Recorded",
    "SpecEdit",
    "UserInfo",
    "UserResult",
    "Workspace",
    "WriteResult",
    "Writer",
    "add_user",
    "admit",
    "compact",
    "doctor",
    "editing_spec",
    "find_root",
    "guarding",
    "head_commit",
    "is_local_work",
    "list_users",
    "managed_path",
    "parse_recorded",
    "read_recorded",
    "record",
    "record_version",
    "revoke_user",
    "verify_audit",
    "writing",
]
