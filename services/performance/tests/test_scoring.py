"""Scores from attainment and ratings with the cycle's weights, in exact decimals."""

from __future__ import annotations

from decimal import Decimal

from bizdev_performance.domain.scoring import ATTAINMENT_CAP, Rating, attainment, score
from bizdev_performance.domain.values import Direction, period_bounds

D = Decimal


def test_attainment_is_actual_over_target_or_the_inverse_when_lower_is_better() -> None:
    assert attainment(D("90000"), D("120000"), Direction.HIGHER_IS_BETTER) == D("75")
    assert attainment(D("4"), D("2"), Direction.LOWER_IS_BETTER) == D("50")
    assert attainment(D("0"), D("2"), Direction.LOWER_IS_BETTER) == ATTAINMENT_CAP
    assert attainment(D("1000"), D("1"), Direction.HIGHER_IS_BETTER) == ATTAINMENT_CAP
    assert attainment(None, D("1"), Direction.HIGHER_IS_BETTER) is None


def test_the_score_weighs_each_component_with_the_cycle_s_weights() -> None:
    # sales 75% attained (weight 50), satisfaction 100% (weight 20), ratings 4.0 -> 80 (30):
    # (50 x 75 + 20 x 100 + 30 x 80) / 100 = 81.50
    ratings = [Rating(4, 4, 4), Rating(5, 3, 4)]
    result = score(
        {"sales": D("50"), "satisfaction": D("20")},
        D("30"),
        {"sales": D("75"), "satisfaction": D("100")},
        ratings,
    )
    assert result.score == D("81.50")
    assert result.qualitative == D("80")
    assert result.quantitative == (D(50) * 75 + D(20) * 100) / D(70)


def test_a_component_without_a_value_drops_out_with_its_weight() -> None:
    # No target for satisfaction and no rating: the score is the sales attainment alone.
    result = score({"sales": D("50"), "satisfaction": D("20")}, D("30"), {"sales": D("75")}, [])
    assert result.score == D("75.00")
    assert result.qualitative is None
    nothing = score({"sales": D("100")}, D("0"), {}, [])
    assert nothing.score is None


def test_the_score_alone_is_rounded_half_to_even() -> None:
    # One rating of (5 + 4 + 4) / 3 = 4.333... -> 86.666...: rounded only at the end.
    result = score({}, D("100"), {}, [Rating(5, 4, 4)])
    assert result.score == D("86.67")
    assert result.qualitative is not None
    assert result.qualitative > D("86.666")


def test_periods_are_years_quarters_and_months() -> None:
    assert [str(d) for d in period_bounds("2026-Q4")] == ["2026-10-01", "2026-12-31"]
    assert [str(d) for d in period_bounds("2024-02")] == ["2024-02-01", "2024-02-29"]
    assert [str(d) for d in period_bounds("2026")] == ["2026-01-01", "2026-12-31"]
