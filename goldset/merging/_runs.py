"""Merging a dataset's model runs at a git merge: ``runs/<name>.dvc``, run file by run file.

Runs are immutable files in one DVC-tracked directory, so two branches that each add a run
change the same ``.dvc`` line (the directory's hash) and git alone would call it a conflict.
The merge driver (:func:`goldset.merging.merge_driver`'s sibling for ``runs/``) merges the
three directory listings instead: a run file is its name and the md5 DVC records for it in the
directory's ``.dir`` listing, so no run is ever read.

* the same on both sides: kept; changed (added, replaced, removed) on one side only: that
  side's; different on both (both changed it, both added it with different content, or one
  removed what the other changed): a conflict;
* no conflict: the working ``runs/<name>/`` (ours, checked out) becomes the merge: the files
  theirs brings are fetched first (DVC's local cache, else the remote, at a commit holding
  theirs' ``.dvc``), then moved in, the ones the merge drops removed, and ``dvc add`` records the
  directory, under the runs lock; the merged ``.dvc`` text goes to git as ``%A`` and the bytes
  ``dvc add`` wrote are put back (git writes the file itself, as for datasets);
* a conflict, or theirs' data out of reach: nothing is written, the driver fails with one line
  per conflicting run and how to resolve.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from goldset.access import roles
from goldset.errors import MergeConflict, PermissionDenied, StoreError, WorkspaceError
from goldset.history import dir_hash_of, dvc_errors, dvc_filesystem, vcs
from goldset.merging._flow import _commit_holding, _dataset_of, _hints, _merge_heads
from goldset.runs import lock_path, runs_dir
from goldset.store import file_lock, file_md5

if TYPE_CHECKING:
    from goldset.workspace import Workspace

__all__ = ["RunConflict", "RunsMergeResult", "merge_runs_driver"]

#: What goldset's ``.dvcignore`` keeps out of a tracked directory (not data: never compared).
_NOT_DATA = (".goldset.lock", ".goldset.journal")


class RunConflict(BaseModel):
    """One run file both sides changed differently; md5s of its content (None: absent)."""

    run: str
    why: str
    base: str | None = None
    ours: str | None = None
    theirs: str | None = None


class RunsMergeResult(BaseModel):
    """What merging a dataset's runs did (with conflicts, why it stopped: nothing written)."""

    dataset: str
    status: Literal["merged", "up to date", "conflicts"] = "merged"
    #: Runs theirs brought (added, or changed on their side only), and runs the merge removed.
    added: list[str] = Field(default_factory=list)
    replaced: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    #: Run files in the merged directory.
    runs: int = 0
    conflicts: list[RunConflict] = Field(default_factory=list)


class _Side(BaseModel):
    label: str
    #: The commit holding this side's ``.dvc`` text (None: the side has no runs).
    commit: str | None = None
    #: Path inside the directory -> md5 of its content.
    files: dict[str, str] = Field(default_factory=dict)


def _run_name(rel: str) -> str:
    return rel.removesuffix(".parquet")


def _side(root: Path, name: str, text: bytes | None, label: str, hints: list[str]) -> _Side:
    """One side's run listing, from the ``.dir`` object its ``.dvc`` text names (read through
    DVC at a commit holding that text: the local cache, else the remote)."""
    if text is None:
        return _Side(label=label)
    rel = f"runs/{name}.dvc"
    dir_hash_of(text, f"{rel} on the {label} side")  # one directory hash, or one clear error
    commit = _commit_holding(root, rel, text, hints)
    if commit is None:
        raise StoreError(
            f"the {label} side of {rel} is in no commit of this repository; fetch the branch "
            "('git fetch') and its data ('dvc fetch') and merge again"
        )
    fs, top = dvc_filesystem(root, commit)
    prefix = f"{top}runs/{name}/"
    try:
        with dvc_errors(f"the runs of {name!r} on the {label} side ({commit[:12]})"):
            found = fs.find(prefix.rstrip("/"), detail=True)
    finally:
        fs.close()
    files: dict[str, str] = {}
    for path, info in found.items():
        inner = str(path).removeprefix(prefix)
        parts = PurePosixPath(inner).parts
        if inner.startswith("/") or not parts or ".." in parts or inner != "/".join(parts):
            raise StoreError(f"{rel} on the {label} side lists {inner!r}, not a path inside runs/{name}/; nothing was merged")
        md5 = info.get("md5")
        if not isinstance(md5, str):
            raise StoreError(f"{rel} on the {label} side records no md5 for {inner!r}; nothing was merged")
        files[inner] = md5
    return _Side(label=label, commit=commit, files=files)


