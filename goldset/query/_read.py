"""Reading a dataset: filtered listings, one example, summary counts, ad-hoc SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from goldset.errors import BadInput, UnknownId
from goldset.store import predicate
from goldset.vocab import require_known

if TYPE_CHECKING:
    import pyarrow as pa

    from goldset.workspace import Dataset


class Filters(BaseModel):
    scenarios: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)
    statuses: list[str] = Field(default_factory=list)
    polarity: str | None = None
    where: str | None = None
    limit: int | None = Field(default=None, ge=0)


def _where_sql(ds: Dataset, f: Filters) -> tuple[str, list[Any]]:
    spec = ds.spec
    require_known("scenario", f.scenarios, spec.scenarios, "--scenario")
    require_known("tier", f.tiers, spec.tiers, "--tier")
    clauses: list[str] = ["true"]
    params: list[Any] = []
    if f.scenarios:
        clauses.append("list_has_any(scenarios, ?::VARCHAR[])")
        params.append(f.scenarios)
    if f.tiers:
        clauses.append("tier IN (SELECT unnest(?::VARCHAR[]))")
        params.append(f.tiers)
    if f.statuses:
        clauses.append("status IN (SELECT unnest(?::VARCHAR[]))")
        params.append(f.statuses)
    if f.polarity:
        clauses.append("polarity = ?")
        params.append(f.polarity)
    if f.where:
        ids = predicate.matching_ids(ds.files(), f.where)
        if ids.num_rows == 0:
            clauses.append("false")
        else:
            clauses.append("id IN (SELECT unnest(?::VARCHAR[]))")
            params.append(ids.column("id").to_pylist())
    return " AND ".join(clauses), params


def list_examples(ds: Dataset, filters: Filters, columns: list[str] | None = None) -> pa.Table:
    where, params = _where_sql(ds, filters)
    cols = ", ".join(columns) if columns else "*"
    limit = f" LIMIT {int(filters.limit)}" if filters.limit is not None else ""
    return ds.query(f"SELECT {cols} FROM examples WHERE {where} ORDER BY created_at, id{limit}", params)


def show(ds: Dataset, example_id: str) -> dict[str, Any]:
    row = ds.get(example_id)
    if row is None:
        raise UnknownId(f"no example with id {example_id!r} in dataset {ds.name!r}")
    return row


class Stats(BaseModel):
    dataset: str
    rows: int
    parts: int
    by_status: dict[str, int]
    by_polarity: dict[str, int]
    by_tier: dict[str, int]
    by_scenario: dict[str, dict[str, int]]
    untagged: int


def stats(ds: Dataset) -> Stats:
    def counts(col: str) -> dict[str, int]:
        t = ds.query(f"SELECT {col} AS k, count(*) AS n FROM examples GROUP BY 1 ORDER BY 1")
        return dict(zip(t.column("k").to_pylist(), t.column("n").to_pylist(), strict=True))

    per = ds.query(
        """SELECT s AS scenario, count(*) AS total,
                  count(*) FILTER (WHERE polarity = 'positive') AS positive,
                  count(*) FILTER (WHERE polarity = 'negative') AS negative,
                  count(*) FILTER (WHERE status = 'approved') AS approved
           FROM (SELECT unnest(scenarios) AS s, polarity, status FROM examples)
           GROUP BY 1 ORDER BY 1"""
    ).to_pylist()
    untagged = ds.query("SELECT count(*) AS n FROM examples WHERE len(scenarios) = 0").column("n")[0].as_py()
    manifest = ds.manifest()
    tiers = counts("tier")
    return Stats(
        dataset=ds.name,
        rows=manifest.rows,
        parts=len(manifest.parts),
        by_status=counts("status"),
        by_polarity=counts("polarity"),
        by_tier={t: tiers.get(t, 0) for t in ds.spec.tiers} | {k: v for k, v in tiers.items() if k not in ds.spec.tiers},
        by_scenario={r.pop("scenario"): r for r in per},
        untagged=untagged,
    )


def run_query(ds: Dataset, sql: str) -> pa.Table:
    """Ad-hoc SQL over ``examples``, in a connection that cannot read or write files."""
    import duckdb

    con = predicate.sandboxed_connection(ds.files())
    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise BadInput(f"query failed: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
