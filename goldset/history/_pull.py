"""``goldset pull``: make each dataset's working store the version the checked-out commit names.

The fix for :class:`~goldset.errors.NotCheckedOut` (a clone without ``dvc pull``, a ``git
checkout`` without ``dvc checkout``): ``dvc pull`` from the DVC remote when one is configured,
else ``dvc checkout`` from the local cache, under the store's lock so no goldset write runs
meanwhile. A store with local work on the checked-out version is left alone; a store holding
changes that no commit has is never replaced unless ``force``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from goldset.errors import ReadOnly, StoreError, VcsError, WorkspaceError
from goldset.history import _vcs as vcs
from goldset.history._snapshot import default_remote
from goldset.store import LOCK_FILE, Manifest, file_lock, file_md5
from goldset.workspace import Dataset, Recorded, Workspace, is_local_work, read_recorded

Status = Literal["up to date", "local changes", "checked out", "fetched", "not versioned"]


class Pulled(BaseModel):
    dataset: str
    status: Status
    rows: int | None = None
    version: str | None = Field(default=None, description="the version id the commit names")
    detail: str | None = None
    #: The dataset's model runs (runs/<name>.dvc): None when the commit records none.
    runs: Status | None = None


class PullResult(BaseModel):
    commit: str
    remote: str | None = None
    datasets: list[Pulled] = Field(default_factory=list)


def pull(ws: Workspace, dataset: str | None = None, *, force: bool = False) -> PullResult:
    """Check out the committed store of ``dataset`` (default: every dataset of the spec)."""
    if ws.read_only:
        raise ReadOnly(f"the workspace at {ws.label} is read-only: a past revision has nothing to pull; drop --rev")
    root = ws.root
    if not vcs.is_git_repo(root):
        raise WorkspaceError(f"{root}: not a git repository; there is no commit to pull the data of")
    names = [ws.spec.dataset_name(dataset)] if dataset else list(ws.spec.datasets)
    commit = vcs.git(root, "rev-parse", "--short=12", "HEAD").stdout.strip()
    result = PullResult(commit=commit, remote=default_remote(root))
    for name in names:
        pulled = _pull_one(ws.dataset(name), commit, result.remote, force)
        pulled.runs = _pull_runs(ws, name, commit, result.remote, force)
        result.datasets.append(pulled)
    return result


def _pull_runs(ws: Workspace, name: str, commit: str, remote: str | None, force: bool) -> Status | None:
    """Check out the runs the commit records (``runs/<name>.dvc``). Without ``force``, DVC
    replaces only what its cache can restore (the runs of another commit, after a ``git
    checkout`` or a fast-forward merge); runs added here since the last snapshot (files DVC
    never saved) are kept, and so is the whole directory: "local changes"."""
    from goldset.runs import lock_path, runs_dir

    root = ws.root
    target = f"runs/{name}.dvc"
    here = runs_dir(ws, name)
    busy = f"{here}: another goldset process is adding or removing a run; try again when it has finished"
    if not (root / target).is_file():
        if not here.is_dir():
            return None
        with file_lock(lock_path(ws, name), 60.0, busy):
            return _drop_saved_runs(root, here, force)
    with file_lock(lock_path(ws, name), 60.0, busy):
        if here.is_dir() and vcs.dvc(root, "status", "-q", target, check=False).returncode == 0:
            return "up to date"
        # --force only when asked, or when there is nothing here to lose.
        forced = ["--force"] if force or not here.is_dir() else []
        # Not -q: DVC then says nothing, not even why it refused.
        local = vcs.dvc(root, "checkout", *forced, target, check=False)
        if local.returncode == 0:
            return "checked out"
        if _unsaved(local):
            return "local changes"
        if remote is None:
            raise VcsError(f"the runs of {name} at commit {commit} are not in this machine's DVC cache and no DVC "
                           "remote is configured: ask whoever snapshotted them to push, or add the remote")
        fetched = vcs.dvc(root, "pull", *forced, "-r", remote, target, check=False)
        if fetched.returncode != 0:
            if _unsaved(fetched):
                return "local changes"
            lines = (fetched.stderr or fetched.stdout).strip().splitlines()
            raise VcsError(f"could not fetch the runs of {name} at commit {commit} from DVC remote {remote!r}: "
                           f"{lines[-1] if lines else fetched.returncode}")
        return "fetched"


def _drop_saved_runs(root: Path, here: Path, force: bool) -> Status | None:
    """The commit records no runs, but the working directory holds some: another branch's,
    left by a ``git checkout`` (DVC has nothing to check out here). Run files DVC's cache holds
    were saved by a snapshot, so checking that branch out again brings them back: they go, or
    the next snapshot here would record them. A run no snapshot saved is kept (unless
    ``force``): "local changes"."""
    files = [p for p in here.iterdir() if p.is_file() and p.suffix == ".parquet"]
    if not files:
        return None
    cache = _dvc_cache_dir(root)
    kept = 0
    for path in files:
        md5 = file_md5(path)
        if force or (cache / "files" / "md5" / md5[:2] / md5[2:]).is_file():
            path.unlink()
        else:
            kept += 1
    return "local changes" if kept else "checked out"


def _dvc_cache_dir(root: Path) -> Path:
    """The project's DVC cache: ``cache.dir`` of its config (relative to ``.dvc/``), else
    ``.dvc/cache``."""
    found = root / ".dvc" / "cache"
    for conf in vcs.dvc_configs(root):
        configured = conf.get("cache", {}).get("dir")
        if configured:
            found = (root / ".dvc" / str(configured)).resolve()
    return found


def _unsaved(proc: subprocess.CompletedProcess[str]) -> bool:
    """DVC refused to remove files its cache does not hold (it asks for --force)."""
    said = proc.stderr + proc.stdout
    return "without confirmation" in said or "without a confirmation" in said


def _pull_one(ds: Dataset, commit: str, remote: str | None, force: bool) -> Pulled:
    root, name = ds.workspace.root, ds.name
    recorded = read_recorded(root, name)
    if recorded is None:
        return Pulled(dataset=name, status="not versioned", detail="never snapshotted: nothing to pull")
    ds.store.root.mkdir(parents=True, exist_ok=True)
    busy = f"{ds.store.root}: another goldset process is writing this dataset; try again when it has finished"
    with file_lock(ds.store.root / LOCK_FILE, 60.0, busy):
        current = _current(ds, force)
        if current is not None and recorded.manifest is not None:
            if current.digest == recorded.manifest:
                return Pulled(dataset=name, status="up to date", rows=current.rows, version=recorded.version)
            if is_local_work(current, recorded):
                return Pulled(dataset=name, status="local changes", rows=current.rows, version=recorded.version,
                              detail="changes since the last snapshot are kept; snapshot them to make a version")
        if current is not None and not force:
            if recorded.manifest is None:  # a .dvc without goldset's record: ask DVC
                if vcs.dvc(root, "status", "-q", recorded.path, check=False).returncode == 0:
                    return Pulled(dataset=name, status="up to date", rows=current.rows)
                _refuse(ds, current, "differs from what the commit's .dvc file names, and that file predates "
                        "goldset's record of versions, so goldset cannot tell local work from another commit's store")
            elif current.version is None:  # unsealed work on another version: no commit has it
                _refuse(ds, current, "holds changes that no commit records")
        fetched = _checkout(ds, recorded, commit, remote)
    after = ds.store.read_manifest()
    if recorded.manifest is not None and after.digest != recorded.manifest:
        raise VcsError(
            f"after 'dvc checkout' the store of {name} is still not the version commit {commit} names "
            f"({recorded.rows} rows, version {(recorded.version or recorded.manifest)[:12]}; found {after.rows} rows); "
            f"was {recorded.path} edited by hand? 'git checkout -- {recorded.path}' restores it"
        )
    return Pulled(dataset=name, status="fetched" if fetched else "checked out", rows=after.rows,
                  version=recorded.version)


def _current(ds: Dataset, force: bool) -> Manifest | None:
    """The working store's manifest; None when there is none (or, with ``force``, when it is
    damaged and will be replaced)."""
    try:
        manifest = ds.store.read_manifest()
    except StoreError:
        if not force:
            raise
        return None
    return manifest if manifest.digest is not None else None


def _refuse(ds: Dataset, current: Manifest, why: str) -> None:
    """Refuse to replace a store whose changes would be lost."""
    raise WorkspaceError(
        f"the working store of {ds.name} ({current.rows:,} rows) {why}; "
        "snapshot it on the branch it belongs to first, or pass --force to discard it"
    )


def _checkout(ds: Dataset, recorded: Recorded, commit: str, remote: str | None) -> bool:
    """Bring the committed store into place; True when data came from the remote."""
    root, target = ds.workspace.root, recorded.path
    # Local cache first: fast, and it works without a remote.
    local = vcs.dvc(root, "checkout", "-q", "--force", target, check=False)
    if local.returncode == 0:
        return False
    if remote is None:
        raise VcsError(
            f"the store of {ds.name} at commit {commit} is not in this machine's DVC cache and no DVC remote "
            "is configured: ask whoever snapshotted it to push it, or add the remote with "
            "'dvc remote add -d storage URL'"
        )
    fetched = vcs.dvc(root, "pull", "-q", "--force", "-r", remote, target, check=False)
    if fetched.returncode != 0:
        lines = (fetched.stderr or fetched.stdout).strip().splitlines()
        reason = lines[-1] if lines else f"exit code {fetched.returncode}"
        raise VcsError(f"could not fetch the store of {ds.name} at commit {commit} from DVC remote {remote!r}: {reason}")
    return True