def plan(base: _Side, ours: _Side, theirs: _Side, result: RunsMergeResult) -> dict[str, str]:
    """The merged listing (path -> md5); conflicts go into ``result``."""
    merged: dict[str, str] = {}
    for rel in sorted(base.files.keys() | ours.files.keys() | theirs.files.keys()):
        b, o, t = base.files.get(rel), ours.files.get(rel), theirs.files.get(rel)
        if o == t or t == b:
            pick = o
        elif o == b:
            pick = t
            if o is None:
                result.added.append(_run_name(rel))
            elif t is None:
                result.removed.append(_run_name(rel))
            else:
                result.replaced.append(_run_name(rel))
        else:
            why = ("added on both branches with different content" if b is None
                   else "removed on ours, changed on theirs" if o is None
                   else "changed on ours, removed on theirs" if t is None
                   else "changed differently on both branches")
            result.conflicts.append(RunConflict(run=_run_name(rel), why=why, base=b, ours=o, theirs=t))
            continue
        if pick is not None:
            merged[rel] = pick
    result.runs = len(merged)
    return merged


def _conflict_error(result: RunsMergeResult, rel: str) -> MergeConflict:
    ds = result.dataset
    error = MergeConflict(
        f"{len(result.conflicts)} run(s) of {ds} conflict ({rel}): the same run name holds different "
        f"content on the two branches; nothing was merged. Keep one side's runs: 'git checkout --ours {rel}' "
        f"(or --theirs), 'git add {rel}', then 'goldset --dataset {ds} pull --force' (checks out the runs "
        "it names); or keep ours and, after the merge, re-add their run under another name "
        "('goldset run add OUTPUTS --name NEW')",
        problems=[f"run {c.run}: {c.why}" for c in result.conflicts],
    )
    error.result = result
    return error


def _check_working(here: Path, ours: _Side, name: str) -> None:
    """The working runs directory must be exactly ours: a merge starts from snapshots."""
    fix = "abort the merge ('git merge --abort'), "
    if not here.is_dir():
        if not ours.files:
            return
        raise WorkspaceError(f"the runs of {name} are not checked out here ({here}); {fix}run 'goldset pull', merge again")
    present = {
        p.relative_to(here).as_posix() for p in here.rglob("*")
        if p.is_file() and p.name not in _NOT_DATA and not p.name.endswith(".tmp")
    }
    differ = sorted((present ^ ours.files.keys()) | {r for r in present & ours.files.keys() if file_md5(here / r) != ours.files[r]})
    if differ:
        shown = ", ".join(_run_name(r) for r in differ[:10]) + (" ..." if len(differ) > 10 else "")
        raise WorkspaceError(
            f"the working runs of {name} differ from this branch's runs/{name}.dvc ({shown}): runs added or "
            f"removed since the last snapshot; {fix}snapshot (or 'goldset pull --force' to drop them), merge again"
        )


