"""Bulk tagging: scenarios, edge cases, tier and polarity, by id list and/or ``--where``.

Every change is one copy-on-write rewrite (:meth:`goldset.workspace.Writer.rewrite`) with SQL assignments, e.g. scenarios become
``list_sort(list_distinct(list_concat(scenarios, [...])))``, so only the parts holding rows
that really change are rewritten, and a row that already carries the tag is not counted.

Targets: explicit ids (every one must exist, else UnknownId and nothing is written), a
``--where`` predicate, or both (then a row must be among the ids *and* match). The predicate
is checked and evaluated in the store's predicate sandbox (no file access), which
yields the matching ids; the write then takes the store lock and changes exactly those ids.
In the short window between the match and the lock another writer could change a row so it
no longer matches (or now does): such a row is tagged as it matched a moment before. Tagging
is idempotent, so running the same command again converges.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from goldset.curation._approval import approval_rule
from goldset.errors import UnknownId, UsageError
from goldset.store import db, predicate
from goldset.vocab import Polarity, require_known
from goldset.workspace import WriteResult, writing

if TYPE_CHECKING:
    import duckdb

    from goldset.workspace import Dataset

#: Rows shown by a dry run.
SAMPLE_ROWS = 10


class TagChange(BaseModel):
    add_scenarios: list[str] = Field(default_factory=list)
    remove_scenarios: list[str] = Field(default_factory=list)
    add_edge_cases: list[str] = Field(default_factory=list)
    remove_edge_cases: list[str] = Field(default_factory=list)
    tier: str | None = None
    polarity: Polarity | None = None

    def empty(self) -> bool:
        return not (self.add_scenarios or self.remove_scenarios or self.add_edge_cases
                    or self.remove_edge_cases or self.tier or self.polarity)

    def actions(self) -> list[str]:
        """Role-matrix actions this change needs."""
        out = []
        if self.add_scenarios or self.remove_scenarios:
            out.append("tag_scenarios")
        if self.add_edge_cases or self.remove_edge_cases:
            out.append("edge_cases")
        if self.tier:
            out.append("set_tier")
        if self.polarity:
            out.append("polarity")
        return out

    def summary(self) -> str:
        parts = [f"+scenario {s}" for s in self.add_scenarios] + [f"-scenario {s}" for s in self.remove_scenarios]
        parts += [f"+edge_case {e}" for e in self.add_edge_cases] + [f"-edge_case {e}" for e in self.remove_edge_cases]
        if self.tier:
            parts.append(f"tier={self.tier}")
        if self.polarity:
            parts.append(f"polarity={self.polarity}")
        return ", ".join(parts)


class TagResult(WriteResult):
    """A write result plus, for dry runs, a few of the rows that would change."""

    sample: list[dict[str, Any]] = Field(default_factory=list)
    #: Rows the ids and/or --where selected; those not changed already were as asked
    #: (counted in ``unchanged``). 0: no row matches --where.
    matched: int = 0


def _list_expr(column: str, add: Sequence[str], remove: Sequence[str]) -> str | None:
    if not add and not remove:
        return None
    expr = column
    if add:
        expr = f"list_concat({expr}, {db.sql_list(add)}::VARCHAR[])"
    if remove:
        expr = f"list_filter({expr}, lambda x: NOT list_contains({db.sql_list(remove)}::VARCHAR[], x))"
    # Rows are stored sorted and distinct (import does the same), so an unchanged set compares equal.
    return f"list_sort(list_distinct({expr}))"


def _check_known(ds: Dataset, change: TagChange) -> None:
    spec = ds.spec
    require_known("scenario", change.add_scenarios, spec.scenarios, "--scenario")
    require_known("scenario", change.remove_scenarios, spec.scenarios, "--remove-scenario")
    require_known("edge case", change.add_edge_cases, spec.edge_cases, "--edge-case")
    require_known("edge case", change.remove_edge_cases, spec.edge_cases, "--remove-edge-case")
    require_known("tier", [change.tier] if change.tier is not None else [], spec.tiers, "--tier")


def assignments(change: TagChange) -> dict[str, str]:
    sets: dict[str, str] = {}
    if (e := _list_expr("scenarios", change.add_scenarios, change.remove_scenarios)) is not None:
        sets["scenarios"] = e
    if (e := _list_expr("edge_cases", change.add_edge_cases, change.remove_edge_cases)) is not None:
        sets["edge_cases"] = e
    if change.tier:
        sets["tier"] = db.sql_str(change.tier)
    if change.polarity:
        sets["polarity"] = db.sql_str(change.polarity)
    return sets


def select_targets(
    ds: Dataset, con: duckdb.DuckDBPyConnection, ids: Sequence[str], where: str | None,
    limits: predicate.Limits | None = None,
) -> str:
    """Fill temp table ``_ids`` with the target ids; return the predicate for ``rewrite``.

    Explicit ids must all exist (UnknownId otherwise, before anything is written). ``where``
    runs under ``limits`` (default: the spec's ``query:`` limits).
    """
    if not ids and where is None:
        raise UsageError("give example ids, --where EXPR, or both (--where true selects every row)")
    wanted = list(dict.fromkeys(ids))
    with ds.pinned() as files:  # one manifest generation, whatever writers do meanwhile
        if wanted:
            con.execute("CREATE OR REPLACE TEMP TABLE _given AS SELECT unnest(?::VARCHAR[]) AS id", [wanted])
            missing = [r[0] for r in con.execute(
                f"SELECT g.id FROM _given g ANTI JOIN ({db.parts_select(files)}) e ON g.id = e.id ORDER BY g.id LIMIT 21"
            ).fetchall()]
            if missing:
                more = " ..." if len(missing) > 20 else ""
                raise UnknownId(f"unknown id(s) in dataset {ds.name!r}: {', '.join(missing[:20])}{more}; nothing written")
        if where is not None:
            matched = predicate.matching_ids(files, where, limits or ds.spec.query.resolve())
            con.register("_matched", matched)
            src = "SELECT id FROM _matched" + (" WHERE id IN (SELECT id FROM _given)" if wanted else "")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _ids AS {src}")
            con.unregister("_matched")
        else:
            con.execute("CREATE OR REPLACE TEMP TABLE _ids AS SELECT id FROM _given")
    return "id IN (SELECT id FROM _ids)"


def tag(
    ds: Dataset,
    change: TagChange,
    *,
    ids: Sequence[str] = (),
    where: str | None = None,
    dry_run: bool = False,
    note: str | None = None,
    timeout_s: float | None = None,
    memory_limit: str | None = None,
    keep_approval: bool = False,
) -> TagResult:
    """Apply ``change`` to the target rows; with ``dry_run``, count and sample only. A polarity
    change sends approved rows back to draft unless ``keep_approval`` (the review right).
    ``timeout_s`` / ``memory_limit`` override the spec's ``query:`` limits for ``where``."""
    if change.empty():
        raise UsageError("nothing to change: give --scenario, --edge-case, --tier, --negative/--positive or a --remove-... flag")
    summary = change.summary()
    actions = [*change.actions(), *(["review"] if keep_approval else [])]
    with writing(ds, *actions, op="tag", ids=ids, predicate=where,
                 note=f"{summary}: {note}" if note else summary) as w:
        _check_known(ds, change)
        overlap = (set(change.add_scenarios) & set(change.remove_scenarios)) | (set(change.add_edge_cases) & set(change.remove_edge_cases))
        if overlap:
            raise UsageError(f"both added and removed: {', '.join(sorted(overlap))}")
        con = db.connect()
        try:
            pred = select_targets(ds, con, ids, where, ds.spec.query.resolve(timeout_s, memory_limit))
            sets = assignments(change)
            if change.polarity:  # what was approved changes: back to draft, unless keep_approval
                sets.update(approval_rule(ds, con, w, f"{sets['polarity']} IS DISTINCT FROM polarity", keep=keep_approval))
            written = w.rewrite(con, pred, sets, dry_run=dry_run)
            matched = int(con.execute("SELECT count(*) FROM _ids").fetchall()[0][0])
        finally:
            con.close()
        result = TagResult(**written.model_dump(), matched=matched)
        result.unchanged = max(0, matched - result.updated)
        w.result = result
    if dry_run and result.ids_sample:
        result.sample = _sample(ds, result.ids_sample[:SAMPLE_ROWS])
    return result


def _sample(ds: Dataset, ids: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ds.query(
        "SELECT id, input, scenarios, edge_cases, tier, polarity FROM examples WHERE id IN (SELECT unnest(?::VARCHAR[])) ORDER BY id",
        [ids],
    ).to_pylist()
    return rows
