"""The three-way merge of two versions of a store, per example and per field, in DuckDB.

Cell-wise, as Dolt merges tables (DVC and lakeFS merge whole files): for each id and each
field, with ``b``/``o``/``t`` the base, ours and theirs values,

* ``o == t``: that value (both sides agree, whatever the base says);
* ``o == b``: ``t`` (only theirs changed it); ``t == b``: ``o`` (only ours changed it);
* otherwise both changed it differently: a **conflict**, except for the tag lists
  (``scenarios``, ``edge_cases``), which merge as sets: a tag either side added is in, a tag
  either side removed is out (a PM tagging one scenario and a researcher another is no
  conflict).

Rows: an example added on one side is added; removed on one side and unchanged on the other,
removed; **removed on one side and edited on the other, a conflict** (field ``(row)``); added
on both sides with different values, a conflict per differing field. A conflict never picks a
side by itself: the merge stops and lists each one, unless a resolution (``ours`` or
``theirs``, for every id or for listed ids) says which side wins that id's conflicts.

Provenance follows the values: a row taken whole from one side keeps that side's provenance;
a row mixing fields of both keeps its creation, takes ``updated_*`` from the later edit,
``reviewed_*`` from the side its status came from and ``input_hash`` from its input's side.

Only ids whose rows differ between ours and theirs enter the join (parts both sides hold
unchanged are not even read), and the result is expressed as the changes to *ours*: the rows
of the ids in ``_m_changed`` become those of ``_m_rows`` (what
:meth:`goldset.workspace.Writer.replace_rows` applies).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from goldset.store import COLUMNS, CONTENT_COLUMNS, LIST_COLUMNS, REMOVED_DIR, Manifest, db

if TYPE_CHECKING:
    import duckdb

Side = Literal["ours", "theirs"]
#: Conflicts a result lists (the count is always exact).
MAX_LISTED = 1000
#: The pseudo-field of a row-level conflict (removed on one side, edited on the other).
ROW = "(row)"
_FIELDS = [c for c in CONTENT_COLUMNS if c != "id"]


class Conflict(BaseModel):
    """One field of one example that both sides changed differently."""

    id: str
    #: A column, or ``(row)``: one side removed the example, the other edited it.
    field: str
    kind: Literal["edit", "add", "remove"] = Field(
        description="edit: both edited it; add: both added the id with different values; "
        "remove: removed on one side, edited on the other")
    base: Any = None
    ours: Any = None
    theirs: Any = None


class StoreVersion(BaseModel):
    """One side of the merge: a store directory and its manifest (``root`` None: empty)."""

    label: str
    root: Path | None = None
    manifest: Manifest = Field(default_factory=Manifest)

    def parts(self, skip: set[tuple[str, int]] | None = None) -> list[str]:
        if self.root is None:
            return []
        return [str(self.root / p.name) for p in self.manifest.parts if not skip or (p.name, p.bytes) not in skip]

    def removed(self) -> list[Path]:
        if self.root is None:
            return []
        return [self.root / REMOVED_DIR / p.name for p in self.manifest.removed]


class MergeCounts(BaseModel):
    """What a merge found, shared by the plan (:class:`RowMerge`) and the verb's result."""

    #: Relative to ours: ids theirs brings in, ids theirs removed, ids whose row changes.
    added: int = 0
    removed: int = 0
    updated: int = 0
    #: Rows merged from both sides without a conflict (a different field changed on each).
    merged_fields: int = 0
    conflicts: list[Conflict] = Field(default_factory=list)
    #: Undecided conflicts in all (``conflicts`` lists the first MAX_LISTED).
    conflict_count: int = 0
    conflicted_ids: int = 0
    #: Conflicts a resolution decided.
    resolved: int = 0
    #: Ids in the merged tombstones; whether they differ from ours'.
    tombstones: int = 0
    tombstones_changed: bool = False
    ids_sample: list[str] = Field(default_factory=list)


class RowMerge(MergeCounts):
    """What the merge does to ours, and what stops it."""

    rows: int = 0


