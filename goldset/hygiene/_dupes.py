"""Near-duplicate inputs in one dataset: clusters, probable label conflicts, and tagging or
retiring the duplicates through the write path.

One pass (:func:`find_near_duplicates`), over the live rows that are not retired:

1. DuckDB computes each row's shingles (:mod:`goldset.hygiene._minhash`); rows whose shingle
   sets are identical form one *set*, hashed once.
2. A *unit* is a set within a part: the whole dataset (scope ``across-scenarios``), or each
   scenario the rows carry (scope ``within``: a pair must share a scenario; untagged rows
   share the empty one). Units share band keys only within their part.
3. Units sharing a band key are candidates; each candidate pair of sets gets its MinHash
   estimate and its exact Jaccard (DuckDB, on the shingle lists), and pairs below the
   threshold are dropped: no reported pair is below it.
4. Edges: the first row of a unit to each other row of it (identical shingles: Jaccard 1),
   and between the first rows of two units of a verified pair. Clusters are the connected
   components; so a cluster lists every pair of distinct shingle sets, and identical ones once.

A cluster whose positive members expect different outputs is a probable label conflict.
``tag_edge_case`` tags every member (``goldset.curation.tag``); ``retire`` retires all but one
member per cluster (``goldset.curation.review(ds, "retire")``); each is one audited write, or
with ``dry_run`` a count of what would change.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from goldset.curation import TagChange, TagResult, review, tag
from goldset.errors import BadInput, GoldsetError, UsageError
from goldset.hygiene import _minhash as mh
from goldset.hygiene._check import CheckOffender, HygieneCheck, percent
from goldset.store import db
from goldset.workspace import WriteResult

if TYPE_CHECKING:
    import duckdb

    from goldset.spec import DupeScope, Shingles
    from goldset.workspace import Dataset

Keep = Literal["oldest", "approved"]
SCOPES = ("within", "across-scenarios")
SHINGLES = ("word", "char")
KEEPS = ("oldest", "approved")


class DupeMember(BaseModel):
    id: str
    input: str
    expected: str | None
    polarity: str
    scenarios: list[str]
    tier: str
    status: str
    created_at: datetime


class DupePair(BaseModel):
    a: str
    b: str
    #: MinHash's estimate: the share of equal signature values.
    estimated: float
    #: The Jaccard similarity of the two shingle sets, computed exactly.
    exact: float


class DupeCluster(BaseModel):
    number: int
    size: int
    members: list[DupeMember]
    pairs: list[DupePair]
    #: Positive members expect different outputs.
    label_conflict: bool
    #: Expected output of the positive members -> how many.
    labels: dict[str, int] = Field(default_factory=dict)
    #: With retire: the member kept, and those retired (or that a dry run would retire).
    keep: str | None = None
    retire: list[str] = Field(default_factory=list)


class DupesReport(BaseModel):
    dataset: str
    #: Digest of the manifest read (the data's version).
    data: str | None = None
    threshold: float
    scope: str
    shingles: str
    num_perm: int
    bands: int
    rows_per_band: int
    #: Live rows that are not retired: the rows compared.
    examples: int
    #: Candidate pairs of distinct shingle sets verified exactly.
    candidates: int
    #: Verified pairs of distinct shingle sets at or above the threshold.
    pairs: int
    #: Rows in a cluster.
    duplicates: int
    label_conflicts: int
    clusters: list[DupeCluster]
    edge_case: str | None = None
    keep: str | None = None
    dry_run: bool = False
    tagged: TagResult | None = None
    retired: WriteResult | None = None
    timings: dict[str, float] = Field(default_factory=dict)


def find_near_duplicates(
    ds: Dataset,
    *,
    threshold: float = 0.8,
    scope: DupeScope = "across-scenarios",
    shingles: Shingles = "word",
    tag_edge_case: str | None = None,
    retire: bool = False,
    keep: Keep = "oldest",
    dry_run: bool = False,
    note: str | None = None,
) -> DupesReport:
    """Clusters of near-duplicate inputs (Jaccard of their shingle sets >= ``threshold``).
    ``tag_edge_case``: tag every member with that edge case (which must be in the catalogue);
    ``retire``: retire all members but one per cluster (``keep``: the oldest, or the oldest
    approved one); ``dry_run``: count what those would change, writing nothing."""
    if scope not in SCOPES:
        raise UsageError(f"scope {scope!r}: use one of {', '.join(SCOPES)}")
    if shingles not in SHINGLES:
        raise UsageError(f"shingles {shingles!r}: use one of {', '.join(SHINGLES)}")
    if keep not in KEEPS:
        raise UsageError(f"keep {keep!r}: use one of {', '.join(KEEPS)}")
    lsh = mh.lsh_for(threshold)
    if tag_edge_case is not None and tag_edge_case not in ds.spec.edge_cases:
        raise BadInput(
            f"edge case {tag_edge_case!r} is not in dataset {ds.name!r}'s catalogue; add it first: "
            f"goldset edge-case add {tag_edge_case} --description 'Near-duplicate of another example'"
        )
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    con = db.connect()
    try:
        with ds.store.pinned() as (manifest, files):
            ds.checked_out(manifest)
            examples = _load(con, files, shingles, scope)
        timings["shingles_s"] = time.perf_counter() - t0
        edges, candidates, pairs = _edges(con, lsh, scope, timings)
        t = time.perf_counter()
        clusters = _clusters(con, edges, threshold)
        timings["clusters_s"] = time.perf_counter() - t
    finally:
        con.close()
    report = DupesReport(
        dataset=ds.name, data=manifest.digest, threshold=threshold, scope=scope, shingles=shingles,
        num_perm=lsh.num_perm, bands=lsh.bands, rows_per_band=lsh.rows, examples=examples,
        candidates=candidates, pairs=pairs, duplicates=sum(c.size for c in clusters),
        label_conflicts=sum(c.label_conflict for c in clusters), clusters=clusters,
        edge_case=tag_edge_case, keep=keep if retire else None, dry_run=dry_run, timings=timings,
    )
    why = f"near-duplicates (Jaccard >= {threshold}, {shingles} shingles, {scope})" + (f": {note}" if note else "")
    if tag_edge_case is not None and clusters:
        ids = sorted(m.id for c in clusters for m in c.members)
        report.tagged = tag(ds, TagChange(add_edge_cases=[tag_edge_case]), ids=ids, dry_run=dry_run, note=why)
    if retire:
        for c in clusters:
            c.keep = _keeper(c, keep)
            c.retire = sorted(m.id for m in c.members if m.id != c.keep)
        gone = sorted(i for c in clusters for i in c.retire)
        if gone:
            report.retired = review(ds, "retire", ids=gone, dry_run=dry_run, note=f"{why}; kept the {keep} of each cluster")
    report.timings["total_s"] = time.perf_counter() - t0
    return report


def _load(con: duckdb.DuckDBPyConnection, files: list[str], shingles: Shingles, scope: DupeScope) -> int:
    """Tables ``ex`` (the rows, ``rid`` by id), ``sets`` (distinct shingle sets, ``sid``, their
    rows) and ``units`` (``uid``: a set within a part, its rows); the number of rows."""
    con.execute(
        "CREATE TEMP TABLE ex AS SELECT row_number() OVER (ORDER BY id) - 1 AS rid, id, input, expected, polarity, "
        f"scenarios, tier, status, created_at FROM ({db.parts_select(files)}) WHERE status <> 'retired'"
    )
    mh.create_sets(con, "SELECT rid, input FROM ex", shingles)
    if scope == "within":
        con.execute(
            "CREATE TEMP TABLE units AS SELECT row_number() OVER (ORDER BY part, sid) - 1 AS uid, part, sid, rids FROM ("
            "SELECT part, sid, list(rid ORDER BY rid) AS rids FROM ("
            "SELECT r.rid, r.sid, unnest(CASE WHEN len(e.scenarios) = 0 THEN [''] ELSE e.scenarios END) AS part "
            "FROM (SELECT sid, unnest(rids) AS rid FROM sets) r JOIN ex e USING (rid)) GROUP BY part, sid)"
        )
    else:
        con.execute("CREATE TEMP TABLE units AS SELECT sid AS uid, '' AS part, sid, rids FROM sets")
    return int(con.execute("SELECT count(*) FROM ex").fetchall()[0][0])


def _edges(con: duckdb.DuckDBPyConnection, lsh: mh.Lsh, scope: DupeScope,
           timings: dict[str, float]) -> tuple[list[tuple[int, int, float, float]], int, int]:
    """Row edges ``(rid, rid, estimated, exact)``, the candidate pairs of distinct sets
    verified, and those at or above the threshold."""
    t = time.perf_counter()
    sig = mh.set_signatures(con, lsh)
    units = con.sql("SELECT uid, sid, hash(part) AS salt FROM units ORDER BY uid").to_arrow_table()
    keys = mh.band_keys(sig, lsh)[units.column("sid").to_numpy().astype(np.int64)]
    if scope == "within":
        keys = mh.salted(keys, units.column("salt").to_numpy().astype(np.uint64))
    con.register("_keys", mh.key_table(keys, units.column("uid").to_numpy(), "uid"))
    timings["signatures_s"] = time.perf_counter() - t
    t = time.perf_counter()
    try:
        con.execute("CREATE TEMP TABLE ukeys AS SELECT * FROM _keys")
    finally:
        con.unregister("_keys")
    mh.check_buckets(con, "ukeys")
    # Candidate units (same part: a salt collision pairs nothing), then their distinct sets.
    con.execute(
        "CREATE TEMP TABLE upairs AS SELECT p.u1, p.u2, least(x.sid, y.sid) AS a, greatest(x.sid, y.sid) AS b, "
        "x.rids[1] AS r1, y.rids[1] AS r2 FROM (SELECT DISTINCT k.uid AS u1, l.uid AS u2 FROM ukeys k JOIN ukeys l "
        "ON k.key = l.key AND k.uid < l.uid) p JOIN units x ON x.uid = p.u1 JOIN units y ON y.uid = p.u2 "
        "WHERE x.part = y.part AND x.sid <> y.sid"
    )
    candidates = int(con.execute("SELECT count(*) FROM (SELECT DISTINCT a, b FROM upairs)").fetchall()[0][0])
    con.execute(
        f"CREATE TEMP TABLE verified AS SELECT a, b, j FROM (SELECT p.a, p.b, {mh.jaccard_sql('x.sh', 'y.sh')} AS j "
        "FROM (SELECT DISTINCT a, b FROM upairs) p JOIN sets x ON x.sid = p.a JOIN sets y ON y.sid = p.b) WHERE j >= ?",
        [lsh.threshold],
    )
    found = con.execute(
        "SELECT least(r1, r2) AS r1, greatest(r1, r2) AS r2, a, b, v.j FROM upairs JOIN verified v USING (a, b)"
    ).fetchnumpy()
    est = mh.estimate(sig, np.asarray(found["a"], dtype=np.int64), np.asarray(found["b"], dtype=np.int64))
    timings["candidates_s"] = time.perf_counter() - t
    edges: dict[tuple[int, int], tuple[float, float]] = {}
    for members in con.execute("SELECT rids FROM units WHERE len(rids) > 1").fetchall():
        for other in members[0][1:]:  # identical shingles: the unit's first row to each other one
            edges[(members[0][0], other)] = (1.0, 1.0)
    for r1, r2, e, j in zip(found["r1"].tolist(), found["r2"].tolist(), est.tolist(), found["j"].tolist(), strict=True):
        edges[(r1, r2)] = (e, j)
    verified = int(con.execute("SELECT count(*) FROM verified").fetchall()[0][0])
    return [(x, y, e, j) for (x, y), (e, j) in edges.items()], candidates, verified


def _components(edges: list[tuple[int, int, float, float]]) -> dict[int, list[int]]:
    """Connected components of the edges: root -> its rows."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y, _, _ in edges:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    groups: dict[int, list[int]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    return groups


