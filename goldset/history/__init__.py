"""The workspace's life in git and DVC: init, snapshot, log, past revisions, diff.

Owns: the git and DVC calls (``_vcs``), ``init`` (``_init``), ``snapshot`` (``_snapshot``),
``log`` (``_log``), the reports a version commits (``_reports``), ``pull`` (``_pull``), ``restore`` of a past version as a new write (``_restore``), read-only workspaces at a past revision (``_revision``) and the row-level
diff with its coverage delta (``_diff``).
"""

from __future__ import annotations

from goldset.history import _vcs as vcs
from goldset.history._diff import DiffReport, diff, summarize
from goldset.history._init import InitResult, init_workspace, install_merge_driver
from goldset.history._log import Version, VersionLog, version_log
from goldset.history._pull import Pulled, PullResult, pull
from goldset.history._reports import ReportsResult, build_reports, version_metrics, write_reports
from goldset.history._restore import RestoreResult, restore
from goldset.history._revision import (
    RevisionWorkspace,
    at,
    dir_hash_of,
    dvc_errors,
    dvc_filesystem,
    materialize_dataset,
    open_revision,
    store_cache,
)
from goldset.history._snapshot import SnapshotResult, push_failed, snapshot

__all__ = [
    "DiffReport",
    "InitResult",
    "PullResult",
    "Pulled",
    "ReportsResult",
    "RestoreResult",
    "RevisionWorkspace",
    "SnapshotResult",
    "Version",
    "VersionLog",
    "at",
    "build_reports",
    "diff",
    "dir_hash_of",
    "dvc_errors",
    "dvc_filesystem",
    "init_workspace",
    "install_merge_driver",
    "materialize_dataset",
    "open_revision",
    "pull",
    "push_failed",
    "restore",
    "snapshot",
    "store_cache",
    "summarize",
    "vcs",
    "version_log",
    "version_metrics",
    "write_reports",
]
