"""The scenario taxonomy and the edge-case catalogue: add, edit, list, show, remove.

Changes edit goldset.yaml in place through the write path (:func:`goldset.workspace.editing_spec`:
comments and key order kept, the spec locked and re-read,
the whole spec validated before the file is replaced) and leave a line in the audit log.
Removing a scenario or edge case that examples still carry is refused unless ``untag`` is
set; then the examples are untagged first (one copy-on-write rewrite), and the spec is written
after, so a crash in between leaves a known scenario that no example carries, never the
reverse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from goldset.errors import BadInput, UsageError
from goldset.spec import (
    Requirements,
    append_key,
    child_map,
    delete_key,
    new_map,
    set_key,
)
from goldset.store import db
from goldset.vocab import Priority, require_known
from goldset.workspace import editing_spec, writing

if TYPE_CHECKING:
    from goldset.workspace import Dataset, WriteResult

_REQ_FIELDS = ("min_examples", "min_negatives", "min_edge_case_examples", "required_edge_cases", "min_fresh_share")


class ScenarioFields(BaseModel):
    """Fields to set on a scenario; None leaves a field as it is."""

    description: str | None = None
    priority: Priority | None = None
    group: str | None = None
    owner: str | None = None
    min_examples: int | None = Field(default=None, ge=0)
    min_negatives: int | None = Field(default=None, ge=0)
    min_edge_case_examples: int | None = Field(default=None, ge=0)
    required_edge_cases: list[str] | None = None
    min_fresh_share: float | None = Field(default=None, ge=0, le=1)

    def own(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("description", "priority", "group", "owner") if getattr(self, k) is not None}

    def requirements(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _REQ_FIELDS if getattr(self, k) is not None}


class TaxonomyResult(BaseModel):
    op: str
    dataset: str
    id: str
    untagged: int = 0
    detail: dict[str, Any] = Field(default_factory=dict)


class ScenarioReport(BaseModel):
    id: str
    description: str
    priority: str
    group: str | None
    owner: str | None
    requirements: Requirements
    examples: int
    positive: int
    negative: int
    edge_case_examples: int
    by_status: dict[str, int]
    by_tier: dict[str, int]
    by_edge_case: dict[str, int]


def _need_scenario(ds: Dataset, sid: str) -> None:
    require_known("scenario", [sid], ds.spec.scenarios)


def _need_edge_case(ds: Dataset, eid: str) -> None:
    require_known("edge case", [eid], ds.spec.edge_cases)


def _carriers(ds: Dataset, column: str, taxon: str) -> int:
    return int(ds.query(f"SELECT count(*) AS n FROM examples WHERE list_contains({column}, ?)", [taxon]).column("n")[0].as_py())


def _untag(ds: Dataset, column: str, taxon: str, note: str) -> WriteResult:
    # No action of its own: the taxonomy edit that calls it was admitted for it.
    lit = db.sql_str(taxon)
    predicate = f"list_contains({column}, {lit})"
    with writing(ds, op="untag", predicate=predicate, note=note) as w:
        con = db.connect()
        try:
            return w.rewrite(con, predicate, {column: f"list_filter({column}, lambda x: x <> {lit})"})
        finally:
            con.close()


# -- scenarios --------------------------------------------------------------------------
def add_scenario(ds: Dataset, sid: str, fields: ScenarioFields, *, note: str | None = None) -> TaxonomyResult:
    with editing_spec(ds, "taxonomy", op="scenario-add", ids=[sid], note=note) as edit:
        if sid in ds.spec.scenarios:
            raise BadInput(f"scenario {sid!r} already exists; change it with 'goldset scenario edit {sid}'")
        scenarios = edit.doc.section(ds.name, "scenarios")
        siblings = list(scenarios.values())
        data: dict[str, Any] = {"description": fields.description or "", "priority": fields.priority or "P2"}
        data.update({k: v for k, v in fields.own().items() if k not in data})
        if fields.requirements():
            data["requirements"] = fields.requirements()
        append_key(scenarios, sid, new_map(data, like=siblings[-1] if siblings else None))
        edit.detail = data
    return TaxonomyResult(op="scenario-add", dataset=ds.name, id=sid, detail=data)


def edit_scenario(ds: Dataset, sid: str, fields: ScenarioFields, *, note: str | None = None) -> TaxonomyResult:
    with editing_spec(ds, "taxonomy", op="scenario-edit", ids=[sid], note=note) as edit:
        _need_scenario(ds, sid)
        changes = {**fields.own(), **fields.requirements()}
        if not changes:
            raise UsageError(f"scenario edit {sid}: nothing to change; give --priority, --description, --min-examples, ...")
        scenarios = edit.doc.section(ds.name, "scenarios")
        node = scenarios[sid]
        if not isinstance(node, dict):  # short form `id: P1` (or empty): expand to a mapping
            node = new_map({"priority": node} if isinstance(node, str) else {})
            scenarios[sid] = node
        for k, v in fields.own().items():
            set_key(node, k, v)
        req = fields.requirements()
        if req:
            reqs = child_map(node, "requirements")
            for k, v in req.items():
                set_key(reqs, k, v)
        edit.detail = changes
    return TaxonomyResult(op="scenario-edit", dataset=ds.name, id=sid, detail=changes)


def remove_scenario(ds: Dataset, sid: str, *, untag: bool = False, note: str | None = None) -> TaxonomyResult:
    with editing_spec(ds, "taxonomy", op="scenario-remove", ids=[sid], note=note) as edit:
        _need_scenario(ds, sid)
        n = _carriers(ds, "scenarios", sid)
        if n and not untag:
            raise BadInput(f"{n} example(s) still carry scenario {sid!r}; retag them first, or pass --untag to remove the tag from them")
        delete_key(edit.doc.section(ds.name, "scenarios"), sid)
        # Its own launch bar and scorer go with it (they name it; the spec would not validate).
        node = edit.doc.dataset(ds.name)
        for section in ("launch_bar", "scoring"):
            part = node.get(section)
            own = part.get("scenarios") if isinstance(part, dict) else None
            if isinstance(own, dict) and sid in own:
                delete_key(own, sid)
        edit.doc.validate()  # before touching the store: a spec problem must not follow an untag
        untagged = _untag(ds, "scenarios", sid, note=f"scenario {sid} removed").updated if n else 0
        edit.rows = untagged
    return TaxonomyResult(op="scenario-remove", dataset=ds.name, id=sid, untagged=untagged)


def list_scenarios(ds: Dataset) -> list[dict[str, Any]]:
    """One row per scenario of the spec, with its example counts."""
    counts = {
        r["s"]: r
        for r in ds.query(
            """SELECT s, count(*) AS examples, count(*) FILTER (WHERE polarity = 'negative') AS negatives,
                      count(*) FILTER (WHERE status IN (SELECT unnest(?::VARCHAR[]))) AS counted
               FROM (SELECT unnest(scenarios) AS s, polarity, status FROM examples) GROUP BY s""",
            [list(ds.spec.count_status)],
        ).to_pylist()
    }
    rows = []
    for sid, sc in ds.spec.scenarios.items():
        c = counts.get(sid, {})
        rows.append({
            "id": sid, "priority": sc.priority, "group": sc.group, "owner": sc.owner,
            "examples": c.get("examples", 0), "negatives": c.get("negatives", 0), "counted": c.get("counted", 0),
            "description": sc.description,
        })
    return rows


def show_scenario(ds: Dataset, sid: str) -> ScenarioReport:
    _need_scenario(ds, sid)
    sc = ds.spec.scenarios[sid]
    t = ds.query(
        "SELECT polarity, status, tier, edge_cases FROM examples WHERE list_contains(scenarios, ?)", [sid]
    ).to_pylist()
    by_status: dict[str, int] = {}
    by_tier: dict[str, int] = {}
    by_edge: dict[str, int] = {}
    for r in t:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
        by_tier[r["tier"]] = by_tier.get(r["tier"], 0) + 1
        for e in r["edge_cases"]:
            by_edge[e] = by_edge.get(e, 0) + 1
    negative = sum(1 for r in t if r["polarity"] == "negative")
    return ScenarioReport(
        id=sid, description=sc.description, priority=sc.priority, group=sc.group, owner=sc.owner,
        requirements=ds.spec.requirements_for(sid), examples=len(t), positive=len(t) - negative,
        negative=negative, edge_case_examples=sum(1 for r in t if r["edge_cases"]),
        by_status=by_status, by_tier=by_tier, by_edge_case=by_edge,
    )


# -- edge cases -------------------------------------------------------------------------
def add_edge_case(ds: Dataset, eid: str, description: str = "", *, note: str | None = None) -> TaxonomyResult:
    with editing_spec(ds, "edge_case_taxonomy", op="edge-case-add", ids=[eid], note=note) as edit:
        if eid in ds.spec.edge_cases:
            raise BadInput(f"edge case {eid!r} already exists")
        cat = edit.doc.section(ds.name, "edge_cases")
        if isinstance(cat, list):
            if description:  # the short list form has no room for a description
                from ruamel.yaml.comments import CommentedMap

                as_map = CommentedMap((str(x), "") for x in cat)
                if cat.fa.flow_style():  # type: ignore[attr-defined]  # a ruamel CommentedSeq
                    as_map.fa.set_flow_style()
                edit.doc.dataset(ds.name)["edge_cases"] = as_map
                cat = as_map
            else:
                cat.append(eid)
        if isinstance(cat, dict):
            append_key(cat, eid, description)
        edit.detail = {"description": description}
    return TaxonomyResult(op="edge-case-add", dataset=ds.name, id=eid, detail={"description": description})


def remove_edge_case(ds: Dataset, eid: str, *, untag: bool = False, note: str | None = None) -> TaxonomyResult:
    with editing_spec(ds, "edge_case_taxonomy", op="edge-case-remove", ids=[eid], note=note) as edit:
        _need_edge_case(ds, eid)
        spec = ds.spec
        users = [f"requirements.{p}" for p, r in spec.requirements.items() if eid in r.required_edge_cases]
        users += [f"scenarios.{k}.requirements" for k, s in spec.scenarios.items() if s.requirements and eid in s.requirements.required_edge_cases]
        if users:
            raise BadInput(f"edge case {eid!r} is required by {', '.join(users[:5])}; remove it from required_edge_cases there first")
        n = _carriers(ds, "edge_cases", eid)
        if n and not untag:
            raise BadInput(f"{n} example(s) still carry edge case {eid!r}; pass --untag to remove the tag from them")
        cat = edit.doc.section(ds.name, "edge_cases")
        if isinstance(cat, list):
            cat.remove(eid)
        else:
            delete_key(cat, eid)
        edit.doc.validate()
        untagged = _untag(ds, "edge_cases", eid, note=f"edge case {eid} removed").updated if n else 0
        edit.rows = untagged
    return TaxonomyResult(op="edge-case-remove", dataset=ds.name, id=eid, untagged=untagged)


def list_edge_cases(ds: Dataset) -> list[dict[str, Any]]:
    counts = {
        r["e"]: r["n"]
        for r in ds.query("SELECT e, count(*) AS n FROM (SELECT unnest(edge_cases) AS e FROM examples) GROUP BY e").to_pylist()
    }
    return [{"id": e, "examples": counts.get(e, 0), "description": d} for e, d in ds.spec.edge_cases.items()]
