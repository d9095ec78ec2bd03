"""Merging a dataset's versions at a git merge: the git merge driver and ``goldset merge``.

``goldset init`` installs a merge driver for ``datasets/*.dvc`` and one for
``datasets/*.audit.jsonl`` (``.gitattributes`` plus the repository's git config). When both
branches changed a dataset, ``git merge`` calls the first with the three ``.dvc`` files (base,
ours, theirs):

1. each side's store is found by the directory hash its ``.dvc`` names: the working store
   (ours, checked out), the revision cache, else fetched through DVC (local cache, else the
   remote) at a commit that holds that ``.dvc`` file;
2. the rows merge per example and per field (:mod:`goldset.merging._rows`);
3. with no conflict, the merge is written into the working store (which git ignores: DVC
   tracks it) as a new sealed version, ``dvc add`` puts it in DVC's cache, and the merged
   ``.dvc`` file (with goldset's record of the version and of the merge) is what the driver
   hands back to git. git then writes it into the working tree itself: a driver runs before
   git updates the working tree and must not touch a tracked file, so the bytes ``dvc add``
   wrote are put back at once;
4. with conflicts, nothing is written: the driver lists them and fails, git marks the file
   conflicted (keeping ours, still a valid ``.dvc`` file matching the working store), and
   ``goldset merge --resolve ours|theirs [--id ...]`` finishes the job from git's index.

The audit logs merge as the union of their lines, ordered by time, plus one ``merge`` line
that joins both chains (:func:`goldset.access.audit_merge.merge_logs`).

``goldset merge`` also works where no driver ran (a clone without ``goldset init``, or a
merge run with the driver disabled): it reads the sides from git's index stages of the
conflicted ``.dvc`` file, and merges the audit log too when git left it conflicted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from goldset.access import audit, audit_merge, current_user, roles
from goldset.errors import (
    GoldsetError,
    MergeConflict,
    PermissionDenied,
    StoreError,
    UsageError,
    WorkspaceError,
)
from goldset.history import dir_hash_of, materialize_dataset, store_cache, vcs, write_reports
from goldset.merging._rows import MergeCounts, RowMerge, Side, StoreVersion, plan, write_tombstones
from goldset.store import MANIFEST, db, parse_manifest
from goldset.workspace import WriteResult, admit, parse_recorded, record_version, writing

if TYPE_CHECKING:
    from goldset.workspace import Dataset, Workspace

__all__ = ["MergeResult", "merge", "merge_audit_driver", "merge_driver"]

Status = Literal["merged", "conflicts", "nothing to merge", "up to date"]


class MergeResult(WriteResult, MergeCounts):
    """What a merge did (or, with conflicts, why it stopped: nothing was written then)."""

    op: str = "merge"
    status: Status = "merged"
    base: str | None = None
    ours: str = ""
    theirs: str = ""
    #: The merged version id (recorded in the .dvc file).
    version: str | None = None
    #: Paths staged with 'git add' (goldset merge), for the commit that concludes the merge.
    staged: list[str] = Field(default_factory=list)


# -- the sides -----------------------------------------------------------------------------
def _blob_id(text: bytes) -> str:
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(text) + text, usedforsecurity=False).hexdigest()


def _blob_at(root: Path, commit: str, rel: str) -> str | None:
    proc = vcs.git(root, "rev-parse", "--verify", "--quiet", f"{commit}:./{rel}", check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _commit_holding(root: Path, rel: str, text: bytes, hints: list[str]) -> str | None:
    """A commit whose ``rel`` is exactly ``text``: one of ``hints`` (the merge's heads and
    base), else one found in the history of every ref (a rebase, a cherry-pick)."""
    blob = _blob_id(text)
    for commit in hints:
        if _blob_at(root, commit, rel) == blob:
            return commit
    found = vcs.git(root, "log", "--all", "--format=%H", f"--find-object={blob}", "-n", "20", "--", rel, check=False)
    for commit in found.stdout.split():
        for candidate in (commit, f"{commit}^"):
            if _blob_at(root, candidate, rel) == blob:
                return vcs.git(root, "rev-parse", candidate).stdout.strip()
    return None


def _version(ds: Dataset, text: bytes | None, label: str, hints: list[str]) -> StoreVersion:
    """One side of the merge from its ``.dvc`` text (None: the side has no such file, e.g.
    no common base: an empty store)."""
    if text is None:
        return StoreVersion(label=label)
    root, rel = ds.workspace.root, f"datasets/{ds.name}.dvc"
    where = f"{rel} on the {label} side"
    recorded = parse_recorded(text.decode("utf-8", errors="replace"), where)
    if recorded.manifest is None:
        raise WorkspaceError(
            f"{where} has no goldset record of its version (made by 'dvc add' by hand or an older goldset), so "
            f"it cannot be merged row by row; pick a side ('git checkout --ours {rel}' or --theirs), "
            "'goldset pull', then snapshot"
        )
    name = f"{label} ({recorded.rows:,} rows, version {(recorded.version or recorded.manifest)[:12]})"
    with contextlib.suppress(GoldsetError):
        working = ds.store.read_manifest()
        if working.digest == recorded.manifest:
            return StoreVersion(label=name, root=ds.path, manifest=working)
    md5 = dir_hash_of(text, where)
    cached = store_cache(root, md5)
    if not (cached / MANIFEST).is_file():
        commit = _commit_holding(root, rel, text, hints)
        if commit is None:
            raise StoreError(
                f"the {name} side of {rel} is in no commit of this repository; fetch the branch "
                "('git fetch') and its data ('dvc fetch') and merge again"
            )
        cached = materialize_dataset(root, commit, ds.name)
    manifest = parse_manifest((cached / MANIFEST).read_bytes(), f"{rel} ({label})")
    if manifest.digest != recorded.manifest:  # a .dvc file edited by hand: meta and data disagree
        raise WorkspaceError(
            f"{where}: its goldset record names version {(recorded.version or recorded.manifest)[:12]}, but the data "
            f"it names is another ({manifest.rows:,} rows); was it edited by hand? Nothing was merged"
        )
    return StoreVersion(label=name, root=cached, manifest=manifest)


# -- writing the merge -----------------------------------------------------------------------
def _fill(result: MergeResult, rm: RowMerge) -> None:
    for key in MergeCounts.model_fields:
        setattr(result, key, getattr(rm, key))


def _conflict_error(result: MergeResult, rel: str) -> MergeConflict:
    lines = [f"{c.id} {c.field}: base {_show(c.base)}, ours {_show(c.ours)}, theirs {_show(c.theirs)}"
             for c in result.conflicts]
    more = result.conflict_count - len(lines)
    error = MergeConflict(
        f"{result.conflict_count} conflict(s) in {result.conflicted_ids} example(s) of {result.dataset} "
        f"({rel}): both branches changed the same field differently, or one removed an example the other "
        "edited; nothing was merged. Decide with 'goldset merge --resolve ours|theirs [--id ID ...]'",
        problems=lines + ([f"... and {more} more"] if more > 0 else []),
    )
    error.result = result
    return error


def _show(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _write(ds: Dataset, base: StoreVersion, ours: StoreVersion, theirs: StoreVersion, result: MergeResult, *,
           resolve: Side | None, ids: set[str] | None, audited: bool, dry_run: bool) -> None:
    """Merge into the working store (which must be ``ours``), seal it as a version, ``dvc
    add`` it and record the version in ``datasets/<name>.dvc``. Conflicts: nothing written."""
    root, name = ds.workspace.root, ds.name
    note = f"{theirs.label} into {ours.label}" + (f" (base {base.label})" if base.root else "")
    with writing(ds, "merge", op="merge", note=note) as w:
        w.audited = audited
        tx = w.tx  # the lock; also checks the store is the checked-out version
        if tx.base.digest != ours.manifest.digest:
            raise WorkspaceError(
                f"the working store of {name} has changes since its last snapshot ({tx.base.rows:,} rows); a merge "
                "starts from snapshotted versions only: abort the merge ('git merge --abort'), snapshot, merge again"
            )
        con = db.connect()
        try:
            rm = plan(con, base, ours, theirs, resolve, ids)
            _fill(result, rm)
            if rm.conflict_count:
                result.status = "conflicts"
                return
            if dry_run:
                return
            if not (rm.added or rm.removed or rm.updated or rm.tombstones_changed):
                result.status = "up to date"  # theirs brings nothing ours lacks
                w.audited = False
                return
            scratch = tx.new_scratch_dir("merge")
            scratch.mkdir()
            try:
                stones = [write_tombstones(con, scratch / "removed-merge.parquet")] if rm.tombstones_changed else None
                w.replace_rows(con, "_m_changed", "_m_rows", result, tombstones=stones)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        finally:
            con.close()
        tx.commit(seal=True)
        result.version = tx.base.version
        vcs.dvc(root, "add", "-q", f"datasets/{name}")
        record_version(root, name, tx.base, merge={
            "ours": ours.manifest.version, "theirs": theirs.manifest.version, "base": base.manifest.version,
            "added": result.added, "removed": result.removed, "updated": result.updated,
            "resolved": result.resolved,
        })


# -- the git merge driver ----------------------------------------------------------------------
def _merge_heads(root: Path) -> list[str]:
    """The commits being merged in: MERGE_HEAD when git wrote it, else the GITHEAD_<sha>
    variables git sets for a merge driver's environment."""
    heads = [k.removeprefix("GITHEAD_") for k in os.environ if k.startswith("GITHEAD_")]
    proc = vcs.git(root, "rev-parse", "--verify", "--quiet", "MERGE_HEAD", check=False)
    if proc.returncode == 0:
        heads.append(proc.stdout.strip())
    return [h for h in dict.fromkeys(heads) if len(h) >= 40]


