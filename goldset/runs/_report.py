"""``goldset run report``: a run's results per scenario x tier, per edge case and per polarity,
with 95% Wilson intervals, failures, latency and cost, judged against the spec's launch bar.

The counting is DuckDB over the run's one Parquet file (a few grouped scans); the intervals come
from ``_stats``. What counts: the run's counted examples (the spec's
``count_status`` when the run was added), less the unanswered ones of a ``--partial`` run.

A verdict is ``pass``, ``fail`` or ``insufficient`` ("not enough evidence"). A bar's limits are
checked first, because a failure is evidence whatever the sample size; then a scenario with
fewer examples than ``min_examples_for_verdict`` is insufficient, never a silent pass. The launch
verdict: every scenario of a blocking priority (the gate's) passes and every tier with a bar
passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from goldset.errors import StoreError
from goldset.runs import _files as files
from goldset.runs._add import fingerprint_sql
from goldset.runs._files import RunInfo
from goldset.runs._stats import wilson
from goldset.spec import DEFAULT_MIN_EXAMPLES_FOR_VERDICT, Bar
from goldset.store import db

if TYPE_CHECKING:
    import duckdb

    from goldset.workspace import Dataset

Verdict = Literal["pass", "fail", "insufficient"]
#: Failures listed per scenario (and overall) in a report.
FAILURES_SHOWN = 5
#: Characters of an output or expected value shown in a failure.
SHOWN_CHARS = 200
#: The key of examples with no scenario (never a scenario id: those are text).
_UNTAGGED = None


class Cell(BaseModel):
    """The results of one group of examples."""

    n: int = 0
    passed: int = 0
    failed: int = 0
    pass_rate: float | None = None
    #: 95% Wilson interval of the pass rate.
    ci_low: float | None = None
    ci_high: float | None = None
    no_output: int = 0
    errors: int = 0
    latency_n: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    cost_n: int = 0
    cost_usd: float | None = None
    cost_per_1k_usd: float | None = None


class Failure(BaseModel):
    id: str
    tier: str
    polarity: str
    output: str | None
    expected: str | None
    error: str | None = None
    scored_by: str | None = None


class Judged(Cell):
    verdict: Verdict | None = None
    reasons: list[str] = Field(default_factory=list)
    bar: Bar | None = None


class ScenarioResult(Judged):
    id: str
    priority: str
    blocking: bool
    negatives: Cell = Field(default_factory=Cell)
    tiers: dict[str, Cell] = Field(default_factory=dict)
    failures: list[Failure] = Field(default_factory=list)


class TierResult(Judged):
    id: str


class GroupResult(Cell):
    id: str


class Staleness(BaseModel):
    """How the golden set changed since the run was evaluated."""

    data_then: str | None
    data_now: str | None
    added: int = 0
    removed: int = 0
    changed: int = 0
    ids: list[str] = Field(default_factory=list, description="some of the examples added, removed or changed")

    @property
    def stale(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def summary(self) -> str:
        if not self.stale:
            same = self.data_then == self.data_now
            return "evaluated on the current data" if same else \
                "the data changed since the run, but none of the examples it counted did"
        parts = [f"{n:,} {what}" for n, what in ((self.changed, "changed"), (self.added, "added"), (self.removed, "removed")) if n]
        shown = ", ".join(self.ids[:5]) + (" ..." if len(self.ids) > 5 or sum((self.added, self.removed, self.changed)) > 5 else "")
        return f"examples changed since the run was evaluated: {', '.join(parts)} ({shown})"


class RunReport(BaseModel):
    dataset: str
    run: RunInfo
    overall: Cell
    verdict: Verdict
    #: One line per reason the launch verdict is not pass.
    reasons: list[str] = Field(default_factory=list)
    scenarios: list[ScenarioResult] = Field(default_factory=list)
    untagged: Cell = Field(default_factory=Cell)
    tiers: list[TierResult] = Field(default_factory=list)
    edge_cases: list[GroupResult] = Field(default_factory=list)
    polarity: list[GroupResult] = Field(default_factory=list)
    failures: list[Failure] = Field(default_factory=list)
    #: (from ms, to ms, examples) for the latency plot.
    latency_histogram: list[tuple[float, float, int]] = Field(default_factory=list)
    staleness: Staleness | None = None
    #: Why staleness could not be checked (the store not readable here), if so.
    staleness_error: str | None = None


_AGG = """count(*) AS n, count(*) FILTER (passed) AS passed,
          count(*) FILTER (scored_by = 'no output') AS no_output,
          count(*) FILTER (error IS NOT NULL AND scored_by <> 'no output') AS errors,
          count(latency_ms) AS latency_n, quantile_cont(latency_ms, 0.5) AS p50, quantile_cont(latency_ms, 0.95) AS p95,
          count(cost_usd) AS cost_n, round(fsum(cost_usd), 9) AS cost"""


def _cells(con: duckdb.DuckDBPyConnection, sql: str, nkeys: int) -> list[tuple[tuple[object, ...], Cell]]:
    rows = con.execute(sql).fetchall()
    cis = wilson([r[nkeys + 1] for r in rows], [r[nkeys] for r in rows])
    out = []
    for r, ci in zip(rows, cis, strict=True):
        n, passed, no_output, errors, latency_n, p50, p95, cost_n, cost = r[nkeys:]
        out.append((tuple(r[:nkeys]), Cell(
            n=n, passed=passed, failed=n - passed, pass_rate=passed / n if n else None,
            ci_low=ci[0] if ci else None, ci_high=ci[1] if ci else None, no_output=no_output, errors=errors,
            latency_n=latency_n, latency_p50_ms=p50, latency_p95_ms=p95, cost_n=cost_n, cost_usd=cost,
            cost_per_1k_usd=cost / cost_n * 1000 if cost_n else None,
        )))
    return out


def _pct(x: float) -> str:
    return f"{x:.1%}".replace(".0%", "%")


def judge(cell: Cell, negatives: Cell | None, bar: Bar, min_examples: int | None) -> tuple[Verdict, list[str]]:
    """A group's verdict against ``bar``, with the reasons (limits first, then evidence)."""
    fails: list[str] = []
    short: list[str] = []
    ci = f" (95% CI {_pct(cell.ci_low)}-{_pct(cell.ci_high)})" if cell.ci_low is not None and cell.ci_high is not None else ""
    if bar.max_failures is not None and cell.failed > bar.max_failures:
        fails.append(f"{cell.failed:,} failure(s), the bar allows {bar.max_failures}")
    if bar.min_pass_rate is not None and cell.pass_rate is not None and cell.pass_rate < bar.min_pass_rate:
        fails.append(f"pass rate {_pct(cell.pass_rate)}{ci} is below {_pct(bar.min_pass_rate)}")
    # A scenario without negatives has no negative pass rate to miss: whether it must have
    # negatives is a coverage requirement (min_negatives), checked by the gate.
    if (bar.min_negative_pass_rate is not None and negatives is not None and negatives.pass_rate is not None
            and negatives.pass_rate < bar.min_negative_pass_rate):
        fails.append(f"negative pass rate {_pct(negatives.pass_rate)} is below {_pct(bar.min_negative_pass_rate)}")
    if bar.max_p95_latency_ms is not None:
        if cell.latency_p95_ms is None:
            short.append("no latency recorded to check p95 latency against")
        elif cell.latency_p95_ms > bar.max_p95_latency_ms:
            fails.append(f"p95 latency {cell.latency_p95_ms:,.0f} ms is above {bar.max_p95_latency_ms:,.0f} ms")
    if bar.max_cost_per_1k_usd is not None:
        if cell.cost_per_1k_usd is None:
            short.append("no cost recorded to check cost per 1k examples against")
        elif cell.cost_per_1k_usd > bar.max_cost_per_1k_usd:
            fails.append(f"cost ${cell.cost_per_1k_usd:,.2f} per 1k examples is above ${bar.max_cost_per_1k_usd:,.2f}")
    if fails:
        return "fail", fails
    if min_examples is not None and cell.n < min_examples:
        short.insert(0, f"{cell.n:,} example(s), the bar needs {min_examples:,} for a verdict")
    if short:
        return "insufficient", short
    return "pass", []


