"""goldset: golden dataset management for ML and LLM product teams.

The library is the product; the ``goldset`` command adapts it::

    from goldset import Workspace
    ds = Workspace.open(".").dataset()
    ds.add([{"input": "I want my money back", "scenarios": ["refund_request"]}])
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goldset.dataset import Dataset, WriteResult
    from goldset.errors import (
        BadInput,
        CheckFailed,
        DuplicateIds,
        GoldsetError,
        PermissionDenied,
        SpecError,
        StoreError,
        UnknownId,
        UsageError,
        WorkspaceError,
    )
    from goldset.workspace import Workspace

# Resolved on first use, so `goldset --help` does not pay for pydantic, DuckDB or pyarrow.
_LAZY = {
    "Dataset": "goldset.dataset",
    "WriteResult": "goldset.dataset",
    "Workspace": "goldset.workspace",
    **{
        name: "goldset.errors"
        for name in (
            "BadInput", "CheckFailed", "DuplicateIds", "GoldsetError", "PermissionDenied",
            "SpecError", "StoreError", "UnknownId", "UsageError", "WorkspaceError",
        )
    },
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'goldset' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__version__ = "0.1.0"

__all__ = [
    "BadInput",
    "CheckFailed",
    "Dataset",
    "DuplicateIds",
    "GoldsetError",
    "PermissionDenied",
    "SpecError",
    "StoreError",
    "UnknownId",
    "UsageError",
    "Workspace",
    "WorkspaceError",
    "WriteResult",
    "__version__",
]