def _hints(root: Path, theirs: list[str]) -> list[str]:
    hints = ["HEAD", *theirs]
    for head in theirs:
        proc = vcs.git(root, "merge-base", "HEAD", head, check=False)
        hints += proc.stdout.split()
    return hints


def _dataset_of(top: Path, path: str, suffix: str, folder: str = "datasets") -> tuple[Workspace, str]:
    """The workspace and dataset a merged file belongs to (``path`` as git gives it: from
    the repository's top, ``[sub/]<folder>/<name><suffix>``)."""
    from goldset.workspace import Workspace

    rel = Path(path)
    if rel.is_absolute() or ".." in rel.parts or rel.parent.name != folder or not rel.name.endswith(suffix):
        raise UsageError(f"{path}: not a goldset dataset file ({folder}/<name>{suffix}) in this repository")
    ws = Workspace((top / rel.parent.parent).resolve())
    name = rel.name.removesuffix(suffix)
    ws.spec.dataset_name(name)  # an unknown dataset: one clear error
    return ws, name


def merge_driver(top: Path, base_file: Path, ours_file: Path, theirs_file: Path, path: str) -> MergeResult:
    """git's merge driver for ``datasets/<name>.dvc``: merge the three versions; on success
    write the merged ``.dvc`` text into ``ours_file`` (git's ``%A``). Raises
    :class:`MergeConflict` (nothing written) when sides conflict."""
    ws, name = _dataset_of(top, path, ".dvc")
    ds = ws.dataset(name)
    root, rel = ws.root, f"datasets/{name}.dvc"
    # Refused without an audit line: the log is a tracked file git is merging right now.
    denied = roles.denial(ds.spec.roles, ws.user, name, "merge")
    if denied is not None:
        raise PermissionDenied(denied)
    texts = [p.read_bytes() if p.stat().st_size else None for p in (base_file, ours_file, theirs_file)]
    hints = _hints(root, _merge_heads(root))
    base, ours, theirs = (_version(ds, t, label, hints) for t, label in zip(texts, ("base", "ours", "theirs"), strict=True))
    result = MergeResult(dataset=name, base=base.label, ours=ours.label, theirs=theirs.label)
    if ours.root != ds.path:
        raise WorkspaceError(
            f"the working store of {name} is not the version this branch's {rel} names, so it cannot take "
            "the merge; abort it ('git merge --abort'), run 'goldset pull', merge again"
        )
    # The driver must leave tracked files as they are (git writes the result itself): keep the
    # bytes `dvc add` and the record would change, put them back, hand the new text to git.
    keep = {p: p.read_bytes() for p in (root / rel, root / "datasets" / ".gitignore") if p.is_file()}
    try:
        _write(ds, base, ours, theirs, result, resolve=None, ids=None, audited=False, dry_run=False)
        merged = (root / rel).read_bytes()
    finally:
        for p, data in keep.items():
            if p.read_bytes() != data:
                p.write_bytes(data)
    if result.status == "conflicts":
        raise _conflict_error(result, rel)
    if result.status == "merged":
        ours_file.write_bytes(merged)
    return result


