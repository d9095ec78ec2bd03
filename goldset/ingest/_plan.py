"""What an import or add will do, worked out in DuckDB before the write: the plan a dry run
prints, and the rights the write needs.

Rules (docs/guide.md, "Importing into a dataset that has examples"):

* A *new* example: its author may propose scenarios, edge cases and tier (the import right).
  Status ``approved`` is an approval: it needs the review right and, with
  ``review.require_distinct_reviewer``, is refused outright, since an importer is the creator
  of the rows they import (refused, never silently downgraded to draft).
* An example *already stored*: only the fields the input gives change (a column absent from
  the file, or null, leaves the stored value); each changed field needs the right that owns it
  (``goldset.access.roles.FIELD_ACTIONS``); a status change is a review (reviewed_at/by are
  set). A change of input, expected or polarity of an approved example sends it back to draft
  (its last reviewed_at/by stay, as a record of what was approved before), unless
  ``keep_approval``: then the importer approves the new content (the review right, and under
  the distinct-reviewer rule not on examples they created).
* An id removed with ``goldset remove`` stays removed unless ``restore_removed``: with
  ``on_duplicate="error"`` the import is refused, otherwise such rows are left out and counted.

Which fields a staged row *gives* is the bit mask ``_given`` the stager computed from the raw
values (:data:`GIVEN_BITS`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from goldset.access import roles
from goldset.errors import DuplicateIds, PermissionDenied
from goldset.store import CONTENT_COLUMNS, PROVENANCE_COLUMNS, db
from goldset.workspace import WriteResult, admit, record

if TYPE_CHECKING:
    import duckdb

    from goldset.workspace import Dataset, OnDuplicate

#: Fields a staged row may give (all content columns but the id), in bit order of ``_given``.
GIVEN_FIELDS: tuple[str, ...] = ("input", "expected", "polarity", "scenarios", "edge_cases", "tier", "status", "source", "metadata")
GIVEN_BITS: dict[str, int] = {f: 1 << i for i, f in enumerate(GIVEN_FIELDS)}
#: Ids listed in a message or a plan line.
SHOWN_IDS = 5
#: Conflicting ids a plan lists with the fields that differ.
SHOWN_CONFLICTS = 20


def given(f: str, alias: str = "s") -> str:
    """SQL: the staged row ``alias`` gives field ``f``."""
    return f"(({alias}._given & {GIVEN_BITS[f]}) <> 0)"


def _differs(f: str) -> str:
    """SQL over staged ``s`` and stored ``c``: the input gives ``f`` with another value."""
    return f"({given(f)} AND s.{f} IS DISTINCT FROM c.{f})"


class ImportPlan(BaseModel):
    """What ``import --dry-run`` (``import_file(..., dry_run=True)``) found: nothing written."""

    op: str
    dataset: str
    source: str | None = None
    on_duplicate: str = "error"
    #: Rows read (good and bad).
    rows: int = 0
    added: int = 0
    #: New rows that would be approved (status approved in the input or from --status).
    added_approved: int = 0
    updated: int = 0
    #: Field -> stored examples whose value of that field would change.
    fields: dict[str, int] = Field(default_factory=dict)
    #: Approved examples whose input, expected or polarity would change: back to draft.
    back_to_draft: int = 0
    #: ... kept approved instead (keep_approval), the importer recorded as reviewer.
    reapproved: int = 0
    unchanged: int = 0
    #: Rows left out: repeats within the input, and stored ids with other content under skip.
    skipped: int = 0
    #: Ids removed earlier (goldset remove) that the input brings again: left out or refused.
    removed: int = 0
    removed_ids: list[str] = Field(default_factory=list)
    #: ... brought back instead (restore_removed).
    restored: int = 0
    rejected: int = 0
    #: What the acting user may not do, one line each: the write would be refused.
    refused: list[str] = Field(default_factory=list)
    #: Stored ids the input gives with other content: "id r7: expected differs, tier differs".
    conflicts: list[str] = Field(default_factory=list)
    #: Source columns kept in metadata, and hints for those that look like a goldset field.
    metadata_columns: list[str] = Field(default_factory=list)
    hints: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    dry_run: bool = True

    @property
    def fails(self) -> bool:
        """The write would be refused (a right missing, a conflict under --on-duplicate error,
        removed ids under --on-duplicate error)."""
        return bool(self.refused) or (self.on_duplicate == "error" and bool(self.conflicts or self.removed))


class ImportResult(WriteResult):
    """What an import or add did: a write result plus what changed field by field."""

    fields: dict[str, int] = Field(default_factory=dict)
    back_to_draft: int = 0
    reapproved: int = 0
    #: Ids removed earlier that the input brought again and that stayed removed.
    removed_left_out: int = 0
    restored: int = 0
    metadata_columns: list[str] = Field(default_factory=list)
    hints: list[str] = Field(default_factory=list)


# -- source columns ----------------------------------------------------------------------------
def kept_in_metadata(columns: Iterable[str], mapping: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The source columns that end up in metadata, and a hint for each one whose name is a
    close spelling of a goldset field (``scenario`` -> ``scenarios``)."""
    fields = [c for c in CONTENT_COLUMNS if c != "metadata"]
    kept, hints = [], []
    for col in columns:
        dst = mapping.get(col, col)
        if dst in CONTENT_COLUMNS or dst in PROVENANCE_COLUMNS:
            continue
        kept.append(col)
        if col in mapping:
            continue  # mapped on purpose (--map col=metadata.x)
        close = difflib.get_close_matches(col.lower(), fields, n=1, cutoff=0.8)
        if close and not any(v == close[0] for v in mapping.values()):
            hints.append(f"column {col!r} was kept in metadata; if it holds {close[0]}, pass --map {col}={close[0]}")
    return kept, hints


