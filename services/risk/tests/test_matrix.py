"""Scoring and levels on the 5x5 matrix, at every boundary."""

from __future__ import annotations

import pytest
from bizdev_common.domain import RuleViolation
from bizdev_risk.domain import Level, Matrix


def test_the_score_is_likelihood_times_impact_on_a_1_to_5_scale() -> None:
    assert Matrix.score(1, 1) == 1
    assert Matrix.score(3, 4) == 12
    assert Matrix.score(5, 5) == 25
    for likelihood, impact, field in (
        (0, 3, "likelihood"),
        (6, 3, "likelihood"),
        (3, 0, "impact"),
        (3, 6, "impact"),
    ):
        with pytest.raises(RuleViolation) as refused:
            Matrix.score(likelihood, impact)
        assert refused.value.field == field


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (1, Level.LOW),
        (4, Level.LOW),
        (5, Level.MEDIUM),
        (9, Level.MEDIUM),
        (10, Level.HIGH),
        (19, Level.HIGH),
        (20, Level.CRITICAL),
        (25, Level.CRITICAL),
    ],
)
def test_default_levels_change_exactly_at_their_boundaries(score: int, level: Level) -> None:
    assert Matrix().level(score) is level


def test_boundaries_are_settings_and_every_cell_follows_them() -> None:
    matrix = Matrix(medium_from=3, high_from=8, critical_from=15)
    assert [matrix.level(s) for s in (2, 3, 7, 8, 14, 15)] == [
        Level.LOW,
        Level.MEDIUM,
        Level.MEDIUM,
        Level.HIGH,
        Level.HIGH,
        Level.CRITICAL,
    ]
    cells = {matrix.level(Matrix.score(x, y)) for x in range(1, 6) for y in range(1, 6)}
    assert cells == set(Level)


@pytest.mark.parametrize(("m", "h", "c"), [(1, 5, 10), (5, 5, 10), (5, 10, 10), (5, 10, 26)])
def test_boundaries_that_do_not_rise_within_the_matrix_are_refused(m: int, h: int, c: int) -> None:
    with pytest.raises(ValueError, match="rise"):
        Matrix(m, h, c)


def test_a_score_off_the_matrix_has_no_level() -> None:
    for score in (0, 26):
        with pytest.raises(RuleViolation):
            Matrix().level(score)
