"""The statistics of run reports and comparisons. The tests of a comparison come from
statsmodels (imported here only, when a comparison needs them: ~0.7 s with pandas and scipy);
the report's interval is Wilson's closed form in numpy, because importing statsmodels for three
lines of arithmetic cost a 1M-row report a third of its time (tests/test_runs_stats.py checks it
against statsmodels' ``proportion_confint`` for every k <= n <= 120).

* a pass rate's 95% interval: Wilson's score interval, which stays inside [0, 1] and keeps its
  coverage at small n and near 0 or 1, where the normal (Wald) interval does not;
* whether two runs differ on the same examples: McNemar's exact test, a two-sided binomial test
  on the discordant pairs (fixed vs broken), because the same examples make the samples paired;
* several scenarios tested at once: Holm's step-down correction, which keeps the chance of any
  false "regression" at 5% without assuming the scenarios are independent;
* the interval of a paired difference: Newcombe's hybrid score interval (his method 10), built
  from the two Wilson intervals and the correlation of the pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

#: The confidence of every interval, and the significance level of every test.
CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE


#: The normal quantile of a two-sided 95% interval.
Z = NormalDist().inv_cdf(1 - ALPHA / 2)


def wilson(passed: Sequence[int], n: Sequence[int]) -> list[tuple[float, float] | None]:
    """Wilson 95% score intervals of ``passed[i] / n[i]``; None where ``n[i]`` is 0:
    (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    import numpy as np

    if not len(n):
        return []
    k = np.asarray(passed, dtype=float)
    m = np.asarray(n, dtype=float)
    safe = np.where(m > 0, m, 1)
    p = k / safe
    z2 = Z * Z
    centre = (p + z2 / (2 * safe)) / (1 + z2 / safe)
    half = Z * np.sqrt(p * (1 - p) / safe + z2 / (4 * safe * safe)) / (1 + z2 / safe)
    # The exact bounds at 0/n and n/n are 0 and 1; the formula leaves rounding noise there
    # (6.9e-18, 0.9999999999999999), which a report would show as "0.0%" and a bar would compare.
    lo = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(k == m, 1.0, np.clip(centre + half, 0.0, 1.0))
    return [None if m[i] == 0 else (float(lo[i]), float(hi[i])) for i in range(len(m))]


def mcnemar_exact(broken: int, fixed: int) -> float:
    """Two-sided exact McNemar p-value of a paired comparison: ``broken`` examples passed in A
    and failed in B, ``fixed`` the reverse (pairs that agree carry no information)."""
    from statsmodels.stats.contingency_tables import mcnemar

    if broken + fixed == 0:
        return 1.0
    # The 2x2 table [[both pass, broken], [fixed, both fail]]: only the off-diagonal counts.
    return float(mcnemar([[0, broken], [fixed, 0]], exact=True).pvalue)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (family-wise error across the tests given)."""
    if not pvalues:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(list(pvalues), alpha=ALPHA, method="holm")[1]]


def paired_delta_interval(both: int, broken: int, fixed: int, neither: int) -> tuple[float, float] | None:
    """95% interval of ``rate(B) - rate(A)`` over paired examples (Newcombe 1998, method 10).

    ``both``/``neither``: pairs passing/failing in both runs. None when there are no pairs."""
    n = both + broken + fixed + neither
    if n == 0:
        return None
    a_pass, b_pass = both + broken, both + fixed
    (l1, u1), (l2, u2) = wilson([a_pass, b_pass], [n, n])  # type: ignore[misc]
    p1, p2 = a_pass / n, b_pass / n
    delta = p2 - p1
    # phi: the correlation of the pairs, with Newcombe's rule for a zero product of margins.
    margins = (both + broken) * (fixed + neither) * (both + fixed) * (broken + neither)
    if margins == 0:
        phi = 0.0
    else:
        num: float = both * neither - broken * fixed
        # Newcombe: when the numerator is positive, reduce it by n/2 (continuity), not below 0.
        num = max(num - n / 2, 0) if num > 0 else num
        phi = num / math.sqrt(margins)
    d1, d2 = p2 - l2, u1 - p1
    e1, e2 = u2 - p2, p1 - l1
    lower = delta - math.sqrt(max(d1 * d1 - 2 * phi * d1 * d2 + d2 * d2, 0.0))
    upper = delta + math.sqrt(max(e1 * e1 - 2 * phi * e1 * e2 + e2 * e2, 0.0))
    return max(lower, -1.0), min(upper, 1.0)
