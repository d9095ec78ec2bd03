"""``goldset run compare A B``: did B get better or worse than A, per scenario, beyond chance?

The runs are paired on the same examples: counted in both, and unchanged between the two runs'
data (same fingerprint); an example edited in between is not the same test and is left out
(counted). Per scenario: pass rates, the delta B - A with its 95% interval (Newcombe), the
examples fixed (failed in A, pass in B) and broken (the reverse), and McNemar's exact p-value.
With one test per scenario, some would look significant by chance, so p-values are adjusted
with Holm's method across the scenarios compared; a regression is a drop whose adjusted p-value
is below 0.05.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from goldset.errors import RegressionFound, UsageError
from goldset.runs import _files as files
from goldset.runs._files import RunInfo
from goldset.runs._stats import ALPHA, holm, mcnemar_exact, paired_delta_interval
from goldset.store import db
from goldset.vocab import Priority

if TYPE_CHECKING:
    from goldset.workspace import Dataset

#: Ids of fixed and broken examples listed per scenario.
IDS_SHOWN = 10
METHOD = ("paired on the same examples; McNemar's exact test per scenario; Holm's correction "
          "across the scenarios compared (family-wise error 5%); 95% Newcombe interval of the delta")


class Delta(BaseModel):
    id: str
    priority: str | None = None
    n: int
    a_passed: int
    b_passed: int
    a_rate: float | None
    b_rate: float | None
    delta: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    fixed: int
    broken: int
    p_value: float
    #: Holm-adjusted across the scenarios (the overall row is not adjusted: one test).
    p_adjusted: float
    significant: bool = False
    regression: bool = False
    improvement: bool = False
    fixed_ids: list[str] = Field(default_factory=list)
    broken_ids: list[str] = Field(default_factory=list)


class Comparison(BaseModel):
    dataset: str
    a: RunInfo
    b: RunInfo
    method: str = METHOD
    paired: int
    only_a: int
    only_b: int
    #: Examples in both runs that changed between their data: left out.
    changed: int
    overall: Delta
    scenarios: list[Delta]
    #: Scenario ids with a significant drop, most severe priority first.
    regressions: list[str] = Field(default_factory=list)


def compare_runs(ds: Dataset, a: str, b: str) -> Comparison:
    """Compare run ``b`` with run ``a`` on the examples both evaluated."""
    if a == b:
        raise UsageError(f"run compare: compare two different runs (both are {a!r})")
    info_a, path_a = files.find_run(ds, a)
    info_b, path_b = files.find_run(ds, b)
    con = db.connect()
    try:
        for alias, path, info in (("ra", path_a, info_a), ("rb", path_b, info_b)):
            con.execute(f"CREATE TEMP VIEW {alias} AS SELECT id, scenarios, fingerprint, passed FROM {files.counted_rows(info, path)}")
        # One read of each file: every example of either run, paired where both have it unchanged.
        con.execute("""CREATE TEMP TABLE j AS
                       SELECT ra.id IS NOT NULL AS in_a, rb.id IS NOT NULL AS in_b,
                              ra.fingerprint = rb.fingerprint AS same, coalesce(ra.id, rb.id) AS id, ra.scenarios,
                              coalesce(ra.passed, false) AS ap, coalesce(rb.passed, false) AS bp
                       FROM ra FULL OUTER JOIN rb ON ra.id = rb.id""")
        counts = con.execute("""SELECT count(*) FILTER (same), count(*) FILTER (NOT in_b), count(*) FILTER (NOT in_a),
                                       count(*) FILTER (in_a AND in_b AND NOT same) FROM j""").fetchone()
        assert counts is not None
        cells = (f"count(*) FILTER (ap AND bp), count(*) FILTER (ap AND NOT bp), count(*) FILTER (NOT ap AND bp), "
                 f"count(*) FILTER (NOT ap AND NOT bp), list(id ORDER BY id) FILTER (NOT ap AND bp)[:{IDS_SHOWN}], "
                 f"list(id ORDER BY id) FILTER (ap AND NOT bp)[:{IDS_SHOWN}]")
        # Overall: each example once (the per-scenario unnest repeats multi-scenario examples).
        overall_counts = con.execute(f"SELECT {cells} FROM j WHERE same").fetchone()
        assert overall_counts is not None
        rows = con.execute(f"""
            SELECT scenario, {cells}
            FROM (SELECT *, unnest(scenarios) AS scenario FROM j WHERE same) GROUP BY scenario""").fetchall()
    finally:
        con.close()
    priorities = {sid: sc.priority for sid, sc in ds.spec.scenarios.items()}
    deltas: list[Delta] = []
    for sid, both, broken, fixed, neither, fixed_ids, broken_ids in rows:
        if sid not in priorities:
            continue
        deltas.append(_delta(sid, priorities[sid], both, broken, fixed, neither, fixed_ids or [], broken_ids or []))
    deltas.sort(key=lambda d: (d.priority or "P9", d.id))
    for d, adjusted in zip(deltas, holm([d.p_value for d in deltas]), strict=True):
        _decide(d, adjusted)
    a0, b0, c0, d0, fixed0, broken0 = overall_counts
    overall = _delta("(all)", None, a0, b0, c0, d0, fixed0 or [], broken0 or [])
    _decide(overall, overall.p_value)  # one test: nothing to adjust
    return Comparison(
        dataset=ds.name, a=info_a, b=info_b, paired=counts[0], only_a=counts[1], only_b=counts[2], changed=counts[3],
        overall=overall, scenarios=deltas, regressions=[d.id for d in deltas if d.regression],
    )


def _delta(sid: str, priority: str | None, both: int, broken: int, fixed: int, neither: int,
           fixed_ids: list[str], broken_ids: list[str]) -> Delta:
    n = both + broken + fixed + neither
    a_passed, b_passed = both + broken, both + fixed
    ci = paired_delta_interval(both, broken, fixed, neither)
    p = mcnemar_exact(broken, fixed)
    return Delta(
        id=sid, priority=priority, n=n, a_passed=a_passed, b_passed=b_passed,
        a_rate=a_passed / n if n else None, b_rate=b_passed / n if n else None,
        delta=(b_passed - a_passed) / n if n else None, ci_low=ci[0] if ci else None, ci_high=ci[1] if ci else None,
        fixed=fixed, broken=broken, p_value=p, p_adjusted=p, fixed_ids=fixed_ids, broken_ids=broken_ids,
    )


def _decide(d: Delta, p_adjusted: float) -> None:
    """Significant at ``p_adjusted``, and then a regression or an improvement."""
    d.p_adjusted = p_adjusted
    d.significant = p_adjusted < ALPHA
    d.regression = d.significant and d.broken > d.fixed
    d.improvement = d.significant and d.fixed > d.broken


def regression_gate(comparison: Comparison, priorities: Sequence[Priority]) -> None:
    """Raise RegressionFound when a scenario of ``priorities`` regressed significantly."""
    bad = [d for d in comparison.scenarios if d.regression and d.priority in priorities]
    if bad:
        raise RegressionFound(
            f"{len(bad)} {'/'.join(priorities)} scenario(s) regressed significantly from {comparison.a.name} to "
            f"{comparison.b.name}: {', '.join(d.id for d in bad[:10])}",
            problems=[f"{d.id} ({d.priority}): {d.a_rate:.1%} -> {d.b_rate:.1%}, {d.broken} broken, {d.fixed} fixed, "
                      f"Holm-adjusted p = {d.p_adjusted:.3g}" for d in bad],
        )