def merge_audit_driver(top: Path, base_file: Path, ours_file: Path, theirs_file: Path, path: str) -> int:
    """git's merge driver for ``datasets/<name>.audit.jsonl``: the union of both logs' lines,
    ordered by time, and one ``merge`` line joining their chains, into ``ours_file``. Returns
    the lines the merged log has."""
    ws, name = _dataset_of(top, path, ".audit.jsonl")
    merged = _merge_log(ws, name, base_file.read_bytes(), ours_file.read_bytes(), theirs_file.read_bytes(),
                        note="git merge: the audit logs of both branches, joined")
    ours_file.write_bytes(merged)
    return merged.count(b"\n")


def _merge_log(ws: Workspace, name: str, base: bytes, ours: bytes, theirs: bytes, note: str) -> bytes:
    user = current_user(ws.root)
    join = audit.make_entry(user=user, role=ws.dataset(name).spec.roles.get(user), op="merge", dataset=name, note=note)
    return audit_merge.merge_logs(base, ours, theirs, join)


# -- goldset merge ---------------------------------------------------------------------------
def _stages(root: Path, rel: str) -> dict[int, bytes]:
    """The blobs of the unmerged index stages of ``rel`` (1 base, 2 ours, 3 theirs)."""
    listed = vcs.git(root, "ls-files", "-u", "-z", "--", rel).stdout
    stages: dict[int, bytes] = {}
    for entry in filter(None, listed.split("\0")):
        info, _, _path = entry.partition("\t")
        _mode, blob, stage = info.split()
        stages[int(stage)] = subprocess.run(["git", "cat-file", "blob", blob], cwd=root, capture_output=True,
                                            check=True).stdout
    return stages