def _clusters(con: duckdb.DuckDBPyConnection, edges: list[tuple[int, int, float, float]], threshold: float) -> list[DupeCluster]:
    import pyarrow as pa

    groups = _components(edges)
    if not groups:
        return []
    root_of = {x: root for root, rows in groups.items() for x in rows}
    con.register("_members", pa.table({"rid": list(root_of), "root": list(root_of.values())}))
    try:
        rows = con.execute(
            "SELECT m.root, e.rid, e.id, e.input, e.expected, e.polarity, e.scenarios, e.tier, e.status, e.created_at "
            "FROM _members m JOIN ex e USING (rid) ORDER BY m.root, e.created_at, e.id"
        ).fetchall()
    finally:
        con.unregister("_members")
    members: dict[int, list[DupeMember]] = {}
    id_of: dict[int, str] = {}
    for root, rid, *fields in rows:
        # model_construct: the values come from the store, already of the schema's types
        member = DupeMember.model_construct(**dict(zip(DupeMember.model_fields, fields, strict=True)))
        members.setdefault(root, []).append(member)
        id_of[rid] = member.id
    pairs: dict[int, list[DupePair]] = {}
    for x, y, est, j in edges:
        pairs.setdefault(root_of[x], []).append(DupePair.model_construct(a=id_of[x], b=id_of[y], estimated=round(est, 4), exact=j))
    out = []
    for root, ms in members.items():
        labels: dict[str, int] = {}
        for m in ms:
            if m.polarity == "positive" and m.expected is not None:
                labels[m.expected] = labels.get(m.expected, 0) + 1
        ps = sorted(pairs[root], key=lambda p: (-p.exact, p.a, p.b))
        out.append(DupeCluster(number=0, size=len(ms), members=ms, pairs=ps, label_conflict=len(labels) > 1,
                               labels=dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0])))))
    out.sort(key=lambda c: (not c.label_conflict, -c.size, c.members[0].id))
    for i, c in enumerate(out, 1):
        c.number = i
    return out