def _fetch(root: Path, name: str, theirs: _Side, wanted: dict[str, str], stage: Path) -> None:
    """Theirs' files ``wanted`` (path -> md5) into ``stage``, checked against their md5."""
    if not wanted:
        return
    assert theirs.commit is not None  # a side with files has a commit
    fs, top = dvc_filesystem(root, theirs.commit)
    try:
        with dvc_errors(f"the runs of {name!r} on the theirs side ({theirs.commit[:12]})"):
            for rel in wanted:
                (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            # Lists make DVC copy file by file in this thread: no pool, nothing left at exit.
            fs.get([f"{top}runs/{name}/{rel}" for rel in wanted], [str(stage / rel) for rel in wanted])
    finally:
        fs.close()
    for rel, md5 in wanted.items():
        if not (stage / rel).is_file() or file_md5(stage / rel) != md5:
            raise StoreError(f"run {_run_name(rel)} of {name} came back damaged from DVC; run 'dvc fetch' and merge again")


def _apply(root: Path, name: str, here: Path, stage: Path, bring: list[str], drop: list[str]) -> None:
    """Move ``bring`` from ``stage`` into ``here`` and ``drop`` out of it, then ``dvc add``;
    on any failure put the directory back as it was."""
    trash = stage / ".dropped"
    out: list[str] = []
    moved: list[str] = []
    try:
        for rel in drop:
            (trash / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(here / rel, trash / rel)
            out.append(rel)
        for rel in bring:
            (here / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, here / rel)
            moved.append(rel)
        vcs.dvc(root, "add", "-q", f"runs/{name}")
    except BaseException:
        for rel in moved:
            with contextlib.suppress(OSError):
                (here / rel).unlink()
        for rel in out:
            with contextlib.suppress(OSError):
                os.replace(trash / rel, here / rel)
        raise


def merge_runs_driver(top: Path, base_file: Path, ours_file: Path, theirs_file: Path, path: str) -> RunsMergeResult:
    """git's merge driver for ``runs/<name>.dvc``: merge the three run listings file by file;
    on success the working ``runs/<name>/`` holds the merge and ``ours_file`` (git's ``%A``) the
    merged ``.dvc`` text. Raises :class:`MergeConflict` (nothing written) when sides conflict."""
    ws, name = _dataset_of(top, path, ".dvc", folder="runs")
    root, rel = ws.root, f"runs/{name}.dvc"
    # Refused without an audit line, as for datasets: the log is a file git is merging.
    denied = roles.denial(ws.dataset(name).spec.roles, ws.user, name, "merge")
    if denied is not None:
        raise PermissionDenied(denied)
    texts = [p.read_bytes() if p.stat().st_size else None for p in (base_file, ours_file, theirs_file)]
    hints = _hints(root, _merge_heads(root))
    base, ours, theirs = (_side(root, name, t, label, hints) for t, label in zip(texts, ("base", "ours", "theirs"), strict=True))
    result = RunsMergeResult(dataset=name)
    merged = plan(base, ours, theirs, result)
    if result.conflicts:
        result.status = "conflicts"
        raise _conflict_error(result, rel)
    if merged == ours.files:
        result.status = "up to date"  # theirs brings nothing ours lacks: git keeps ours' text
        return result
    text = _write(ws, name, ours, theirs, merged)
    ours_file.write_bytes(text)
    return result


def _write(ws: Workspace, name: str, ours: _Side, theirs: _Side, merged: dict[str, str]) -> bytes:
    """Make the working runs directory the merge and ``dvc add`` it; the merged ``.dvc`` text.
    Tracked files are left as they were (git writes the merged ``.dvc`` itself)."""
    root, here = ws.root, runs_dir(ws, name)
    bring = {r: m for r, m in merged.items() if ours.files.get(r) != m}
    drop = [r for r in ours.files if merged.get(r) != ours.files[r]]
    keep = {p: p.read_bytes() if p.is_file() else None for p in (root / "runs" / f"{name}.dvc", root / "runs" / ".gitignore")}
    busy = f"{here}: another goldset process is adding or removing a run; merge again when it has finished"
    stage = ws.state_dir() / "tmp" / f"runs-merge-{secrets.token_hex(6)}"
    try:
        with file_lock(lock_path(ws, name), ws.lock_timeout, busy):
            _check_working(here, ours, name)
            stage.mkdir(parents=True)
            _fetch(root, name, theirs, bring, stage)  # before anything changes: all or nothing
            here.mkdir(parents=True, exist_ok=True)
            _apply(root, name, here, stage, list(bring), drop)
        return (root / "runs" / f"{name}.dvc").read_bytes()
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        for p, data in keep.items():
            if data is None:
                p.unlink(missing_ok=True)
            elif p.read_bytes() != data:
                p.write_bytes(data)