#: The columns of a failure, in Failure's order (outputs and labels cut short).
_FAILURE_COLS = f"id, tier, polarity, left(output, {SHOWN_CHARS}), left(expected, {SHOWN_CHARS}), error, scored_by"


def _failure(row: Sequence[Any]) -> Failure:
    return Failure(**dict(zip(("id", "tier", "polarity", "output", "expected", "error", "scored_by"), row, strict=True)))


def _failures(con: duckdb.DuckDBPyConnection, limit: int) -> list[Failure]:
    """The first failures of the run, strictest tier first."""
    rows = con.execute(f"""SELECT {_FAILURE_COLS} FROM r WHERE NOT coalesce(passed, false)
                           ORDER BY tier_rank, id LIMIT {limit}""").fetchall()
    return [_failure(row) for row in rows]


def run_report(ds: Dataset, name: str, *, check_stale: bool = True) -> RunReport:
    """The report of run ``name`` against the dataset's launch bar (the spec as it is now)."""
    info, path = files.find_run(ds, name)
    return report_file(ds, info, path, check_stale=check_stale)


def report_file(ds: Dataset, info: RunInfo, path: Path, *, check_stale: bool = True) -> RunReport:
    spec = ds.spec
    bar_spec = spec.launch_bar
    tiers = list(spec.tiers)
    con = db.connect()
    try:
        ranks = ", ".join(f"({db.sql_str(t)}, {i})" for i, t in enumerate(tiers))
        con.execute(f"""CREATE TEMP VIEW r AS SELECT f.*, coalesce(t.rank, 999) AS tier_rank
                        FROM (SELECT * FROM {files.counted_rows(info, path)}) f
                        LEFT JOIN (VALUES {ranks}) t(tier, rank) ON t.tier = f.tier""")
        overall = _cells(con, f"SELECT {_AGG} FROM r", 0)[0][1]
        # Per scenario, per scenario x tier and per scenario x polarity, in one grouped scan.
        by: dict[tuple[str | None, str | None, str | None], Cell] = {}
        for (sid, tier, pol, _g), cell in _cells(con, f"""
                SELECT scenario, tier, polarity, GROUPING(tier, polarity), {_AGG}
                FROM (SELECT *, unnest(CASE WHEN len(scenarios) = 0 THEN [NULL] ELSE scenarios END) AS scenario FROM r)
                GROUP BY GROUPING SETS ((scenario), (scenario, tier), (scenario, polarity))""", 4):
            by[(None if sid is None else str(sid), tier, pol)] = cell  # type: ignore[index]
        groups = {key: cell for key, cell in _cells(con, f"""
                SELECT tier, polarity, GROUPING(tier, polarity), {_AGG} FROM r
                GROUP BY GROUPING SETS ((tier), (polarity))""", 3)}
        edge = _cells(con, f"SELECT edge_case, {_AGG} FROM (SELECT *, unnest(edge_cases) AS edge_case FROM r) GROUP BY 1 ORDER BY 1", 1)
        failures = _scenario_failures(con)
        histogram = _histogram(con)
        top_failures = _failures(con, 20)
    finally:
        con.close()

    blocking = set(spec.gate.blocking_priorities)
    min_default = bar_spec.min_examples_for_verdict or DEFAULT_MIN_EXAMPLES_FOR_VERDICT
    scenarios = []
    for sid, sc in spec.scenarios.items():
        cell = by.get((sid, None, None), Cell())
        negatives = by.get((sid, None, "negative"), Cell())
        bar = bar_spec.for_scenario(sid, sc.priority)
        verdict, reasons = judge(cell, negatives, bar, bar.min_examples_for_verdict or min_default)
        scenarios.append(ScenarioResult(
            id=sid, priority=sc.priority, blocking=sc.priority in blocking, **cell.model_dump(),
            verdict=verdict, reasons=reasons, bar=bar, negatives=negatives,
            tiers={t: by[(sid, t, None)] for t in tiers if (sid, t, None) in by},
            failures=failures.get(sid, []),
        ))
    tier_results = []
    for i, tier in enumerate(tiers):
        cell = groups.get((tier, None, 1), Cell())
        tbar = bar_spec.for_tier(tier, strictest=i == 0)
        result = TierResult(id=tier, **cell.model_dump(), bar=tbar)
        if tbar is not None:
            result.verdict, result.reasons = judge(cell, None, tbar, tbar.min_examples_for_verdict)
        tier_results.append(result)
    reasons = [f"scenario {s.id} ({s.priority}): {'; '.join(s.reasons)}" for s in scenarios
               if s.blocking and s.verdict != "pass"]
    reasons += [f"tier {t.id}: {'; '.join(t.reasons)}" for t in tier_results if t.verdict not in (None, "pass")]
    failed = any(s.blocking and s.verdict == "fail" for s in scenarios) or any(t.verdict == "fail" for t in tier_results)
    launch_verdict: Verdict = "fail" if failed else "insufficient" if reasons else "pass"
    if overall.n == 0:
        launch_verdict, reasons = "insufficient", ["the run counts no example", *reasons]
    report = RunReport(
        dataset=ds.name, run=info, overall=overall, verdict=launch_verdict, reasons=reasons, scenarios=scenarios,
        untagged=by.get((_UNTAGGED, None, None), Cell()), tiers=tier_results,
        edge_cases=[GroupResult(id=str(k[0]), **c.model_dump()) for k, c in edge],
        polarity=[GroupResult(id=p, **groups[(None, p, 2)].model_dump()) for p in ("positive", "negative") if (None, p, 2) in groups],
        failures=top_failures, latency_histogram=histogram,
    )
    if check_stale:
        try:
            report.staleness = staleness(ds, info, path)
        except StoreError as exc:
            report.staleness_error = str(exc)
    return report


