"""The one exception family of goldset, and the exit code and HTTP status each maps to.

::

    GoldsetError                  exit  HTTP
    ├── CheckFailed                 1   422  a gate or validation found a problem
    │   ├── CoverageGateFailed      1   422  blocking scenarios below their bar
    │   ├── ValidationFailed        1   422  error-severity expectations failed
    │   └── MergeConflict           1   409  both branches changed the same field differently
    ├── UsageError                  2   400  the command was called wrongly
    │   └── ReadOnly                2   409  a write on a past revision
    ├── BadInput                    3   400  a file, a row, a value or a predicate is wrong
    │   ├── UnknownId               3   404  an example id that is not in the dataset
    │   └── DuplicateIds            3   409  ids clash within a file or with the store
    ├── PermissionDenied            4   403  the user's role may not do this
    ├── WorkspaceError              5   404  not a workspace, unknown dataset, merge state
    │   └── SpecError               5   422  goldset.yaml is invalid (names file and key)
    ├── StoreError                  6   503  the store is locked, damaged or newer than goldset
    │   └── NotCheckedOut           6   409  the store is not the one the checked-out commit names
    └── VcsError                    7   502  a git or DVC command failed (push, pull, commit)

Every message says what is wrong and, where it can, what to do next. ``exit_code`` and
``http_status`` are read in one place each: ``goldset.cli.main`` and the web service's error
handler. ``problems`` holds one line per offending row or item, when there are several.
"""

from __future__ import annotations

__all__ = [
    "BadInput",
    "CheckFailed",
    "CoverageGateFailed",
    "DuplicateIds",
    "GoldsetError",
    "LaunchBlocked",
    "MergeConflict",
    "NotCheckedOut",
    "PermissionDenied",
    "ReadOnly",
    "RegressionFound",
    "SpecError",
    "StaleRun",
    "StoreError",
    "UnknownId",
    "UsageError",
    "ValidationFailed",
    "VcsError",
    "WorkspaceError",
]


class GoldsetError(Exception):
    """Base of every error goldset raises on purpose."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems or [])


class CheckFailed(GoldsetError):
    """A check ran and found a problem (not an error of the tool or the input)."""

    exit_code = 1
    http_status = 422


class CoverageGateFailed(CheckFailed):
    """The coverage gate found blocking scenarios below their bar; one problem line each."""


class ValidationFailed(CheckFailed):
    """Error-severity expectations failed (or, for ``check``, the gate too)."""


class MergeConflict(CheckFailed):
    """A merge found fields both sides changed differently (one problem line each); nothing
    was written. ``goldset merge --resolve ours|theirs`` decides them. ``result``: the merge's
    result, conflicts listed (for JSON output)."""

    http_status = 409
    result: object | None = None


class LaunchBlocked(CheckFailed):
    """``goldset launch``: validation, the coverage gate or the run's launch bar says no (one
    problem line per reason)."""


class StaleRun(CheckFailed):
    """A run evaluated on other data than the golden set now holds (the message says which
    examples changed since); ``--allow-stale`` accepts it."""

    http_status = 409


class RegressionFound(CheckFailed):
    """``run compare --fail-on-regression``: a scenario of those priorities got significantly
    worse (one problem line each)."""


class UsageError(GoldsetError):
    """The command or call was used wrongly: a flag, an argument, a combination."""

    exit_code = 2
    http_status = 400


class ReadOnly(UsageError):
    """A write was attempted where nothing may be written (a past revision)."""

    http_status = 409


class BadInput(GoldsetError):
    """Bad data from the user: a file, a row, a field, a value, a predicate."""

    exit_code = 3
    http_status = 400


class UnknownId(BadInput):
    """An example id that is not in the dataset."""

    http_status = 404


class DuplicateIds(BadInput):
    """Ids that clash within a file or with the store."""

    http_status = 409


class PermissionDenied(GoldsetError):
    """The acting user's role may not do this; the message names the role that may."""

    exit_code = 4
    http_status = 403


class WorkspaceError(GoldsetError):
    """Not a workspace, an unknown or invalid dataset name, a merge in progress."""

    exit_code = 5
    http_status = 404


class SpecError(WorkspaceError):
    """goldset.yaml is invalid; the message names the file and the key."""

    http_status = 422


class StoreError(GoldsetError):
    """The store is locked by another writer, damaged, or newer than this goldset."""

    exit_code = 6
    http_status = 503


class NotCheckedOut(StoreError):
    """The working store is missing, or is another commit's, while the checked-out ``.dvc``
    file names a version: a clone without ``dvc pull``, a ``git checkout`` without
    ``dvc checkout``. ``goldset pull`` fixes it."""

    http_status = 409


class VcsError(GoldsetError):
    """git or DVC failed: not installed, a remote unreachable, a commit refused."""

    exit_code = 7
    http_status = 502
