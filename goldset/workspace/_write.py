"""The one write path: every change to a store, the spec or a suite file goes through here.

Three context managers share one admission and one audit record:

* :func:`writing` for the store: ``with writing(ds, "import", op="import") as w:`` then
  ``w.merge_staged(...)`` or ``w.rewrite(...)``;
* :func:`editing_spec` for ``goldset.yaml``: yields the document, saves it on success;
* :func:`guarding` for any other file a verb writes (a suite, a snapshot's commit).

Each one, in this order: refuses on a read-only workspace (a past revision), checks that the
acting user's role may do every action (a refusal is audited and raised), takes the lock
(the store's, or the spec's), runs the body, commits, releases, and appends the audit line.
A verb never takes a lock, checks a role or writes an audit line itself, so a new verb cannot
forget one of them (the write-verb test tries every verb on a past revision).

The store lock is taken lazily, at the first ``w.merge_staged``/``w.rewrite``/``w.tx``:
an import parses and stages its file before that, so other writers wait only for the merge.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from goldset.access import audit, roles
from goldset.errors import PermissionDenied, ReadOnly
from goldset.spec import SpecDocument
from goldset.store import file_lock
from goldset.workspace._dataset import Dataset, WriteResult
from goldset.workspace._writer import Writer

__all__ = ["Guarded", "SpecEdit", "Writer", "admit", "editing_spec", "guarding", "record", "writing"]

#: Seconds a spec edit waits for another one to finish.
SPEC_LOCK_TIMEOUT = 30.0


# -- admission and audit ----------------------------------------------------------------------
def admit(ds: Dataset, *actions: str, ids: Sequence[str] = (), predicate: str | None = None) -> None:
    """Refuse a write on a read-only workspace, or by a user whose role may not do an action.

    A refusal by role leaves a line with ``allowed: false`` in the audit log, so attempts are
    visible to whoever reads it."""
    ws = ds.workspace
    if ws.read_only:
        raise ReadOnly(
            f"dataset {ds.name!r} at {ws.label} is read-only: a past revision cannot be "
            "changed; drop --rev to work on the checked-out dataset"
        )
    user = ws.user
    for action in actions:
        message = roles.denial(ds.spec.roles, user, ds.name, action)
        if message is not None:
            record(ds, action, ids=ids, predicate=predicate, allowed=False,
                   note=f"denied: needs role {' or '.join(roles.roles_for(action))}")
            raise PermissionDenied(message)


def record(
    ds: Dataset,
    op: str,
    *,
    rows: int = 0,
    ids: Sequence[str] = (),
    predicate: str | None = None,
    note: str | None = None,
    allowed: bool = True,
    detail: Mapping[str, object] | None = None,
    generation: int | None = None,
) -> str:
    """Append one audit line for ``ds`` by the acting user; return its hash."""
    user = ds.workspace.user
    return audit.append(
        ds.audit_path,
        audit.make_entry(
            user=user, role=ds.spec.roles.get(user), op=op, dataset=ds.name, rows=rows,
            ids=list(ids), predicate=predicate, note=note, allowed=allowed,
            detail=dict(detail) if detail else None, generation=generation,
        ),
    )


def _record_result(w: Writer, result: WriteResult, generation: int | None = None) -> str:
    return record(
        w.ds, result.op, rows=result.changed if w.rows is None else w.rows, ids=result.ids_sample,
        predicate=w.predicate, note=w.note, generation=generation,
        detail={k: v for k, v in result.model_dump().items() if isinstance(v, int) and not isinstance(v, bool) and v},
    )


# -- the store -------------------------------------------------------------------------------
@contextlib.contextmanager
def writing(
    ds: Dataset,
    *actions: str,
    op: str,
    ids: Sequence[str] = (),
    predicate: str | None = None,
    note: str | None = None,
) -> Iterator[Writer]:
    """Admit, then hold the store's lock from the first store call to the end of the block;
    append the audit line of the result after the lock is released."""
    admit(ds, *actions, ids=ids, predicate=predicate)
    with contextlib.ExitStack() as stack:
        w = Writer(ds, op, stack, auditor=_record_result)
        w.predicate, w.note = predicate, note
        yield w
    # A write that committed was audited at its commit; one that changed nothing is audited here.
    if w.result is not None and not w.result.dry_run and w.audited and not w.recorded:
        _record_result(w, w.result)


# -- the spec --------------------------------------------------------------------------------
class SpecEdit:
    """An edit of goldset.yaml in progress: change ``doc``; fill ``detail``/``rows`` for the
    audit line; ``audited = False`` to skip it."""

    def __init__(self, doc: SpecDocument) -> None:
        self.doc = doc
        self.detail: dict[str, Any] = {}
        self.rows = 0
        self.audited = True


@contextlib.contextmanager
def editing_spec(
    ds: Dataset, action: str, *, op: str, ids: Sequence[str] = (), note: str | None = None
) -> Iterator[SpecEdit]:
    """Admit, lock the spec against other goldset edits, re-read it under the lock, yield it
    for editing; on success validate and replace it atomically, then audit."""
    admit(ds, action, ids=ids)
    ws = ds.workspace
    busy = f"another goldset process has been editing goldset.yaml for {SPEC_LOCK_TIMEOUT:.0f} s; try again"
    with file_lock(ws.state_dir() / "spec.lock", SPEC_LOCK_TIMEOUT, busy):
        ws.reload_spec()  # what another edit committed while we waited
        edit = SpecEdit(SpecDocument(ws.spec_path))
        yield edit
        edit.doc.save()
        ws.reload_spec()
    if edit.audited:
        record(ds, op, rows=edit.rows, ids=ids, note=note, detail=edit.detail)


# -- other files -----------------------------------------------------------------------------
class Guarded:
    """A write to another file in progress: fill ``rows``/``ids``/``detail`` for the audit
    line; ``audited = False`` to skip it."""

    def __init__(self, note: str | None, audited: bool) -> None:
        self.note = note
        self.audited = audited
        self.rows = 0
        self.ids: list[str] = []
        self.detail: dict[str, Any] = {}


@contextlib.contextmanager
def guarding(
    ds: Dataset, action: str, *, op: str, note: str | None = None, audited: bool = True,
    lock: str | None = None, lock_timeout: float | None = None,
) -> Iterator[Guarded]:
    """Admit a write to a file outside the store and the spec (a suite, a commit, a run);
    hold the lock file ``lock`` (a name under ``.goldset/``) for the block when given; audit it
    on success unless ``audited`` is false."""
    admit(ds, action)  # before the lock: a read-only revision gets no .goldset/ of its own
    g = Guarded(note, audited)
    timeout = ds.workspace.lock_timeout if lock_timeout is None else lock_timeout
    busy = f"another goldset process has held {lock} for {timeout:.0f} s; try again"
    with file_lock(ds.workspace.state_dir() / lock, timeout, busy) if lock is not None else contextlib.nullcontext():
        yield g
    if g.audited:
        record(ds, op, rows=g.rows, ids=g.ids, note=g.note, detail=g.detail)
