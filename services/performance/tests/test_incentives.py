"""Incentives for high performers; below standard an improvement plan first, demotion or
transfer only after it and a later finalized cycle still below standard."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from bizdev_common.domain import Actor, Forbidden, Money, Role, RuleViolation
from bizdev_performance.domain import Grounds, PerformanceFile
from bizdev_performance.domain.values import ImprovementMeasure, IncentiveKind, SanctionKind

HR = Actor("hanna", "hr", frozenset({Role.EMPLOYEE, Role.HR}))
Q3_END, Q4_END = date(2026, 9, 30), date(2026, 12, 31)


def grounds(score: str, last_day: date, finalized_on: date, person: str = "ann") -> Grounds:
    s = Decimal(score)
    return Grounds(uuid4(), uuid4(), person, s, s < 60, s >= 90, last_day, finalized_on)


def test_incentives_go_to_high_performers_and_name_their_grounds() -> None:
    file = PerformanceFile.open("ann")
    with pytest.raises(RuleViolation) as e:
        file.grant_incentive(
            HR,
            grounds("80", Q3_END, date(2026, 10, 5)),
            department="sales",
            kind=IncentiveKind.COMMENDATION,
            reason="Good",
        )
    assert e.value.field == "cycle_id"
    high = grounds("95", Q3_END, date(2026, 10, 5))
    with pytest.raises(RuleViolation) as e:
        file.grant_incentive(
            HR, high, department="sales", kind=IncentiveKind.BONUS, reason="Top sales"
        )
    assert e.value.field == "bonus"
    with pytest.raises(Forbidden):
        PerformanceFile.open("hanna").grant_incentive(
            HR,
            grounds("95", Q3_END, date(2026, 10, 5), "hanna"),
            department="sales",
            kind=IncentiveKind.COMMENDATION,
            reason="Me",
        )
    file.grant_incentive(
        HR,
        high,
        department="sales",
        kind=IncentiveKind.BONUS,
        reason="Top sales",
        bonus=Money(Decimal("8000.00"), "CNY"),
    )
    [granted] = [
        e for e in file.collect_events() if isinstance(e, PerformanceFile.IncentiveGranted)
    ]
    assert granted.cycle_id == high.cycle_id
    assert granted.score == Decimal("95")
    assert granted.bonus == Money(Decimal("8000.00"), "CNY")


def test_demotion_is_refused_without_a_prior_plan_and_a_later_failed_cycle() -> None:
    file = PerformanceFile.open("ann")
    q3 = grounds("50", Q3_END, date(2026, 10, 5))
    # No improvement plan yet: refused.
    with pytest.raises(RuleViolation) as e:
        file.apply_sanction(
            HR,
            q3,
            department="sales",
            kind=SanctionKind.DEMOTION,
            plan_id=uuid4(),
            plan_grounds_last_day=Q3_END,
            reason="Low",
        )
    assert e.value.field == "plan_id"
    plan = file.start_improvement_plan(
        HR,
        q3,
        department="sales",
        measures=[ImprovementMeasure.COACHING, ImprovementMeasure.TRAINING],
        description="Weekly coaching",
        until=date(2026, 12, 31),
        reason="Below standard",
        today=date(2026, 10, 6),
    )
    # The plan's own cycle is no grounds: a later one must fail too.
    with pytest.raises(RuleViolation) as e:
        file.apply_sanction(
            HR,
            q3,
            department="sales",
            kind=SanctionKind.DEMOTION,
            plan_id=plan,
            plan_grounds_last_day=Q3_END,
            reason="Low",
        )
    assert e.value.field == "cycle_id"
    # A later cycle that passed: refused.
    with pytest.raises(RuleViolation) as e:
        file.apply_sanction(
            HR,
            grounds("70", Q4_END, date(2027, 1, 5)),
            department="sales",
            kind=SanctionKind.TRANSFER,
            plan_id=plan,
            plan_grounds_last_day=Q3_END,
            reason="Low",
        )
    assert e.value.field == "cycle_id"
    # A later cycle still below standard: the demotion stands on both grounds.
    q4 = grounds("40", Q4_END, date(2027, 1, 5))
    file.apply_sanction(
        HR,
        q4,
        department="sales",
        kind=SanctionKind.DEMOTION,
        plan_id=plan,
        plan_grounds_last_day=Q3_END,
        reason="No improvement after coaching",
    )
    [applied] = [e for e in file.collect_events() if isinstance(e, PerformanceFile.SanctionApplied)]
    assert (applied.plan_id, applied.cycle_id) == (plan, q4.cycle_id)


def test_an_improvement_plan_is_for_one_below_standard() -> None:
    file = PerformanceFile.open("ann")
    with pytest.raises(RuleViolation) as e:
        file.start_improvement_plan(
            HR,
            grounds("75", Q3_END, date(2026, 10, 5)),
            department="sales",
            measures=[ImprovementMeasure.COACHING],
            description="x",
            until=date(2026, 12, 31),
            reason="x",
            today=date(2026, 10, 6),
        )
    assert e.value.field == "cycle_id"