def _eq(a: str, b: str) -> str:
    return f"({a} IS NOT DISTINCT FROM {b})"


def _src(c: str) -> str:
    """Where field ``c`` of a row present on both sides comes from: '=' (equal), 'o', 't',
    'm' (a tag set merged from both) or NULL (a conflict)."""
    changed_both = "'m'" if c in LIST_COLUMNS else "NULL"
    return (f"CASE WHEN {_eq(f'o_{c}', f't_{c}')} THEN '=' "
            f"WHEN hb AND {_eq(f'o_{c}', f'b_{c}')} THEN 't' "
            f"WHEN hb AND {_eq(f't_{c}', f'b_{c}')} THEN 'o' ELSE {changed_both} END")


def _set_merge(c: str) -> str:
    """Tags: (o and t) or (o but not b) or (t but not b); without a base, o or t (as sets)."""
    return (f"list_sort(list_distinct(list_concat(list_intersect(o_{c}, t_{c}), "
            f"list_filter(o_{c}, lambda x: NOT list_contains(coalesce(b_{c}, []), x)), "
            f"list_filter(t_{c}, lambda x: NOT list_contains(coalesce(b_{c}, []), x)))))")


def plan(con: duckdb.DuckDBPyConnection, base: StoreVersion, ours: StoreVersion, theirs: StoreVersion,
         resolve: Side | None = None, ids: set[str] | None = None) -> RowMerge:
    """Merge ``theirs`` into ``ours`` over ``base``. Leaves temp tables ``_m_changed`` (ids
    whose row in ours changes) and ``_m_rows`` (their new rows; removed ids absent) and
    ``_m_tombstones`` (the merged removed ids). ``resolve`` decides the conflicts of the ids
    in ``ids`` (every id when None). Writes nothing."""
    shared = {(p.name, p.bytes) for p in ours.manifest.parts} & {(p.name, p.bytes) for p in theirs.manifest.parts}
    for alias, side in (("o", ours), ("t", theirs)):
        con.execute(f"CREATE OR REPLACE TEMP VIEW _m_{alias} AS {db.parts_select(side.parts(shared))}")
    # The base's rows in parts both sides still hold are equal on both sides: never needed.
    con.execute(f"CREATE OR REPLACE TEMP VIEW _m_b AS {db.parts_select(base.parts(shared))}")
    cols = [c for c in COLUMNS if c != "id"]
    same_row = " AND ".join(_eq(f"o.{c}", f"t.{c}") for c in cols)
    # 1. The rows that differ between ours and theirs (or that one side lacks), both sides'
    # values kept: each side is read once.
    ot = ", ".join(f"{a}.{c} AS {a}_{c}" for c in cols for a in ("o", "t"))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _m_ot AS
        SELECT coalesce(o.id, t.id) AS id, o.id IS NOT NULL AS ho, t.id IS NOT NULL AS ht, {ot}
        FROM _m_o o FULL JOIN _m_t t ON o.id = t.id
        WHERE o.id IS NULL OR t.id IS NULL OR NOT ({same_row})""")
    # 2. With their base version beside them (the base read once, joined to the few ids).
    pick = ", ".join(f"b.{c} AS b_{c}" for c in cols)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _m_j AS
        SELECT x.*, b.id IS NOT NULL AS hb, {pick} FROM _m_ot x LEFT JOIN _m_b b ON b.id = x.id""")
    con.execute("CREATE OR REPLACE TEMP TABLE _m_res (id VARCHAR, side VARCHAR)")
    res_default = "NULL"
    if resolve is not None:
        if ids is None:
            res_default = db.sql_str(resolve[0])
        else:
            con.executemany("INSERT INTO _m_res VALUES (?, ?)", [(i, resolve[0]) for i in sorted(ids)])
    srcs = ", ".join(f"{_src(c)} AS s_{c}" for c in cols)
    o_same_b = " AND ".join(_eq(f"o_{c}", f"b_{c}") for c in cols)
    t_same_b = " AND ".join(_eq(f"t_{c}", f"b_{c}") for c in cols)
    # 3. Per row: the source of each field, and whether the row lives ('keep': NULL is a
    # row conflict: removed on one side, edited on the other).
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _m_s AS
        SELECT j.*, {srcs}, coalesce(r.side, {res_default}) AS res,
          CASE WHEN ho AND ht THEN TRUE
               WHEN NOT hb THEN TRUE
               WHEN ho THEN CASE WHEN {o_same_b} THEN FALSE END
               WHEN ht THEN CASE WHEN {t_same_b} THEN FALSE END
               ELSE FALSE END AS keep0
        FROM _m_j j LEFT JOIN _m_res r USING (id)""")
    result = RowMerge()
    _collect_conflicts(con, cols, result)
    # 4. Resolve: a conflict takes the resolving side ('o'/'t'); rows only on one side take it.
    final_src = {c: (f"CASE WHEN NOT ho THEN 't' WHEN NOT ht THEN 'o' "
                     f"WHEN s_{c} IS NULL THEN res ELSE s_{c} END") for c in cols if c in _FIELDS}
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _m_f AS
        SELECT *, {", ".join(f"{final_src[c]} AS f_{c}" for c in _FIELDS)},
          coalesce(keep0, CASE res WHEN 'o' THEN ho WHEN 't' THEN ht END) AS keep
        FROM _m_s""")
    content = [f"f_{c}" for c in _FIELDS]
    whole_o = " AND ".join(f"{f} IN ('=', 'o')" for f in content)
    whole_t = " AND ".join(f"{f} IN ('=', 't')" for f in content)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _m_g AS
        SELECT *, CASE WHEN NOT ht OR ({whole_o}) THEN 'o' WHEN NOT ho OR ({whole_t}) THEN 't' ELSE 'mix' END AS g
        FROM _m_f WHERE keep""")
    select = ", ".join(_value(c) for c in cols)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _m_new AS SELECT id, ho, {select} FROM _m_g")
    # 5. The changes to ours: rows that differ from ours' row, rows ours has that go.
    differs = " OR ".join(f"n.{c} IS DISTINCT FROM j.o_{c}" for c in cols)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _m_rows AS
        SELECT n.id, {", ".join(f"n.{c}" for c in cols)} FROM _m_new n JOIN _m_j j ON j.id = n.id
        WHERE NOT j.ho OR {differs}""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _m_changed AS
        SELECT id FROM _m_rows UNION ALL SELECT id FROM _m_f WHERE ho AND keep IS NOT TRUE""")
    counts = con.execute("""SELECT
        (SELECT count(*) FROM _m_rows r JOIN _m_new n USING (id) WHERE NOT n.ho),
        (SELECT count(*) FROM _m_f WHERE ho AND keep IS NOT TRUE),
        (SELECT count(*) FROM _m_rows r JOIN _m_new n USING (id) WHERE n.ho),
        (SELECT count(*) FROM _m_g WHERE g = 'mix')""").fetchone() or (0, 0, 0, 0)
    result.added, result.removed, result.updated, result.merged_fields = counts
    result.rows = ours.manifest.rows + result.added - result.removed
    result.ids_sample = [r[0] for r in con.execute("SELECT id FROM _m_changed ORDER BY id LIMIT 100").fetchall()]
    _tombstones(con, ours, theirs, result)
    return result


