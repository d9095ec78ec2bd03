"""Coverage: are the priority scenarios represented well enough to launch?

:func:`compute_coverage` counts, in two DuckDB queries over the live parts, every scenario's
examples (per polarity, tier, edge case, freshness), resolves each scenario's requirements
(its own > its priority's defaults > none), gives a verdict with one reason per unmet
requirement, and applies the launch gate. Renderers (``goldset.cli.render``) only format
the resulting :class:`CoverageReport`.

What counts: rows whose status is in the spec's ``count_status``. ``total`` counts every
status; positives, negatives, edge cases, tiers and freshness are over counted rows only.

A report names what it describes (:class:`ReportSubject`): the dataset, the digest of the
manifest generation it scanned, and the hash of the spec.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from goldset.coverage._subject import ReportSubject, spec_digest
from goldset.coverage._traffic import Traffic
from goldset.errors import CoverageGateFailed, UsageError
from goldset.spec import Requirements
from goldset.store import db
from goldset.vocab import PRIORITIES

if TYPE_CHECKING:
    import duckdb

    from goldset.workspace import Dataset

__all__ = [
    "CoverageReport",
    "GateResult",
    "ScenarioCoverage",
    "TrafficSummary",
    "check_gate",
    "compute_coverage",
]

Verdict = Literal["ok", "gap", "missing"]
VERDICTS: tuple[Verdict, ...] = ("missing", "gap", "ok")


#: A scenario is under-represented when it carries at least this share of traffic ...
UNDER_MIN_TRAFFIC = 0.01
#: ... and its golden share is below this fraction of its traffic share.
UNDER_RATIO = 0.5


class ScenarioCoverage(BaseModel):
    id: str
    group: str | None = None
    priority: str
    owner: str | None = None
    counted: int
    total: int
    positives: int
    negatives: int
    edge_case_examples: int
    edge_cases_covered: list[str] = Field(default_factory=list)
    required_edge_cases_missing: list[str] = Field(default_factory=list)
    per_tier: dict[str, int] = Field(default_factory=dict)
    fresh: int = 0
    fresh_share: float | None = None
    verdict: Verdict
    reasons: list[str] = Field(default_factory=list)
    requirements: Requirements = Field(default_factory=Requirements)
    #: Filled when a traffic file is given: share of counted rows vs share of production traffic.
    golden_share: float | None = None
    traffic_share: float | None = None
    under_represented: bool = False


class GateResult(BaseModel):
    blocking_priorities: list[str]
    passed: bool
    failing: list[str] = Field(default_factory=list)


class TrafficSummary(BaseModel):
    source: str
    kind: Literal["share", "count"]
    #: Share of production traffic whose scenario is ``ok``: the representativeness headline.
    covered_share: float
    #: Share of traffic the file attributes to some scenario (the rest meets no bar).
    attributed_share: float
    under_represented: list[str] = Field(default_factory=list)
    #: Traffic of scenarios that are not in the taxonomy.
    unknown: dict[str, float] = Field(default_factory=dict)


class EdgeCaseMatrix(BaseModel):
    """Counted examples per scenario and edge case (rows: scenarios, columns: edge cases)."""

    edge_cases: list[str] = Field(default_factory=list)
    scenarios: list[str] = Field(default_factory=list)
    counts: list[list[int]] = Field(default_factory=list)

    def get(self, scenario: str, edge_case: str) -> int:
        return self.counts[self.scenarios.index(scenario)][self.edge_cases.index(edge_case)]


class CoverageReport(ReportSubject):
    generated_at: datetime
    count_status: list[str]
    max_review_age_days: int
    rows: int
    counted_rows: int
    #: Examples per status and negatives, over every status.
    statuses: dict[str, int] = Field(default_factory=dict)
    negatives: int = 0
    scenarios: list[ScenarioCoverage]
    gate: GateResult
    #: Examples (any status) tagged with no scenario.
    untagged: int
    #: Examples (any status) per scenario id that is not in the taxonomy.
    unknown_scenarios: dict[str, int] = Field(default_factory=dict)
    edge_case_matrix: EdgeCaseMatrix = Field(default_factory=EdgeCaseMatrix)
    #: priority -> verdict -> number of scenarios.
    summary: dict[str, dict[str, int]] = Field(default_factory=dict)
    traffic: TrafficSummary | None = None
    #: The report's numbers, nested by name, numeric only (for scripts; the DVC metrics of a
    #: version are ``reports/metrics.json``, see ``goldset.history.write_reports``).
    metrics: dict[str, Any] = Field(default_factory=dict)

    def scenario(self, scenario_id: str) -> ScenarioCoverage:
        for s in self.scenarios:
            if s.id == scenario_id:
                return s
        raise KeyError(scenario_id)


# -- computation ---------------------------------------------------------------------------


def _in(values: list[str]) -> str:
    # A literal IN list: DuckDB turns it into a cheap filter (a subquery would be a semi-join).
    return ", ".join(db.sql_str(v) for v in values) or "NULL"


def _groups_sql(src: str, count_status: list[str]) -> str:
    # The one scan: rows collapse into groups of identical (scenario list, edge-case list,
    # polarity, tier, counted, fresh) -- a few thousand groups for millions of rows -- so the
    # unnests and filtered sums below touch a small table. ~2x faster than unnesting every row.
    return f"""
        CREATE OR REPLACE TEMP TABLE _cov_groups AS
        SELECT scenarios, edge_cases, polarity, tier, status,
               status IN ({_in(count_status)}) AS c,
               coalesce(reviewed_at >= $cutoff, false) AS f,
               count(*) AS n
        FROM {src}
        GROUP BY ALL"""


_NEGATIVE = "polarity = 'negative'"


def _sum(cond: str) -> str:
    return f"coalesce(sum(n) FILTER (WHERE {cond}), 0)"


def _per_scenario_sql(tiers: list[str]) -> str:
    tier_cols = "".join(f", {_sum(f'c AND tier = {db.sql_str(t)}')}" for t in tiers)
    # unnest(scenarios) rather than list_distinct/list_contains: write-time validation keeps ids
    # unique within a row, and unnest is ~5x faster (docs/architecture.md). Untagged rows vanish in the
    # unnest; the totals query counts them.
    return f"""
        SELECT s, sum(n) AS total, {_sum("c")}, {_sum("c AND polarity = 'positive'")},
               {_sum("c AND polarity = 'negative'")}, {_sum("c AND len(edge_cases) > 0")},
               {_sum("c AND f")}{tier_cols}
        FROM (SELECT unnest(scenarios) AS s, * FROM _cov_groups)
        GROUP BY s"""


_TOTALS_SQL = (f"SELECT coalesce(sum(n), 0), {_sum('c')}, {_sum('len(scenarios) = 0')}, "
               f"{_sum(_NEGATIVE)} FROM _cov_groups")

_STATUS_SQL = "SELECT status, sum(n) FROM _cov_groups GROUP BY status ORDER BY status"

_MATRIX_SQL = """
    SELECT s, ec, sum(n)
    FROM (SELECT s, unnest(edge_cases) AS ec, n
          FROM (SELECT unnest(scenarios) AS s, edge_cases, n FROM _cov_groups WHERE c AND len(edge_cases) > 0))
    GROUP BY s, ec"""


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or {}).fetchall()


def _scan(ds: Dataset, con: duckdb.DuckDBPyConnection, count_status: list[str], cutoff: datetime) -> str | None:
    """Group the live rows into ``_cov_groups``: one scan of one pinned manifest generation,
    so a writer committing meanwhile changes nothing we read. Returns that generation's
    digest (None: a store not yet written)."""
    with ds.store.pinned() as (manifest, files):
        ds.checked_out(manifest)  # as Dataset.pinned, keeping the manifest
        con.execute(_groups_sql(f"({db.parts_select(files)})", count_status), {"cutoff": cutoff})
    return manifest.digest


def _reasons(s: ScenarioCoverage, req: Requirements) -> list[str]:
    out: list[str] = []
    if req.min_examples is not None and s.counted < req.min_examples:
        out.append(f"{s.counted} of {req.min_examples} examples")
    if req.min_negatives is not None and s.negatives < req.min_negatives:
        out.append(
            f"no negatives (need {req.min_negatives})"
            if s.negatives == 0
            else f"{s.negatives} of {req.min_negatives} negatives"
        )
    if req.min_edge_case_examples is not None and s.edge_case_examples < req.min_edge_case_examples:
        out.append(f"{s.edge_case_examples} of {req.min_edge_case_examples} edge-case examples")
    out += [f"edge case {e} missing" for e in s.required_edge_cases_missing]
    for tier, need in req.min_per_tier.items():
        have = s.per_tier.get(tier, 0)
        if have < need:
            out.append(f"{tier} tier {have} of {need}")
    if req.min_fresh_share is not None:
        share = s.fresh_share or 0.0
        if share < req.min_fresh_share:
            out.append(f"fresh {share:.0%} (need {req.min_fresh_share:.0%})")
    return out


def _blocking(ds: Dataset, fail_on: list[str] | None) -> list[str]:
    if fail_on is None:
        return list(ds.spec.gate.blocking_priorities)
    bad = [p for p in fail_on if p not in PRIORITIES]
    if bad:
        raise UsageError(f"--fail-on: unknown priority {bad[0]!r}; use a comma list of P0, P1, P2")
    return list(dict.fromkeys(fail_on))


def _scenario(ds: Dataset, s_id: str, per: dict[str, list[int]], by_scenario_ec: dict[str, dict[str, int]]) -> ScenarioCoverage:
    """One scenario's numbers, verdict and reasons, from the grouped counts."""
    spec = ds.spec
    tiers = list(spec.tiers)
    sc = spec.scenarios[s_id]
    req = spec.requirements_for(s_id)
    total, counted, pos, neg, edge, fresh, *per_tier = per.get(s_id) or [0] * (6 + len(tiers))
    mine = by_scenario_ec.get(s_id, {})
    covered = [e for e in spec.edge_cases if e in mine] + sorted(e for e in mine if e not in spec.edge_cases)
    cov = ScenarioCoverage(
        id=s_id,
        group=sc.group,
        priority=sc.priority,
        owner=sc.owner,
        counted=counted,
        total=total,
        positives=pos,
        negatives=neg,
        edge_case_examples=edge,
        edge_cases_covered=covered,
        required_edge_cases_missing=[e for e in req.required_edge_cases if e not in covered],
        per_tier=dict(zip(tiers, per_tier, strict=True)),
        fresh=fresh,
        fresh_share=fresh / counted if counted else None,
        verdict="ok",
        requirements=req,
    )
    cov.reasons = _reasons(cov, req)
    if counted == 0:
        cov.verdict = "missing"
        cov.reasons = cov.reasons or ["no counted examples"]
    elif cov.reasons:
        cov.verdict = "gap"
    return cov