def close_column(name: str, columns: Iterable[str]) -> str:
    """`` (did you mean 'question'?)`` when a column of the file is a close spelling of ``name``."""
    close = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


# -- the plan ----------------------------------------------------------------------------------
@dataclass
class _Need:
    """A right the write needs: the action, why (for the message), and the rows concerned."""

    action: str
    why: str
    ids: list[str]


@dataclass
class Planned:
    """A plan and what carrying it out needs: the rights, the distinct-reviewer refusals, the
    table to merge, and the values a stored row takes (:meth:`Writer.merge_staged`)."""

    plan: ImportPlan
    merge_table: str
    values: dict[str, str]
    needs: list[_Need] = field(default_factory=list)
    own: list[tuple[str, list[str]]] = field(default_factory=list)

    def authorize(self, ds: Dataset) -> None:
        """Admit every right the write needs through the write path (a refusal is audited and
        names the rows); refuse approvals of one's own rows under the distinct-reviewer rule;
        refuse removed ids under ``on_duplicate="error"``."""
        for need in self.needs:
            try:
                admit(ds, need.action, ids=need.ids)
            except PermissionDenied as exc:
                raise PermissionDenied(f"{need.why}: {exc}") from None
        for why, ids in self.own:
            record(ds, "approve", ids=ids, allowed=False,
                   note=f"denied: require_distinct_reviewer and the importer created these ({why})")
            raise PermissionDenied(
                f"{ds.workspace.user}: {why}, and the spec requires a distinct reviewer "
                "(review.require_distinct_reviewer): nobody approves an example they created; "
                "import them as draft and ask someone else to approve them; nothing written"
            )
        p = self.plan
        if p.removed and p.on_duplicate == "error":
            raise DuplicateIds(
                f"{p.removed} id(s) in the input were removed from dataset {p.dataset!r} (goldset remove): "
                f"{_ids(p.removed_ids, p.removed)}; pass --restore-removed to add them back, or "
                "--on-duplicate skip to leave them out; nothing written"
            )


def _ids(ids: list[str], total: int) -> str:
    return ", ".join(ids[:SHOWN_IDS]) + (" ..." if total > SHOWN_IDS else "")


