"""The one exception family of goldset, and the exit code each maps to.

::

    GoldsetError                 (exit 1 unless a subclass says otherwise)
    ├── CheckFailed              1  a gate or validation found a problem
    ├── UsageError               2  the command was called wrongly
    ├── BadInput                 3  a file, a row, a value or a predicate is wrong
    │   ├── UnknownId            3  an example id that is not in the dataset
    │   └── DuplicateIds         3  ids clash within a file or with the store
    ├── PermissionDenied         4  the user's role may not do this
    ├── WorkspaceError           5  not a workspace, bad spec, unknown dataset
    │   └── SpecError            5  goldset.yaml is invalid (names file and key)
    └── StoreError               6  the store is locked, damaged or newer than this goldset

Every message says what is wrong and, where it can, what to do next. The CLI maps
``exit_code`` to the process exit status in one place (``goldset.cli.main``).
"""

from __future__ import annotations

__all__ = [
    "BadInput",
    "CheckFailed",
    "DuplicateIds",
    "GoldsetError",
    "PermissionDenied",
    "SpecError",
    "StoreError",
    "UnknownId",
    "UsageError",
    "WorkspaceError",
]


class GoldsetError(Exception):
    """Base of every error goldset raises on purpose."""

    exit_code = 1


class CheckFailed(GoldsetError):
    exit_code = 1


class UsageError(GoldsetError):
    exit_code = 2


class BadInput(GoldsetError):
    """Bad data from the user. ``problems`` holds one line per bad row/field, if any."""

    exit_code = 3

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class UnknownId(BadInput):
    pass


class DuplicateIds(BadInput):
    pass


class PermissionDenied(GoldsetError):
    exit_code = 4


class WorkspaceError(GoldsetError):
    exit_code = 5


class SpecError(WorkspaceError):
    exit_code = 5


class StoreError(GoldsetError):
    exit_code = 6