def _value(c: str) -> str:
    """The merged value of column ``c`` for a kept row."""
    if c in _FIELDS:
        if c in LIST_COLUMNS:
            return f"CASE f_{c} WHEN 't' THEN t_{c} WHEN 'm' THEN {_set_merge(c)} ELSE o_{c} END AS {c}"
        return f"CASE f_{c} WHEN 't' THEN t_{c} ELSE o_{c} END AS {c}"
    later = "(t_updated_at > o_updated_at)"
    follows = {
        "input_hash": "f_input = 't'",
        "created_at": "FALSE", "created_by": "FALSE",
        "updated_at": later, "updated_by": later,
        "reviewed_at": "f_status = 't'", "reviewed_by": "f_status = 't'",
    }[c]
    return f"CASE WHEN g = 't' OR (g = 'mix' AND {follows}) THEN t_{c} ELSE o_{c} END AS {c}"


def _collect_conflicts(con: duckdb.DuckDBPyConnection, cols: list[str], result: RowMerge) -> None:
    """Count and list the conflicts (those a resolution decides are counted as resolved)."""
    kinds = "CASE WHEN hb THEN 'edit' ELSE 'add' END"
    fields = " UNION ALL ".join(
        f"SELECT id, {db.sql_str(c)} AS field, {kinds} AS kind, res, "
        f"to_json(b_{c})::VARCHAR AS b, to_json(o_{c})::VARCHAR AS o, to_json(t_{c})::VARCHAR AS t "
        f"FROM _m_s WHERE ho AND ht AND s_{c} IS NULL"
        for c in _FIELDS
    )
    rows = (f"SELECT id, {db.sql_str(ROW)}, 'remove', res, NULL, "
            "CASE WHEN ho THEN '\"edited\"' ELSE '\"removed\"' END, CASE WHEN ht THEN '\"edited\"' ELSE '\"removed\"' END "
            "FROM _m_s WHERE keep0 IS NULL")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _m_conflicts AS {fields} UNION ALL {rows}")
    total, resolved, ids = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE res IS NOT NULL), count(DISTINCT id) FILTER (WHERE res IS NULL) FROM _m_conflicts"
    ).fetchone() or (0, 0, 0)
    result.conflict_count, result.resolved, result.conflicted_ids = total - resolved, resolved, ids
    listed = con.execute(
        f"SELECT id, field, kind, b, o, t FROM _m_conflicts WHERE res IS NULL ORDER BY id, field LIMIT {MAX_LISTED}"
    ).fetchall()
    result.conflicts = [Conflict(id=i, field=f, kind=k, base=_json(b), ours=_json(o), theirs=_json(t))
                        for i, f, k, b, o, t in listed]


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _tombstones(con: duckdb.DuckDBPyConnection, ours: StoreVersion, theirs: StoreVersion, result: RowMerge) -> None:
    """The merged tombstones: every id either side removed, except ids the merge keeps live."""
    for alias, side in (("o", ours), ("t", theirs)):
        files = [str(p) for p in side.removed()]
        src = (f"SELECT id, min(removed_at) AS removed_at FROM read_parquet({db.sql_list(files)}) GROUP BY id" if files
               else "SELECT NULL::VARCHAR AS id, NULL::TIMESTAMPTZ AS removed_at WHERE false")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _m_tomb_{alias} AS {src}")
    # Each id once, with the earliest time it was removed on either side.
    con.execute("""CREATE OR REPLACE TEMP TABLE _m_tombstones AS
        SELECT id, min(removed_at) AS removed_at FROM (SELECT * FROM _m_tomb_o UNION ALL SELECT * FROM _m_tomb_t)
        WHERE id NOT IN (SELECT id FROM _m_new) GROUP BY id""")
    n, same = con.execute("""SELECT (SELECT count(*) FROM _m_tombstones),
        (SELECT count(*) FROM _m_tombstones) = (SELECT count(*) FROM _m_tomb_o)
        AND NOT EXISTS (SELECT id FROM _m_tombstones EXCEPT SELECT id FROM _m_tomb_o)""").fetchone() or (0, True)
    result.tombstones, result.tombstones_changed = n, not same


def write_tombstones(con: duckdb.DuckDBPyConnection, dest: Path) -> Path:
    """The merged tombstones as one removed-ids file at ``dest`` (for ``replace_rows``)."""
    con.execute(f"""COPY (SELECT id, removed_at FROM _m_tombstones ORDER BY id)
        TO {db.sql_str(str(dest))} (FORMAT parquet, COMPRESSION zstd)""")
    return dest
