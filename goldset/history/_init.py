"""``goldset init``: make a directory a goldset workspace (git + DVC + spec + store)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field

from goldset.access import current_user
from goldset.history import _vcs as vcs
from goldset.spec import SPEC_FILE, check_dataset_name, load_spec
from goldset.store import Manifest, Store
from goldset.workspace import record_version

REMOTE_NAME = "storage"


class InitResult(BaseModel):
    root: str
    dataset: str
    created: list[str] = Field(default_factory=list)
    kept: list[str] = Field(default_factory=list)
    git_initialized: bool = False
    #: The enclosing repository's top, when the workspace is a subdirectory of it.
    git_top: str | None = None
    dvc_initialized: bool = False
    remote: str | None = None
    committed: bool = False


def _template(name: str) -> str:
    return resources.files("goldset").joinpath("templates", name).read_text(encoding="utf-8")


def _write_new(path: Path, text: str, result: InitResult, root: Path) -> None:
    rel = str(path.relative_to(root))
    if path.exists():
        result.kept.append(rel)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    result.created.append(rel)


def _ignore_line(path: Path, line: str, result: InitResult, root: Path) -> None:
    """Make sure an ignore file has ``line`` (append to a user's file, never rewrite it)."""
    if not path.exists():
        _write_new(path, line + "\n", result, root)
        return
    text = path.read_text(encoding="utf-8")
    if line not in text.splitlines():
        with open(path, "a", encoding="utf-8") as f:
            f.write(("" if text.endswith("\n") or not text else "\n") + line + "\n")
        result.created.append(f"{path.name} ({line} appended)")


def _sealed(store: Store) -> Manifest:
    """The store's manifest, sealed as a version (its first, empty one) if it is not yet."""
    with store.transaction() as tx:
        if tx.base.version is None:
            tx.commit(seal=True)
        return tx.base


#: The merge driver's name in .gitattributes and the git config.
DRIVER = "goldset"
_ATTRIBUTES = (f"datasets/*.dvc merge={DRIVER}", f"datasets/*.audit.jsonl merge={DRIVER}", f"runs/*.dvc merge={DRIVER}",
               f"reports/** merge={DRIVER}")


def install_merge_driver(root: Path, result: InitResult) -> None:
    """Make git merge the datasets row by row and their runs run file by run file (``goldset
    merge-driver``; reports, which the next snapshot rewrites for the merged data, keep this
    branch's): the patterns go in the workspace's ``.gitattributes`` (committed, so every
    clone names the driver; a workspace made before a pattern existed gets it appended), the
    command in the repository's own git config (never committed: each clone runs
    ``goldset init`` once to install it, as with any git merge driver)."""
    import shlex
    import sys

    for line in _ATTRIBUTES:
        _ignore_line(root / ".gitattributes", line, result, root)
    command = f"{shlex.quote(sys.executable)} -m goldset merge-driver %O %A %B %P"
    config = {
        f"merge.{DRIVER}.name": "goldset: merge datasets row by row, audit logs line by line",
        f"merge.{DRIVER}.driver": command,
        # Merging the merge bases of a criss-cross merge must not touch the working store:
        # git keeps one base as it is instead.
        f"merge.{DRIVER}.recursive": "binary",
    }
    for key, value in config.items():
        if vcs.git(root, "config", "--local", "--get", key, check=False).stdout.strip() != value:
            vcs.git(root, "config", "--local", key, value)
            result.created.append(f"git config {key}")


def init_workspace(path: Path, dataset: str = "golden", remote: str | None = None) -> InitResult:
    """Create what is missing; never overwrite a user's file. Safe to run again."""
    check_dataset_name(dataset)
    root = path.resolve()
    root.mkdir(parents=True, exist_ok=True)
    result = InitResult(root=str(root), dataset=dataset)

    top = vcs.git_top(root)
    if top is None:
        vcs.git(root, "init", "-q", "-b", "main")
        result.git_initialized = True
    elif top != root:
        result.git_top = str(top)  # the enclosing repository: used, never a nested one
    if not (root / ".dvc").is_dir():
        # In a subdirectory of a repository, DVC's own project lives here (--subdir), so
        # the workspace's data is tracked beside its spec, not at the repository's top.
        vcs.dvc(root, "init", "-q", *(["--subdir"] if top is not None and top != root else []))
        vcs.dvc(root, "config", "core.analytics", "false")
        result.dvc_initialized = True

    spec_path = root / SPEC_FILE
    _write_new(spec_path, _template("goldset.yaml").format(dataset=dataset), result, root)
    spec = load_spec(spec_path)  # a user's existing spec must be valid before we go on
    for name in spec.datasets:
        # A dataset with a .dvc file has a version (a clone before 'goldset pull'): its store
        # comes from DVC, never a new empty one.
        if not (root / "datasets" / f"{name}.dvc").exists():
            Store(root / "datasets" / name).create()
            # The store is DVC's to track from the start, never git's.
            vcs.dvc(root, "add", "-q", f"datasets/{name}")
            record_version(root, name, _sealed(Store(root / "datasets" / name)))
            result.created.append(f"datasets/{name}.dvc")
    _write_new(root / "expectations" / ".gitkeep", "", result, root)
    from goldset.validation import write_default_suite
    from goldset.workspace import Workspace

    ws = Workspace(root)
    for name in spec.datasets:
        suite = root / "expectations" / f"{name}.json"
        if suite.exists():
            result.kept.append(str(suite.relative_to(root)))
        else:  # the default Great Expectations suite, ready to extend by hand
            write_default_suite(ws.dataset(name), suite)
            result.created.append(str(suite.relative_to(root)))
    _write_new(root / "reports" / ".gitkeep", "", result, root)
    dvcignore = root / ".dvcignore"
    ignore_text = _template("dvcignore")
    if dvcignore.exists() and "goldset" not in dvcignore.read_text(encoding="utf-8"):
        with open(dvcignore, "a", encoding="utf-8") as f:
            f.write("\n" + ignore_text)
        result.created.append(".dvcignore (goldset lines appended)")
    else:
        _write_new(dvcignore, ignore_text, result, root)
    _write_new(root / "dvc.yaml", _template("dvc.yaml").format(dataset=dataset), result, root)
    _ignore_line(root / ".gitignore", "/.goldset/", result, root)  # local cache of past revisions
    install_merge_driver(root, result)

    if remote:
        vcs.dvc(root, "remote", "add", "--force", "--default", REMOTE_NAME, remote)
        result.remote = remote

    # The first commit carries the remote: `dvc push --all-commits` cannot push versions
    # committed before a remote existed.
    # A workspace in a larger repository is committed once, when no commit has it yet.
    uncommitted = result.git_top is not None and not vcs.git(root, "log", "-1", "--format=%H", "--", ".").stdout.strip()
    if not vcs.has_commits(root) or uncommitted:
        # In a larger repository: commit exactly the workspace's directory (--only), never
        # whatever else the team had staged.
        vcs.git(root, "add", "-A", "--", ".")
        user = current_user(root)
        only = ["--only", "--", "."] if result.git_top is not None else []
        vcs.git(root, *vcs.commit_identity_args(root, user), "commit", "-q", "-m", "goldset init", *only)
        result.committed = True
        if remote:
            # Best effort: the first version (the empty store) is readable from the remote too.
            vcs.dvc(root, "push", "-q", check=False)
    return result