def merge(ws: Workspace, dataset: str | None = None, *, resolve: Side | None = None,
          ids: list[str] | None = None, dry_run: bool = False) -> MergeResult:
    """Finish a git merge of ``dataset``'s store: merge base, ours and theirs (git's index
    stages of the conflicted ``datasets/<name>.dvc``) row by row, deciding conflicts with
    ``resolve`` (for ``ids`` only, when given); write, seal, ``dvc add`` and ``git add`` the
    result (and the audit log, merged first if git left it conflicted). Raises
    :class:`MergeConflict` while undecided conflicts remain (nothing written)."""
    if ids and resolve is None:
        raise UsageError("--id needs --resolve ours|theirs (which side wins those examples)")
    ds = ws.dataset(dataset)
    admit(ds, "merge")  # a past revision, or a reader: refused (and audited) before anything
    root = ws.root
    if not vcs.is_git_repo(root):
        raise WorkspaceError(f"{root}: not a git repository; there is nothing to merge")
    name, rel = ds.name, f"datasets/{ds.name}.dvc"
    heads = _merge_heads(root)
    if not heads:
        raise WorkspaceError(
            "no git merge is in progress: run 'git merge BRANCH' (goldset's merge driver merges the "
            "datasets row by row); goldset merge finishes a merge that stopped on conflicts"
        )
    stages = _stages(root, rel)
    result = MergeResult(dataset=name, dry_run=dry_run)
    if 2 not in stages or 3 not in stages:
        result.status = "nothing to merge"  # merged already (by the driver) or unchanged
        return result
    hints = _hints(root, heads)
    base, ours, theirs = (_version(ds, stages.get(i), label, hints) for i, label in ((1, "base"), (2, "ours"), (3, "theirs")))
    result.base, result.ours, result.theirs = base.label, ours.label, theirs.label
    wanted = set(ids) if ids else None
    if not dry_run and (root / rel).read_bytes() != stages[2]:
        (root / rel).write_bytes(stages[2])  # conflict markers out: the store is checked against ours
    if ours.root != ds.path:
        raise WorkspaceError(
            f"the working store of {name} is not ours' version ({ours.label}); run 'goldset pull', "
            "then 'goldset merge' again"
        )
    log = f"datasets/{name}.audit.jsonl"
    log_stages = _stages(root, log)
    if not dry_run and 2 in log_stages and 3 in log_stages:
        # The log git left conflicted is merged first, so this merge's own line follows the join.
        merged = _merge_log(ws, name, log_stages.get(1, b""), log_stages[2], log_stages[3],
                            note="goldset merge: the audit logs of both branches, joined")
        ds.audit_path.write_bytes(merged)
    _write(ds, base, ours, theirs, result, resolve=resolve, ids=wanted, audited=True, dry_run=dry_run)
    if result.status == "conflicts":
        raise _conflict_error(result, rel)
    if dry_run:
        return result
    if result.status == "up to date":
        (root / rel).write_bytes(stages[2])
    # The merge commit's reports describe the merged data, as a snapshot's do.
    write_reports(ds)
    result.staged = [p for p in (rel, log, "reports") if (root / p).exists()]
    vcs.git(root, "add", "--", *result.staged)
    return result
