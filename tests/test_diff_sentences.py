"""The sentences ``diff`` writes for a pull request read as English whatever moved."""

from __future__ import annotations

import pytest

from goldset.history._diff import CoverageSide, ScenarioDelta, _scenario_sentence


def _delta(pos: tuple[int, int], neg: tuple[int, int]) -> ScenarioDelta:
    side = lambda p, n: CoverageSide(counted=p + n, positives=p, negatives=n, verdict="ok")  # noqa: E731
    return ScenarioDelta(id="account_access", priority="P0", blocking=True,
                         before=side(pos[0], neg[0]), after=side(pos[1], neg[1]))


@pytest.mark.parametrize(("pos", "neg", "head"), [
    ((3, 5), (1, 2), "Adds 2 positives and 1 negative to account_access (P0, blocking)"),
    ((3, 5), (2, 1), "Adds 2 positives to account_access (P0, blocking) and removes 1 negative from it"),
    ((3, 1), (2, 1), "Removes 2 positives and 1 negative from account_access (P0, blocking)"),
    ((3, 3), (2, 4), "Adds 2 negatives to account_access (P0, blocking)"),
])
def test_moves_in_one_sentence(pos: tuple[int, int], neg: tuple[int, int], head: str) -> None:
    assert _scenario_sentence(_delta(pos, neg)).startswith(head + " (counted ")
