"""`make demo`'s calendar and cast: the evaluation it finalizes is of the last quarter that is
over, and the month finance closes the last one that is over, whatever the day it runs; its
people hold every role of the role table."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import demo  # noqa: E402


@pytest.mark.parametrize(
    ("today", "quarter"),
    [
        (date(2026, 11, 28), "2026-Q3"),
        (date(2026, 10, 1), "2026-Q3"),
        (date(2026, 3, 31), "2025-Q4"),
        (date(2026, 4, 1), "2026-Q1"),
    ],
)
def test_the_last_quarter_over(today: date, quarter: str) -> None:
    assert demo.last_quarter(today) == quarter


@pytest.mark.parametrize(
    ("today", "month"),
    [
        (date(2026, 11, 28), (2026, 10)),
        (date(2026, 1, 1), (2025, 12)),
        (date(2026, 3, 31), (2026, 2)),
    ],
)
def test_the_last_month_over(today: date, month: tuple[int, int]) -> None:
    assert demo.last_month(today) == month


def test_every_role_of_the_role_table_has_someone() -> None:
    from bizdev_common.domain import Role

    held = {role for person in demo.STAFF for role in person.roles}
    assert held == {r.value for r in Role}
    # hr records people in this order, and a supervisor must be a person already
    order = [p.user_id for p in demo.STAFF]
    for i, person in enumerate(demo.STAFF):
        assert person.supervisor is None or person.supervisor in order[:i], person