def _removed_table(ds: Dataset, con: duckdb.DuckDBPyConnection) -> None:
    """Temp table ``_removed_ids``: the ids the store remembers as removed (tombstones), when
    this store keeps them (``Dataset.removed_ids``)."""
    import pyarrow as pa

    get = getattr(ds, "removed_ids", None)
    found = get() if callable(get) else None
    if found is None:
        ids: list[str] = []
    elif hasattr(found, "column"):  # an Arrow table
        ids = [str(i) for i in found.column("id").to_pylist()]
    else:
        ids = sorted(str(i) for i in found)
    con.register("_removed_arrow", pa.table({"id": pa.array(ids, pa.string())}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _removed_ids AS SELECT DISTINCT id FROM _removed_arrow")
    finally:
        con.unregister("_removed_arrow")


def make_plan(
    ds: Dataset,
    con: duckdb.DuckDBPyConnection,
    staged: str,
    *,
    op: str,
    on_duplicate: OnDuplicate,
    status_flag: str | None,
    keep_approval: bool,
    restore_removed: bool,
) -> Planned:
    """Compare the staged rows with the store as it is now (no lock: the merge compares again
    under the lock and changes only the fields admitted here), field by field."""
    user = ds.workspace.user
    distinct = ds.spec.review.require_distinct_reviewer
    plan = ImportPlan(op=op, dataset=ds.name, on_duplicate=on_duplicate)
    _removed_table(ds, con)
    with ds.pinned() as files:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _plan AS
            SELECT s.id, s.status AS new_status, {given('status')} AS status_given,
                   c.status AS old_status, c.created_by AS creator,
                   {', '.join(f'{_differs(f)} AS d_{f}' for f in GIVEN_FIELDS)}
            FROM {staged} s JOIN ({db.parts_select(files)}) c ON s.id = c.id"""
        )
    any_d = " OR ".join(f"d_{f}" for f in GIVEN_FIELDS)
    content_d = " OR ".join(f"d_{f}" for f in roles.APPROVAL_FIELDS)
    edited = f"(old_status = 'approved' AND NOT d_status AND ({content_d}))"
    row = con.execute(
        f"""SELECT count(*) FILTER (WHERE NOT ({any_d})), count(*) FILTER (WHERE {any_d}),
               {', '.join(f'count(*) FILTER (WHERE d_{f})' for f in GIVEN_FIELDS)},
               count(*) FILTER (WHERE {edited})
        FROM _plan"""
    ).fetchone()
    assert row is not None
    unchanged, conflicts, *per_field, edited_n = (int(v) for v in row)
    counts = {f: n for f, n in zip(GIVEN_FIELDS, per_field, strict=True) if n}
    # New rows: not stored now; those the store remembers as removed are left out (or restored).
    keep = "true" if restore_removed else "r.id IS NULL"
    new = con.execute(
        f"""SELECT count(*) FILTER (WHERE {keep}),
                   count(*) FILTER (WHERE {keep} AND s.status = 'approved'),
                   count(*) FILTER (WHERE r.id IS NOT NULL),
                   count(*) FILTER (WHERE {keep} AND s.status = 'approved' AND {given('status')})
        FROM {staged} s LEFT JOIN _removed_ids r ON s.id = r.id
        WHERE s.id NOT IN (SELECT id FROM _plan)"""
    ).fetchone()
    assert new is not None
    n_new, n_approved, n_removed, n_approved_given = (int(v) for v in new)
    if restore_removed:
        plan.restored, n_removed = n_removed, 0
    plan.added, plan.added_approved, plan.removed, plan.unchanged = n_new, n_approved, n_removed, unchanged
    _list_samples(con, plan, staged, n_removed, conflicts, any_d)
    update = on_duplicate == "update"
    if update:
        plan.updated, plan.fields = conflicts, counts
        if keep_approval:
            plan.reapproved = edited_n
        else:
            plan.back_to_draft = edited_n
    else:
        plan.skipped = conflicts if on_duplicate == "skip" else 0

    planned = Planned(plan=plan, merge_table=staged, values={})
    _add_needs(con, planned, staged, op=op, counts=counts if update else None, edited=edited,
               approved=(n_approved, n_approved_given), status_flag=status_flag,
               keep_approval=keep_approval, restore_removed=restore_removed, distinct=distinct, user=user)
    _fold_needs(ds, planned, user)

    # -- what the merge writes ---------------------------------------------------------------
    if n_removed:
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW _merge AS SELECT * FROM {staged}
            WHERE id IN (SELECT id FROM _plan) OR id NOT IN (SELECT id FROM _removed_ids)"""
        )
        planned.merge_table = "_merge"
    planned.values = _values(set(counts) if update else set(GIVEN_FIELDS), update=update,
                             keep_approval=keep_approval, user=user)
    return planned


def _add_needs(
    con: duckdb.DuckDBPyConnection, planned: Planned, staged: str, *, op: str, counts: dict[str, int] | None,
    edited: str, approved: tuple[int, int], status_flag: str | None, keep_approval: bool,
    restore_removed: bool, distinct: bool, user: str,
) -> None:
    """The rights the write needs (approving new rows, each field it changes on stored rows,
    keeping an approval), with sample ids, and what the distinct-reviewer rule refuses."""
    plan = planned.plan
    n_approved, n_approved_given = approved
    update = counts is not None
    needs, own = planned.needs, planned.own

    def sample(where: str, table: str = "_plan") -> list[str]:
        return [r[0] for r in con.execute(f"SELECT id FROM {table} WHERE {where} ORDER BY id LIMIT 100").fetchall()]

    if n_approved:
        not_removed = "" if restore_removed else " AND id NOT IN (SELECT id FROM _removed_ids)"
        ids = sample(f"status = 'approved' AND id NOT IN (SELECT id FROM _plan){not_removed}", staged)
        flag = "the input's status column" if n_approved_given == n_approved else (
            f"--status {status_flag}" if n_approved_given == 0 and status_flag else "the input's status column and --status")
        why = f"{op} would add {n_approved} new example(s) as approved ({_ids(ids, n_approved)}; from {flag})"
        needs.append(_Need("review", why, ids))
        if distinct:
            own.append((why, ids))
    if counts is not None:
        for f, n in counts.items():
            action = roles.FIELD_ACTIONS[f]
            ids = sample(f"d_{f}")
            needs.append(_Need(action, f"{op} --on-duplicate update would change {f} of {n} stored example(s) ({_ids(ids, n)})", ids))
            if f == "status" and distinct:
                mine = sample(f"d_status AND new_status = 'approved' AND creator = {db.sql_str(user)}")
                if mine:
                    own.append((f"{op} would approve {len(mine)} stored example(s) you created ({_ids(mine, len(mine))})", mine))
    if keep_approval:
        ids = sample(edited) if update else []
        needs.append(_Need("review", f"--keep-approval (it would keep {plan.reapproved} changed example(s) approved)", ids))
        if update and distinct and plan.reapproved:
            mine = sample(f"{edited} AND creator = {db.sql_str(user)}")
            if mine:
                own.append((f"--keep-approval would approve new content of {len(mine)} example(s) you created ({_ids(mine, len(mine))})", mine))


def _list_samples(con: duckdb.DuckDBPyConnection, plan: ImportPlan, staged: str, n_removed: int, conflicts: int, any_d: str) -> None:
    """The first few removed ids and conflicting ids (with the fields that differ), for messages."""
    if n_removed:
        plan.removed_ids = [r[0] for r in con.execute(
            f"""SELECT s.id FROM {staged} s SEMI JOIN _removed_ids r ON s.id = r.id
            WHERE s.id NOT IN (SELECT id FROM _plan) ORDER BY s.id LIMIT {SHOWN_CONFLICTS}"""
        ).fetchall()]
    if conflicts:
        listed = con.execute(
            f"""SELECT id, concat_ws(', ', {', '.join(f"CASE WHEN d_{f} THEN '{f} differs' END" for f in GIVEN_FIELDS)})
            FROM _plan WHERE {any_d} ORDER BY id LIMIT {SHOWN_CONFLICTS}"""
        ).fetchall()
        plan.conflicts = [f"id {i}: {what}" for i, what in listed]


def _fold_needs(ds: Dataset, planned: Planned, user: str) -> None:
    """One admission per action (one audit line if refused), and the plan's list of what
    would be refused, for a dry run to show."""
    merged: dict[str, _Need] = {}
    for need in planned.needs:
        if need.action in merged:
            merged[need.action].why += f"; {need.why}"
            merged[need.action].ids = list(dict.fromkeys(merged[need.action].ids + need.ids))[:100]
        else:
            merged[need.action] = need
    planned.needs = list(merged.values())
    for need in planned.needs:
        if roles.denial(ds.spec.roles, user, ds.name, need.action) is not None:
            planned.plan.refused.append(f"{need.why}: needs role {' or '.join(roles.roles_for(need.action))}")
    for why, _ in planned.own:
        planned.plan.refused.append(f"{why}: the spec requires a distinct reviewer and you are the creator")


def _values(fields: set[str], *, update: bool, keep_approval: bool, user: str) -> dict[str, str]:
    """What a stored row becomes (SQL over staged ``s`` and stored ``c``): a field the input
    gives, among ``fields``, takes the staged value; every other field stays as stored."""
    vals = {f: f"CASE WHEN {given(f)} THEN s.{f} ELSE c.{f} END" if f in fields else f"c.{f}" for f in GIVEN_FIELDS}
    vals["input_hash"] = f"CASE WHEN {given('input')} THEN s.input_hash ELSE c.input_hash END" if "input" in fields else "c.input_hash"
    if not update:
        return vals  # only compared: a differing row is skipped or refused, never written
    set_status = _differs("status") if "status" in fields else "false"
    content = " OR ".join(_differs(f) for f in roles.APPROVAL_FIELDS if f in fields) or "false"
    edited = f"(c.status = 'approved' AND NOT {set_status} AND ({content}))"
    vals["status"] = (f"CASE WHEN {set_status} THEN s.status WHEN {edited} THEN "
                      f"{db.sql_str('approved' if keep_approval else 'draft')} ELSE c.status END")
    reviewed = f"({set_status}{f' OR {edited}' if keep_approval else ''})"
    vals["reviewed_at"] = f"CASE WHEN {reviewed} THEN now() ELSE c.reviewed_at END"
    vals["reviewed_by"] = f"CASE WHEN {reviewed} THEN {db.sql_str(user)} ELSE c.reviewed_by END"
    return vals