def _scenario_failures(con: duckdb.DuckDBPyConnection) -> dict[str, list[Failure]]:
    rows = con.execute(f"""
        SELECT scenario, {_FAILURE_COLS} FROM (
            SELECT *, row_number() OVER (PARTITION BY scenario ORDER BY tier_rank, id) AS k
            FROM (SELECT *, unnest(scenarios) AS scenario FROM r WHERE NOT coalesce(passed, false)))
        WHERE k <= {FAILURES_SHOWN} ORDER BY scenario, k""").fetchall()
    out: dict[str, list[Failure]] = {}
    for sid, *failure in rows:
        out.setdefault(sid, []).append(_failure(failure))
    return out


def _histogram(con: duckdb.DuckDBPyConnection, bins: int = 24) -> list[tuple[float, float, int]]:
    """Latency counts in equal bins from 0 to the 99th percentile (the slowest 1% in the last)."""
    top = con.execute("SELECT quantile_cont(latency_ms, 0.99) FROM r").fetchone()
    if top is None or top[0] is None:
        return []
    hi = float(top[0]) or 1.0
    width = hi / bins
    counts = dict(con.execute(f"SELECT least(CAST(floor(latency_ms / {width!r}) AS INTEGER), {bins - 1}), count(*) "
                              "FROM r WHERE latency_ms IS NOT NULL GROUP BY 1").fetchall())
    return [(i * width, (i + 1) * width, int(counts.get(i, 0))) for i in range(bins)]