def compute_coverage(
    ds: Dataset,
    *,
    fail_on: list[str] | None = None,
    traffic: Traffic | None = None,
    now: datetime | None = None,
) -> CoverageReport:
    """The coverage report of ``ds``. ``now`` (UTC) fixes the freshness clock and the
    report's ``generated_at`` (tests and reproducible reports). One scan of the parts groups
    the rows; three small queries over those groups give every number."""
    spec = ds.spec
    blocking = _blocking(ds, fail_on)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    cutoff = now - timedelta(days=spec.freshness.max_review_age_days)
    count_status: list[str] = list(spec.count_status)
    tiers = list(spec.tiers)

    con = db.connect()
    try:
        data = _scan(ds, con, count_status, cutoff)
        per = {r[0]: [int(x) for x in r[1:]] for r in _fetch(con, _per_scenario_sql(tiers))}
        rows, counted_rows, untagged, negatives = (int(x) for x in _fetch(con, _TOTALS_SQL)[0])
        statuses = {str(s): int(n) for s, n in _fetch(con, _STATUS_SQL)}
        cells = [(s, e, int(n)) for s, e, n in _fetch(con, _MATRIX_SQL)]
    finally:
        con.close()

    by_scenario_ec: dict[str, dict[str, int]] = {}
    for s_id, ec, n in cells:
        by_scenario_ec.setdefault(s_id, {})[ec] = n

    scenarios = [_scenario(ds, s_id, per, by_scenario_ec) for s_id in spec.scenarios]

    unknown = {k: r[0] for k, r in sorted(per.items()) if k not in spec.scenarios}
    summary_ = {p: dict.fromkeys(VERDICTS, 0) for p in PRIORITIES}
    for s in scenarios:
        summary_[s.priority][s.verdict] += 1
    failing = [s.id for s in scenarios if s.priority in blocking and s.verdict != "ok"]

    ec_cols = list(spec.edge_cases) + sorted({e for d in by_scenario_ec.values() for e in d} - set(spec.edge_cases))
    matrix = EdgeCaseMatrix(
        edge_cases=ec_cols,
        scenarios=[s.id for s in scenarios],
        counts=[[by_scenario_ec.get(s.id, {}).get(e, 0) for e in ec_cols] for s in scenarios],
    )
    report = CoverageReport(
        dataset=ds.name,
        data=data,
        spec=spec_digest(ds.workspace),
        generated_at=now,
        count_status=list(count_status),
        max_review_age_days=spec.freshness.max_review_age_days,
        rows=rows,
        counted_rows=counted_rows,
        statuses=statuses,
        negatives=negatives,
        scenarios=scenarios,
        gate=GateResult(blocking_priorities=blocking, passed=not failing, failing=failing),
        untagged=untagged,
        unknown_scenarios=unknown,
        edge_case_matrix=matrix,
        summary=summary_,
    )
    if traffic is not None:
        report.traffic = _apply_traffic(report, traffic)
    report.metrics = _metrics(report)
    return report


