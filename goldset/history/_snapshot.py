"""``goldset snapshot``: record the dataset's current state as a git commit (+ DVC data).

A snapshot is a plain git commit made with DVC, so every git and DVC tool understands it:
the store's leftovers are cleaned, the reports are made from exactly that data
(``goldset.history._reports``), ``dvc add`` records the store's content hash in
``datasets/<name>.dvc``, and that file is committed with the audit log, the spec, the
expectations and the reports, optionally tagged, then ``dvc push``-ed when a remote is set.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field

from goldset.errors import UsageError, VcsError, WorkspaceError
from goldset.history import _vcs as vcs
from goldset.history._reports import ReportsResult, write_reports
from goldset.spec import SPEC_FILE
from goldset.store import LOCK_FILE, file_lock
from goldset.workspace import Workspace, admit, read_recorded, record_version, writing

_CONFLICT = re.compile(rb"^(<{7}|>{7})( |$)", re.MULTILINE)


class SnapshotResult(BaseModel):
    dataset: str
    message: str
    committed: bool = False
    commit: str | None = None
    tag: str | None = None
    rows: int = 0
    parts: int = 0
    files: list[str] = Field(default_factory=list, description="paths committed")
    leftovers_removed: list[str] = Field(default_factory=list)
    #: The reports written for this version (reports/), with the verdicts they record.
    reports: ReportsResult | None = None
    remote: str | None = None
    pushed: bool = False
    push_error: str | None = None


def snapshot_paths(root: Path, dataset: str) -> list[str]:
    """The git-tracked files a snapshot commits (those that exist)."""
    candidates = [
        f"datasets/{dataset}.dvc",
        "datasets/.gitignore",
        f"datasets/{dataset}.audit.jsonl",
        f"runs/{dataset}.dvc",
        "runs/.gitignore",
        SPEC_FILE,
        "expectations",
        "reports",
        "dvc.yaml",
        "dvc.lock",
        ".dvc/config",  # where the data lives (a remote added later); never config.local
    ]
    return [p for p in candidates if (root / p).exists()]


def _git_dir(root: Path) -> Path:
    out = vcs.git(root, "rev-parse", "--absolute-git-dir").stdout.strip()
    return Path(out)


def check_clean_merge_state(root: Path, paths: list[str]) -> None:
    """Refuse while git is mid-merge or a snapshot file still holds conflict markers."""
    unmerged = sorted({line.split("\t", 1)[1] for line in vcs.git(root, "ls-files", "-u").stdout.splitlines() if "\t" in line})
    if unmerged:
        raise WorkspaceError(
            f"merge conflict in {', '.join(unmerged[:10])}: resolve it (a dataset's .dvc file or audit log: "
            "'goldset merge', which merges row by row), 'git add' the result, commit, then snapshot again"
        )
    git_dir = _git_dir(root)
    for marker, what, fix in (
        ("MERGE_HEAD", "a git merge", "'git merge --continue' or 'git merge --abort'"),
        ("rebase-merge", "a git rebase", "'git rebase --continue' or 'git rebase --abort'"),
        ("rebase-apply", "a git rebase", "'git rebase --continue' or 'git rebase --abort'"),
        ("CHERRY_PICK_HEAD", "a cherry-pick", "'git cherry-pick --continue' or '--abort'"),
    ):
        if (git_dir / marker).exists():
            raise WorkspaceError(f"{what} is in progress; finish it with {fix}, then snapshot again")
    for rel in paths:
        if rel == "reports":  # generated: the snapshot rewrites them from the data it commits
            continue
        path = root / rel
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
        for f in files:
            if f.suffix in (".html", ".parquet") or f.stat().st_size > 50_000_000:
                continue
            if _CONFLICT.search(f.read_bytes()):
                raise WorkspaceError(
                    f"{f.relative_to(root)} still holds merge-conflict markers (<<<<<<< / >>>>>>>); "
                    "edit it to the version you want, then snapshot again"
                )


def check_tag(root: Path, tag: str) -> None:
    if vcs.git(root, "check-ref-format", f"refs/tags/{tag}", check=False).returncode != 0:
        raise UsageError(f"--tag: {tag!r} is not a valid git tag name")
    existing = vcs.git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}", check=False)
    if existing.returncode == 0:
        raise UsageError(
            f"--tag: tag {tag!r} already exists (on {existing.stdout.strip()[:12]}); pick another name "
            f"or delete it first with 'git tag -d {tag}'"
        )


def default_remote(root: Path) -> str | None:
    """The DVC remote a push goes to: the default one, else the only one, else None."""
    default, names = None, []
    for conf in vcs.dvc_configs(root):
        default = conf.get("core", {}).get("remote", default)
        names += [m.group(1) for section in conf if (m := re.fullmatch(r'remote "(.+)"', section)) and m.group(1) not in names]
    if default:
        return str(default)
    return names[0] if len(names) == 1 else None


def snapshot(
    ws: Workspace,
    dataset: str | None,
    message: str,
    tag: str | None = None,
    *,
    push: bool = True,
) -> SnapshotResult:
    """Commit the dataset's current state; tag it; push its data to the DVC remote."""
    admit(ws.dataset(dataset), "snapshot")  # a past revision, or a role that may not
    if not message.strip():
        raise UsageError("snapshot: -m MESSAGE must say what changed")
    root = ws.root
    if not vcs.is_git_repo(root):
        raise WorkspaceError(f"{root}: not a git repository; run 'goldset init' first")
    ws.reload_spec()  # a spec that does not parse (e.g. conflict markers) stops here
    ds = ws.dataset(dataset)
    name = ds.name
    result = SnapshotResult(dataset=name, message=message.strip(), tag=tag)
    check_clean_merge_state(root, snapshot_paths(root, name))
    if tag:
        check_tag(root, tag)

    ds.manifest()  # a store that is not the checked-out version: refused before anything is written
    # A dataset never written (or the recorded empty version, not materialized in a clone):
    # its directory is made here, and the seal below writes its first, empty manifest.
    ds.path.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in ds.path.iterdir()}
    # The store's lock is held through `dvc add`, so no write lands half-way through hashing.
    # Entering the transaction removes crash leftovers; it commits nothing. A snapshot is its
    # own record (a commit), so it writes no audit line (which would dirty what it commits).
    with writing(ds, op="snapshot") as w:  # the role was admitted above, before any git call
        w.audited = False
        # Taking the transaction reads the manifest strictly: a missing or changed part, or a
        # file no write accounts for, is StoreDamaged here, so no stray is ever versioned.
        tx = w.tx  # (taking it also checks that the store is the checked-out version)
        result.rows, result.parts = tx.base.rows, len(tx.base.parts)
        result.leftovers_removed = sorted(before - {p.name for p in ds.path.iterdir()} - {LOCK_FILE})
        # Seal the manifest as a new version unless it already is the version the commit
        # names (nothing changed). Then the .dvc file names the data by DVC's hash of every
        # file, and its meta holds goldset's record (version id, manifest digest), which lets
        # every later command check the store cheaply.
        recorded = read_recorded(root, name)
        if not (tx.base.version and recorded is not None and tx.base.digest == recorded.manifest):
            tx.commit(seal=True)
        vcs.dvc(root, "add", "-q", f"datasets/{name}")
        record_version(root, name, tx.base)
        _track_runs(ws, name)
        # The reports describe exactly the data committed: made under the lock, from the
        # sealed generation `dvc add` hashed (after record_version: reads check that the store
        # is the version the .dvc file names). A failing gate or validation is recorded, not raised.
        result.reports = write_reports(ds)
        if result.reports.data != tx.base.digest:  # the lock rules this out; never commit it
            raise WorkspaceError(f"{name}: the reports describe data {result.reports.data} but the store is "
                                 f"{tx.base.digest}; nothing was committed, snapshot again")

    paths = snapshot_paths(root, name)
    vcs.git(root, "add", "--", *paths)
    staged = vcs.git(root, "diff", "--cached", "--quiet", "--", *paths, check=False).returncode != 0
    identity = vcs.commit_identity_args(root, ws.user)
    if staged:
        # --only: commit these paths, never whatever else the user had staged.
        vcs.git(root, *identity, "commit", "-q", "-m", result.message, "--only", "--", *paths)
        result.committed = True
        result.files = [p for p in vcs.git(root, "show", "--name-only", "--format=", "HEAD").stdout.splitlines() if p]
    result.commit = vcs.git(root, "rev-parse", "HEAD").stdout.strip()
    if tag:
        vcs.git(root, *identity, "tag", "-a", tag, "-m", result.message)

    result.remote = default_remote(root)
    if push and result.remote:
        targets = [f"datasets/{name}.dvc"] + ([f"runs/{name}.dvc"] if (root / "runs" / f"{name}.dvc").is_file() else [])
        proc = vcs.dvc(root, "push", "-q", "-r", result.remote, *targets, check=False)
        if proc.returncode == 0:
            result.pushed = True
        else:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            result.push_error = lines[-1] if lines else f"exit code {proc.returncode}"
    return result


def _track_runs(ws: Workspace, name: str) -> None:
    """``dvc add`` the dataset's runs (under the runs lock, so no run lands half-way through
    hashing); a directory no run was ever added to is left alone."""
    from goldset.runs import lock_path, runs_dir

    here = runs_dir(ws, name)
    if not here.is_dir():
        return
    busy = f"{here}: another goldset process is adding or removing a run; snapshot again when it has finished"
    with file_lock(lock_path(ws, name), ws.lock_timeout, busy):
        vcs.dvc(ws.root, "add", "-q", f"runs/{name}")


def push_failed(result: SnapshotResult) -> VcsError:
    """The error a caller raises after reporting a snapshot whose push failed."""
    return VcsError(
        f"snapshot {result.commit and result.commit[:12]} is committed, but 'dvc push' to remote "
        f"{result.remote!r} failed ({result.push_error}); run 'dvc push' when the remote is reachable"
    )