def _keeper(cluster: DupeCluster, keep: Keep) -> str:
    """The member a retire keeps: the oldest (``created_at``, then id), or the oldest approved
    one when ``keep`` is ``approved`` and the cluster has one."""
    pool = [m for m in cluster.members if m.status == "approved"] if keep == "approved" else []
    return min(pool or cluster.members, key=lambda m: (m.created_at, m.id)).id


def near_duplicate_check(ds: Dataset, *, sample: int = 20) -> HygieneCheck | None:
    """Validation's near-duplicate check, as the spec's ``near_duplicates:`` configures it;
    None when the spec does not ask for it."""
    cfg = ds.spec.near_duplicates
    if cfg is None:
        return None
    description = (f"no two inputs have a Jaccard similarity >= {cfg.threshold} ({cfg.shingles} shingles, "
                   f"{'pairs sharing a scenario' if cfg.scope == 'within' else 'all pairs'})")
    base: dict[str, Any] = {"check": "near_duplicates", "description": description, "type": "goldset_near_duplicates",
                            "severity": cfg.severity}
    try:
        report = find_near_duplicates(ds, threshold=cfg.threshold, scope=cfg.scope, shingles=cfg.shingles)
    except GoldsetError as exc:
        return HygieneCheck(**base, success=False, exception=str(exc))
    offenders = []
    for c in report.clusters:
        others = ", ".join(m.id for m in c.members[:6]) + (" ..." if c.size > 6 else "")
        conflict = f"; probable label conflict: {', '.join(c.labels)}" if c.label_conflict else ""
        offenders += [CheckOffender(id=m.id, value=m.input, note=f"cluster {c.number}: {others}{conflict}") for m in c.members]
        if len(offenders) >= sample:
            break
    return HygieneCheck(
        **base, success=not report.clusters, element_count=report.examples, unexpected_count=report.duplicates,
        unexpected_percent=percent(report.duplicates, report.examples),
        observed_value={"clusters": len(report.clusters), "label_conflicts": report.label_conflicts, "pairs": report.pairs},
        offenders=offenders[:sample],
    )