def _apply_traffic(report: CoverageReport, traffic: Traffic) -> TrafficSummary:
    under: list[str] = []
    covered = 0.0
    for s in report.scenarios:
        s.traffic_share = traffic.shares.get(s.id, 0.0)
        s.golden_share = s.counted / report.counted_rows if report.counted_rows else 0.0
        s.under_represented = s.traffic_share >= UNDER_MIN_TRAFFIC and s.golden_share < UNDER_RATIO * s.traffic_share
        if s.under_represented:
            under.append(s.id)
        if s.verdict == "ok":
            covered += s.traffic_share
    known = {s.id for s in report.scenarios}
    return TrafficSummary(
        source=traffic.source,
        kind=traffic.kind,
        covered_share=covered,
        attributed_share=traffic.attributed,
        under_represented=under,
        unknown={k: v for k, v in sorted(traffic.shares.items()) if k not in known},
    )


def _metrics(report: CoverageReport) -> dict[str, Any]:
    """Numbers only, nested by name: what ``dvc metrics show/diff`` can compare."""
    out: dict[str, Any] = {
        "gate_passed": int(report.gate.passed),
        "gate_failing": len(report.gate.failing),
        "rows": report.rows,
        "counted_rows": report.counted_rows,
        "untagged": report.untagged,
        "unknown_scenario_examples": sum(report.unknown_scenarios.values()),
        "verdicts": {v: sum(1 for s in report.scenarios if s.verdict == v) for v in VERDICTS},
        "scenarios": {
            s.id: {
                "counted": s.counted,
                "total": s.total,
                "positives": s.positives,
                "negatives": s.negatives,
                "edge_case_examples": s.edge_case_examples,
                "ok": int(s.verdict == "ok"),
            }
            for s in report.scenarios
        },
    }
    if report.traffic is not None:
        out["traffic_covered_share"] = round(report.traffic.covered_share, 6)
    return out


def check_gate(report: CoverageReport) -> None:
    """Raise :class:`CoverageGateFailed` (exit 1) listing exactly the failing blocking scenarios."""
    if report.gate.passed:
        return
    failing = report.gate.failing
    by_id = {s.id: s for s in report.scenarios}
    raise CoverageGateFailed(
        f"coverage gate failed: {len(failing)} {'/'.join(report.gate.blocking_priorities)} "
        f"scenario(s) below their bar: {', '.join(failing)}",
        problems=[f"{i} ({by_id[i].verdict}): {'; '.join(by_id[i].reasons)}" for i in failing],
    )
