"""The unbiased pass@k estimator against cases computed by hand."""

from __future__ import annotations

import pytest

from evaluation.passk import mean_pass_at_k, pass_at_k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 0, 1, 0.0),  # nothing correct: never passes
        (5, 5, 3, 1.0),  # everything correct: always passes
        (5, 2, 1, 0.4),  # k = 1 is the fraction correct, c / n
        (5, 2, 2, 1 - 3 / 10),  # 1 - C(3,2)/C(5,2)
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5) = 0.91666...
        (4, 1, 4, 1.0),  # n - c < k: every draw of 4 holds the correct one
        (20, 1, 10, 0.5),  # 1 - C(19,10)/C(20,10) = 1 - 10/20
    ],
)
def test_pass_at_k_matches_hand_computed_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_is_not_the_naive_fraction_for_k_above_one() -> None:
    # two samples, one correct: the naive c/n says 0.5 at every k, but a draw of both always holds it
    assert pass_at_k(2, 1, 1) == pytest.approx(0.5)
    assert pass_at_k(2, 1, 2) == pytest.approx(1.0)


def test_mean_over_problems_and_bad_arguments() -> None:
    assert mean_pass_at_k([(5, 2), (5, 0), (5, 5)], 1) == pytest.approx((0.4 + 0 + 1) / 3)
    assert mean_pass_at_k([], 1) == 0.0
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)  # fewer samples than k
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)  # more correct than samples
