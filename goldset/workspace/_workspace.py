"""A goldset workspace: a directory with ``goldset.yaml``, ``datasets/`` and ``expectations/``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from goldset.access import current_user
from goldset.errors import WorkspaceError
from goldset.spec import (
    SPEC_FILE,
    DatasetSpec,
    Spec,
    check_dataset_name,
    load_spec,
)

if TYPE_CHECKING:
    from goldset.workspace._dataset import Dataset

#: goldset's local state directory in a workspace (locks, caches of past revisions).
STATE_DIR = ".goldset"


#: Top-level names of a workspace whose files only goldset (or git/DVC) writes.
_MANAGED = ("datasets", "runs", "expectations", ".dvc", ".git", STATE_DIR)


def managed_path(path: Path) -> str | None:
    """Why ``path`` must not be overwritten by a report, an export or a rejects file (it is
    the spec, an audit log, a store, a suite, git's or DVC's), or None when it may be."""
    from goldset.store import store_containing

    target = path.resolve()
    inside = store_containing(target.parent)
    if inside is not None:
        return f"it is inside the dataset store {inside}"
    for root in target.parents:
        if (root / SPEC_FILE).is_file():
            rel = target.relative_to(root)
            if rel == Path(SPEC_FILE):
                return "it is the workspace's spec"
            if rel.parts[0] in _MANAGED:
                return f"goldset manages {rel.parts[0]}/ of the workspace {root}"
            return None
    return None


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding goldset.yaml."""
    if start.exists() and not start.is_dir():
        raise WorkspaceError(f"{start}: not a directory; -C takes the workspace's directory")
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / SPEC_FILE).is_file():
            return candidate
        if (candidate / SPEC_FILE).is_dir():
            raise WorkspaceError(f"{candidate / SPEC_FILE} is a directory, not the spec file; "
                                 "move it away and run 'goldset init', or pass -C PATH")
    raise WorkspaceError(
        f"{start}: not a goldset workspace (no {SPEC_FILE} here or above); "
        "run 'goldset init' or pass -C PATH"
    )


class Workspace:
    """Entry point of the library: ``Workspace.open(path).dataset(name)``."""

    #: True for a past revision (``goldset.history.open_revision``): the write path refuses.
    read_only = False
    #: Seconds a write waits for another write of the same dataset to finish (then StoreError).
    #: The server waits longer than the CLI: its writers queue behind one another.
    lock_timeout = 60.0

    def __init__(self, root: Path, user: str | None = None) -> None:
        self.root = root
        self._spec: Spec | None = None
        self._user = user

    @classmethod
    def open(cls, path: Path | str = ".", user: str | None = None) -> Workspace:
        return cls(find_root(Path(path)), user=user)

    @property
    def spec_path(self) -> Path:
        return self.root / SPEC_FILE

    @property
    def spec(self) -> Spec:
        if self._spec is None:
            self._spec = load_spec(self.spec_path)
        return self._spec

    def reload_spec(self) -> Spec:
        self._spec = None
        return self.spec

    @property
    def user(self) -> str:
        if self._user is None:
            self._user = current_user(self.root)
        return self._user

    def dataset_dir(self, name: str) -> Path:
        return self.root / "datasets" / check_dataset_name(name)

    def dataset_spec(self, name: str) -> DatasetSpec:
        return self.spec.datasets[self.spec.dataset_name(name)]

    def dataset(self, name: str | None = None) -> Dataset:
        from goldset.workspace._dataset import Dataset

        resolved = self.spec.dataset_name(name)
        return Dataset(self, resolved)

    @property
    def label(self) -> str:
        """How messages name this workspace."""
        return str(self.root)

    def state_dir(self) -> Path:
        """``<root>/.goldset``: goldset's local state (locks, caches), never committed.

        It ignores itself (a ``.gitignore`` of ``*``, like .pytest_cache), so it works in
        workspaces made before init knew of it."""
        base = self.root / STATE_DIR
        base.mkdir(exist_ok=True)
        ignore = base / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# goldset's local state (locks, caches); safe to delete\n*\n", encoding="utf-8")
        return base

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"