def staleness(ds: Dataset, info: RunInfo, path: Path) -> Staleness:
    """What changed in the counted examples between the run's data and the store now."""
    with ds.store.pinned() as (manifest, parts):
        ds.checked_out(manifest)
        result = Staleness(data_then=info.data, data_now=manifest.digest)
        if info.data == manifest.digest:
            return result
        con = db.connect()
        try:
            db.create_examples_view(con, parts)
            counted = f"status IN {db.sql_list(list(ds.spec.count_status))}"
            rows = con.execute(f"""
                WITH now AS (SELECT id, {fingerprint_sql()} AS fp FROM examples WHERE {counted}),
                     run AS (SELECT id, fingerprint AS fp FROM read_parquet({db.sql_str(str(path))}) WHERE counted)
                SELECT CASE WHEN run.id IS NULL THEN 'added' WHEN now.id IS NULL THEN 'removed' ELSE 'changed' END AS kind,
                       coalesce(now.id, run.id) AS id
                FROM now FULL OUTER JOIN run ON now.id = run.id
                WHERE now.id IS NULL OR run.id IS NULL OR now.fp <> run.fp ORDER BY id""").fetchall()
        finally:
            con.close()
    for kind, _ in rows:
        setattr(result, kind, getattr(result, kind) + 1)
    result.ids = [i for _, i in rows[:20]]
    return result


def launch_metrics(report: RunReport, *, passed: bool | None = None) -> dict[str, object]:
    """DVC metrics of a run's report: numbers only, so ``dvc metrics diff`` shows a model's
    change per scenario (verdicts as 1/0: met the bar, had enough evidence)."""

    def rate(x: float | None) -> float | None:
        return None if x is None else round(x, 6)

    out: dict[str, object] = {
        "run": report.run.name,
        "pass_rate": rate(report.overall.pass_rate),
        "examples": report.overall.n,
        "failures": report.overall.failed,
        "launch_bar_met": int(report.verdict == "pass"),
        "latency_p95_ms": report.overall.latency_p95_ms,
        "scenarios": {s.id: {"pass_rate": rate(s.pass_rate), "examples": s.n, "failures": s.failed,
                             "bar_met": int(s.verdict == "pass"), "enough_evidence": int(s.verdict != "insufficient")}
                      for s in report.scenarios},
        "tiers": {t.id: {"pass_rate": rate(t.pass_rate), "examples": t.n, "failures": t.failed} for t in report.tiers},
    }
    if passed is not None:
        out["launch_go"] = int(passed)
    return out
