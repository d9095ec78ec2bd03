"""The statistics of run reports and comparisons (``goldset.runs._stats``), checked against
independent references: scipy's binomial test, statsmodels' Holm, Holm's definition by hand,
and the worked examples Newcombe (1998) published for his paired interval."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests

from goldset.runs._stats import holm, mcnemar_exact, paired_delta_interval, wilson


# -- Wilson ---------------------------------------------------------------------------------
def test_wilson_45_of_50() -> None:
    [ci] = wilson([45], [50])
    assert ci is not None
    assert round(ci[0], 4) == 0.7864
    assert round(ci[1], 4) == 0.9565


def test_wilson_by_its_formula() -> None:
    """The closed form of Wilson's score interval, z = 1.959964 (95%)."""
    z = 1.959963984540054
    for k, n in [(0, 1), (1, 3), (7, 9), (45, 50), (500, 1000), (999, 1000)]:
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        [ci] = wilson([k], [n])
        assert ci == pytest.approx((centre - half, centre + half), abs=1e-12), (k, n)


@pytest.mark.parametrize("n", [1, 2, 10, 50, 1000])
def test_wilson_bounds_at_zero_and_all(n: int) -> None:
    """0/n starts at exactly 0 and n/n ends at exactly 1 (the interval never leaves [0, 1]),
    and neither collapses to a point: no failures in 10 is not proof of a 0% failure rate."""
    none_passed, all_passed = wilson([0, n], [n, n])
    assert none_passed is not None and all_passed is not None
    assert none_passed[0] == 0.0 and 0 < none_passed[1] < 1
    assert all_passed[1] == 1.0 and 0 < all_passed[0] < 1
    assert none_passed[1] == pytest.approx(1 - all_passed[0])


def test_wilson_matches_statsmodels_everywhere() -> None:
    """The closed form in numpy against statsmodels' proportion_confint, every k <= n <= 120."""
    from statsmodels.stats.proportion import proportion_confint

    pairs = [(k, n) for n in range(1, 121) for k in range(n + 1)]
    ours = wilson([k for k, _ in pairs], [n for _, n in pairs])
    lo, hi = proportion_confint([k for k, _ in pairs], [n for _, n in pairs], alpha=0.05, method="wilson")
    for (k, n), ci, a, b in zip(pairs, ours, lo, hi, strict=True):
        assert ci is not None and ci == pytest.approx((max(a, 0.0), min(b, 1.0)), abs=1e-12), (k, n)


def test_wilson_no_examples_and_no_groups() -> None:
    assert wilson([3, 0], [4, 0])[1] is None
    assert wilson([], []) == []


# -- McNemar --------------------------------------------------------------------------------
@pytest.mark.parametrize(("broken", "fixed"), [(0, 10), (10, 0), (3, 12), (12, 3), (25, 40), (1, 0), (5, 5), (0, 1), (7, 30)])
def test_mcnemar_exact_is_the_binomial_test_on_discordant_pairs(broken: int, fixed: int) -> None:
    expected = binomtest(min(broken, fixed), broken + fixed, 0.5, alternative="two-sided").pvalue
    assert mcnemar_exact(broken, fixed) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_exact_known_values() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 10) == pytest.approx(2 / 2**10)  # both tails of the one extreme table
    assert mcnemar_exact(3, 12) == pytest.approx(2 * sum(math.comb(15, i) for i in range(4)) / 2**15)
    assert mcnemar_exact(5, 5) == 1.0


def test_mcnemar_exact_is_symmetric() -> None:
    for b, c in itertools.product(range(8), repeat=2):
        assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


# -- Holm -----------------------------------------------------------------------------------
def test_holm_by_hand() -> None:
    """Sorted 0.01, 0.03, 0.04 -> 3 x 0.01, 2 x 0.03, 1 x 0.04, each at least the one before."""
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])
    # Step-down monotonicity carries a larger earlier value forward; the result is capped at 1.
    assert holm([0.02, 0.001, 0.03, 0.9]) == pytest.approx([0.06, 0.004, 0.06, 0.9])
    assert holm([0.4, 0.5]) == pytest.approx([0.8, 0.8])
    assert holm([0.6, 0.7]) == [1.0, 1.0]


@pytest.mark.parametrize("pvalues", [
    [0.01, 0.04, 0.03], [0.5], [0.0, 1.0], [0.001, 0.001, 0.2, 0.049, 0.051], [0.3] * 6,
    [0.0001 * i for i in range(1, 40)],
])
def test_holm_matches_statsmodels(pvalues: list[float]) -> None:
    assert holm(pvalues) == pytest.approx(list(multipletests(pvalues, method="holm")[1]))


def test_holm_of_nothing() -> None:
    assert holm([]) == []


# -- Newcombe's paired interval --------------------------------------------------------------
# Newcombe (1998), "Improved confidence intervals for the difference between binomial
# proportions based on paired data", Stat Med 17:2635-2650, Table II, method 10, in his cells:
# e both positive, f first only, g second only, h neither; the interval is of (f - g) / n.
# (The same four values are the reference of the propint R package's tests.)
NEWCOMBE_TABLE_II = [
    ((36, 12, 2, 0), (0.0569, 0.3404)),
    ((18, 12, 2, 18), (0.0562, 0.3290)),
    ((53, 0, 0, 1), (-0.0729, 0.0729)),
    ((0, 30, 0, 0), (0.8395, 1.0)),
]


@pytest.mark.parametrize(("cells", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_published_examples(cells: tuple[int, int, int, int], published: tuple[float, float]) -> None:
    e, f, g, h = cells
    # Ours is rate(B) - rate(A): Newcombe's "first" is B (f: B passes, A fails = fixed).
    ci = paired_delta_interval(both=e, broken=g, fixed=f, neither=h)
    assert ci is not None
    assert round(ci[0], 4) == published[0]
    assert round(ci[1], 4) == published[1]


@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40), st.integers(0, 40))
def test_newcombe_contains_delta_and_stays_in_range(both: int, broken: int, fixed: int, neither: int) -> None:
    n = both + broken + fixed + neither
    ci = paired_delta_interval(both, broken, fixed, neither)
    if n == 0:
        assert ci is None
        return
    assert ci is not None
    delta = (fixed - broken) / n
    assert -1.0 <= ci[0] <= delta <= ci[1] <= 1.0
    # Swapping the runs negates the interval.
    swapped = paired_delta_interval(both, fixed, broken, neither)
    assert swapped is not None
    assert swapped == pytest.approx((-ci[1], -ci[0]), abs=1e-12)


def test_newcombe_excludes_zero_only_when_the_evidence_is_strong() -> None:
    weak = paired_delta_interval(both=40, broken=1, fixed=3, neither=6)
    strong = paired_delta_interval(both=10, broken=0, fixed=20, neither=20)
    assert weak is not None and strong is not None
    assert weak[0] < 0 < weak[1]
    assert strong[0] > 0
