"""Reading a dataset: filtered listings, one example, summary counts, ad-hoc SQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, Field

from goldset.errors import UnknownId
from goldset.store import db, predicate
from goldset.vocab import require_known

if TYPE_CHECKING:
    import pyarrow as pa

    from goldset.workspace import Dataset


#: The largest ``limit`` (DuckDB's LIMIT is a signed 64-bit integer).
MAX_LIMIT = 2**63 - 1
#: Rows per Arrow record batch when a listing streams.
BATCH_ROWS = 10_000


class Filters(BaseModel):
    scenarios: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)
    statuses: list[str] = Field(default_factory=list)
    polarity: str | None = None
    #: Examples carrying any of these edge cases.
    edge_cases: list[str] = Field(default_factory=list)
    #: Text search: the words, each found (case-insensitive) in the input or the expected.
    search: str | None = Field(default=None, max_length=500)
    where: str | None = None
    limit: int | None = Field(default=None, ge=0, le=MAX_LIMIT)


def _where_sql(ds: Dataset, f: Filters, limits: predicate.Limits | None = None) -> tuple[str, list[Any]]:
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
    if f.edge_cases:
        require_known("edge case", f.edge_cases, spec.edge_cases, "--edge-case")
        clauses.append("list_has_any(edge_cases, ?::VARCHAR[])")
        params.append(f.edge_cases)
    for word in (f.search or "").split()[:20]:
        # A bound parameter, never SQL; LIKE's wildcards in the word are matched literally.
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("(input ILIKE ? ESCAPE '\\' OR coalesce(expected, '') ILIKE ? ESCAPE '\\')")
        params += [f"%{escaped}%", f"%{escaped}%"]
    if f.where is not None:  # an empty one is refused by the sandbox's check, not ignored
        with ds.pinned() as files:
            ids = predicate.matching_ids(files, f.where, limits or ds.spec.query.resolve())
        if ids.num_rows == 0:
            clauses.append("false")
        else:
            clauses.append("id IN (SELECT unnest(?::VARCHAR[]))")
            params.append(ids.column("id").to_pylist())
    return " AND ".join(clauses), params


def _list_sql(ds: Dataset, filters: Filters, columns: list[str] | None, limits: predicate.Limits) -> tuple[str, str, list[Any]]:
    """(the listing's SELECT, the count of every row that passes the filters, parameters)."""
    where, params = _where_sql(ds, filters, limits)
    cols = ", ".join(columns) if columns else "*"
    limit = f" LIMIT {int(filters.limit)}" if filters.limit is not None else ""
    return (f"SELECT {cols} FROM examples WHERE {where} ORDER BY created_at, id{limit}",
            f"SELECT count(*) FROM examples WHERE {where}", params)


def list_examples(
    ds: Dataset, filters: Filters, columns: list[str] | None = None, *,
    timeout_s: float | None = None, memory_limit: str | None = None,
) -> pa.Table:
    """The examples that pass ``filters``, oldest first. A ``--where`` predicate runs under the
    spec's ``query:`` limits, or ``timeout_s`` / ``memory_limit`` when given. The whole result
    is in memory: for a large dataset use :func:`open_listing`, which streams."""
    sql, _, params = _list_sql(ds, filters, columns, ds.spec.query.resolve(timeout_s, memory_limit))
    return ds.query(sql, params)


class Listing(NamedTuple):
    """An open listing (:func:`open_listing`)."""

    #: Rows that pass the filters, before ``limit`` (-1 when not counted).
    total: int
    #: The columns of the batches.
    schema: pa.Schema
    #: The rows (at most ``limit``), oldest first, as Arrow record batches of BATCH_ROWS.
    batches: Iterator[pa.RecordBatch]


@contextlib.contextmanager
def open_listing(
    ds: Dataset, filters: Filters, columns: list[str] | None = None, *, count: bool = True,
    batch_rows: int = BATCH_ROWS, timeout_s: float | None = None, memory_limit: str | None = None,
) -> Iterator[Listing]:
    """The examples that pass ``filters``, streamed: DuckDB hands over record batches as the
    caller reads them, so memory stays bounded whatever the dataset's size (the sort spills
    to a temp directory beyond LISTING_MEMORY). ``count`` also counts every row that passes
    the filters (``total``). The batches are readable until the block ends."""
    import tempfile

    sql, count_sql, params = _list_sql(ds, filters, columns, ds.spec.query.resolve(timeout_s, memory_limit))
    with ds.pinned() as files:
        con = db.connect(memory_limit=LISTING_MEMORY)
        try:
            con.execute(f"SET temp_directory = {db.sql_str(tempfile.gettempdir() + '/goldset-duckdb')}")
            db.create_examples_view(con, files)
            total = int(con.execute(count_sql, params).fetchall()[0][0]) if count else -1
            reader = con.sql(sql, params=params or None).to_arrow_reader(batch_rows)
            yield Listing(total, reader.schema, iter(reader))
        finally:
            con.close()


#: DuckDB's working memory while a listing streams; beyond it the sort spills to disk.
LISTING_MEMORY = "256MB"


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


def run_query(ds: Dataset, sql: str, *, timeout_s: float | None = None, memory_limit: str | None = None) -> pa.Table:
    """Ad-hoc SQL over ``examples``: one read-only SELECT, in a connection that cannot read or
    write files, under the spec's ``query:`` limits (or ``timeout_s`` / ``memory_limit``).
    A refused statement or a limit hit is one BadInput line."""
    limits = ds.spec.query.resolve(timeout_s, memory_limit)
    with ds.pinned() as files:  # a concurrent writer cannot pull a part from under the query
        return predicate.run_query(files, sql, limits)
