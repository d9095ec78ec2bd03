"""``goldset restore --rev REV``: bring a dataset's store back to a past version, as a new,
audited change (not a git revert: history stays as it is, and the next snapshot records the
restore like any other write).

Afterwards the live rows are exactly the rows of the dataset at REV, every column included
(provenance too: who created, edited and reviewed each row, and when), and the tombstones
(ids kept removed from later imports) are REV's.

1. REV is opened read-only (:func:`goldset.history.open_revision`): its store comes from the
   local DVC cache, else the DVC remote; its tombstone files, which a read never needs, are
   fetched the same way (only those the working store does not hold already).
2. The working store and REV's are compared in one DuckDB full outer join: the row diff of
   ``goldset diff`` (``_diff``), parts shared by both sides left out. This runs before the
   lock, so other writers never wait for it.
3. The change is admitted like any other, field by field: rows now but not at REV are
   removals (``remove``), rows at REV but not now are additions (``import``), and each field
   that differs on a shared id needs the action that owns it (``roles.FIELD_ACTIONS``;
   provenance and ``input_hash`` follow their row and need nothing of their own). Changing
   the tombstones is the ``remove`` right's too. A refusal is audited; nothing is written.
4. Under the lock, a store that changed since step 2 is refused (run again); otherwise
   :meth:`goldset.workspace.Writer.replace_all` makes the store REV's parts and tombstones in
   one commit, with one ``restore`` audit line that names REV and the counts.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field

from goldset.access import roles
from goldset.errors import ReadOnly, StoreError, WorkspaceError
from goldset.history._diff import DiffReport, _row_diff, _Side
from goldset.history._revision import RevisionWorkspace, dvc_errors, dvc_filesystem, open_revision
from goldset.store import COLUMNS, PROVENANCE_COLUMNS, REMOVED_DIR, Manifest, PartInfo, db
from goldset.workspace import WriteResult, writing

if TYPE_CHECKING:
    from goldset.workspace import Workspace

__all__ = ["RestoreResult", "restore"]

#: Ids a result (and its audit line) lists.
_IDS = 100


class RestoreResult(WriteResult):
    """What ``restore`` did (or, with ``dry_run``, would do): ``added`` rows come back from REV,
    ``removed`` rows are not in REV, ``updated`` rows differ from REV's and become REV's."""

    op: str = "restore"
    #: The revision as given (tag, branch, commit).
    rev: str
    #: Its full commit id.
    commit: str
    #: Ids in REV's tombstones (the store's after the restore).
    tombstones: int = 0
    #: The store's tombstones differ from REV's (and become REV's).
    tombstones_changed: bool = False
    #: The store already equals REV: nothing was written.
    identical: bool = False
    #: The role actions the restore needs (admitted before anything is written).
    actions: list[str] = Field(default_factory=list)


def restore(
    ws: Workspace, dataset: str | None, rev: str, *, dry_run: bool = False, note: str | None = None
) -> RestoreResult:
    """Make the dataset's store what it was at ``rev`` (tag, branch, commit), as one audited
    write. ``dry_run``: count what would change and the rights it needs; write nothing."""
    if ws.read_only:
        raise ReadOnly(
            f"the workspace at {ws.label} is a past revision, which is read-only; restore the "
            f"working copy instead (goldset restore --rev {rev})"
        )
    name = ws.spec.dataset_name(dataset)
    past = open_revision(ws, rev)
    if name not in past.spec.datasets:
        raise WorkspaceError(
            f"dataset {name!r} did not exist at {past.label} (its goldset.yaml does not define it); "
            "'goldset log' lists the dataset's versions"
        )
    now, then = _Side(ws, name, None), _Side(past, name, None)
    parts = [then.root / p.name for p in then.manifest.parts]
    _check_columns(parts, name, past.label)
    result = RestoreResult(dataset=name, rev=rev, commit=past.commit, dry_run=dry_run)
    report = DiffReport(dataset=name, before="working store", after=past.label,
                        rows_before=now.manifest.rows, rows_after=then.manifest.rows)
    con = db.connect()
    try:
        _row_diff(con, now, then, report, sample=0)
    finally:
        con.close()
    result.added, result.removed, result.updated = report.added, report.removed, report.changed
    result.unchanged = report.unchanged
    result.ids_sample = sorted([*report.added_ids, *report.removed_ids, *report.changed_ids])[:_IDS]

    with contextlib.ExitStack() as stack:
        tombstones = _tombstone_files(past, now, then, stack)
        past_ids = _ids(tombstones)
        result.tombstones = len(past_ids)
        result.tombstones_changed = past_ids != _ids([now.root / REMOVED_DIR / p.name for p in now.manifest.removed])
        result.identical = not (result.changed or result.tombstones_changed)
        if result.identical:
            return result
        result.actions = _needed(report, result.tombstones_changed)
        if dry_run:
            return result
        audit_note = f"to {rev} ({past.commit})" + (f": {note}" if note else "")
        with writing(ws.dataset(name), *result.actions, op="restore", ids=result.ids_sample, note=audit_note) as w:
            if _state(w.tx.base) != _state(now.manifest):  # the first use of tx takes the lock
                raise StoreError(
                    f"dataset {name!r} changed while restore compared it with {past.label} (another "
                    "write committed meanwhile); nothing was written; run the restore again"
                )
            w.replace_all(parts, tombstones, result)
    return result


def _needed(report: DiffReport, tombstones_changed: bool) -> list[str]:
    """The role actions the change needs, in the order of the role matrix."""
    needed = {"import"} if report.added else set()
    if report.removed or tombstones_changed:
        needed.add("remove")
    needed |= {roles.FIELD_ACTIONS.get(f.field, "edit") for f in report.fields if f.field not in PROVENANCE_COLUMNS}
    if not needed:  # only provenance differs: still a change of examples, never a reader's
        needed.add("edit")
    order = list(roles.ACTIONS)
    return sorted(needed, key=order.index)


def _state(m: Manifest) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    return m.generation, [(p.name, p.bytes) for p in m.parts], [(p.name, p.bytes) for p in m.removed]


def _check_columns(parts: list[Path], name: str, label: str) -> None:
    """REV's parts must have this goldset's columns: they are copied byte for byte."""
    import pyarrow.parquet as pq

    for path in parts:
        names = pq.read_schema(path).names
        if names != list(COLUMNS):
            raise StoreError(
                f"dataset {name!r} at {label}: part {path.name} has other columns than this "
                f"goldset's ({', '.join(names)}); it cannot be restored as it is"
            )


def _ids(files: list[Path]) -> set[str]:
    import pyarrow.parquet as pq

    return {i for f in files for i in pq.read_table(f, columns=["id"]).column("id").to_pylist()}


def _tombstone_files(past: RevisionWorkspace, now: _Side, then: _Side, stack: contextlib.ExitStack) -> list[Path]:
    """Local paths of REV's tombstone files: the working store's own file where it holds the
    same one (same name and size: files are immutable), else fetched through DVC (local DVC
    cache, else the remote) into a scratch directory that ``stack`` removes."""
    have = {(p.name, p.bytes) for p in now.manifest.removed}
    missing = [p for p in then.manifest.removed if (p.name, p.bytes) not in have]
    scratch = Path()
    if missing:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="restore-", dir=past.base.state_dir())))
        _fetch(past, then.ds.name, missing, scratch)
    local = now.root / REMOVED_DIR
    return [local / p.name if (p.name, p.bytes) in have else scratch / p.name for p in then.manifest.removed]


def _fetch(past: RevisionWorkspace, name: str, wanted: list[PartInfo], dest: Path) -> None:
    """Copy REV's removed-ids files ``wanted`` into ``dest`` through DVC."""
    fs, top = dvc_filesystem(past.base.root, past.commit)
    prefix = f"{top}datasets/{name}/{REMOVED_DIR}"
    where = f"dataset {name!r} at {past.label}"
    try:
        with dvc_errors(where):
            # Lists make DVC copy file by file in this thread (as _revision does for the parts).
            fs.get([f"{prefix}/{p.name}" for p in wanted], [str(dest / p.name) for p in wanted])
    finally:
        fs.close()
    for p in wanted:
        path = dest / p.name
        if not path.is_file() or path.stat().st_size != p.bytes:
            raise StoreError(f"{where}: {REMOVED_DIR}/{p.name} came back damaged; run 'dvc pull' and retry")
