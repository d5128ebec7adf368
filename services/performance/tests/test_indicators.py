"""Indicators, targets and the one actual entered by hand: market share."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bizdev_common.domain import Actor, Forbidden, Role, RuleViolation
from bizdev_performance.domain import Indicator, MarketShare, Target
from bizdev_performance.domain.values import Direction, IndicatorKind, Measure, SubjectKind

HR = Actor("hanna", "hr", frozenset({Role.EMPLOYEE, Role.HR}))
SALES_HEAD = Actor("bob", "sales", frozenset({Role.EMPLOYEE, Role.DEPARTMENT_HEAD}))
ANN = Actor("ann", "sales", frozenset({Role.EMPLOYEE}))
MARKET = Actor("mia", "market", frozenset({Role.EMPLOYEE}))


def sales() -> Indicator:
    return Indicator.define(
        HR, name="Sales", kind=IndicatorKind.SALES, measure=None, unit="CNY",
        direction=Direction.HIGHER_IS_BETTER, description="",
    )  # fmt: skip


def test_an_indicator_s_measure_and_unit_fit_its_kind() -> None:
    assert sales().measure is Measure.CONTRACT_VALUE
    with pytest.raises(RuleViolation) as e:
        Indicator.define(
            HR, name="Revenue", kind=IndicatorKind.SALES, measure=Measure.REVENUE, unit="pcs",
            direction=Direction.HIGHER_IS_BETTER, description="",
        )  # fmt: skip
    assert e.value.field == "unit"
    with pytest.raises(RuleViolation) as e:
        Indicator.define(
            HR, name="Calls", kind=IndicatorKind.CUSTOM, measure=None, unit="calls",
            direction=Direction.HIGHER_IS_BETTER, description="",
        )  # fmt: skip
    assert e.value.field == "measure"
    with pytest.raises(Forbidden):
        Indicator.define(
            ANN, name="Mine", kind=IndicatorKind.SALES, measure=None, unit="CNY",
            direction=Direction.HIGHER_IS_BETTER, description="",
        )  # fmt: skip


def test_targets_are_set_by_hr_or_the_subject_s_head_and_revised_with_a_reason() -> None:
    indicator = sales()

    def set_by(actor: Actor, department: str, value: str = "100000") -> Target:
        return Target.set(
            actor, indicator, subject_kind=SubjectKind.PERSON, subject="ann",
            subject_department=department, period="2026-Q4", value=Decimal(value),
            basis="Department goal split by duty",
        )  # fmt: skip

    with pytest.raises(Forbidden):
        set_by(ANN, "sales")
    with pytest.raises(Forbidden):
        set_by(SALES_HEAD, "market")
    with pytest.raises(RuleViolation) as e:
        set_by(HR, "sales", "0")
    assert e.value.field == "value"
    target = set_by(SALES_HEAD, "sales")
    target.revise(HR, indicator, value=Decimal("120000"), basis="Raised", reason="New customer")
    assert target.value == Decimal("120000")
    assert target.id == Target.create_id(indicator.id, SubjectKind.PERSON, "ann", "2026-Q4")


def test_market_share_is_entered_by_the_market_department_with_its_source() -> None:
    share = MarketShare.open(SubjectKind.DEPARTMENT, "sales", "2026")
    with pytest.raises(Forbidden):
        share.record(ANN, Decimal("12.5"), "Industry report 2026")
    with pytest.raises(RuleViolation) as e:
        share.record(MARKET, Decimal("12.5"), "")
    assert e.value.field == "source"
    share.record(MARKET, Decimal("12.5"), "Industry report 2026")
    assert share.percent == Decimal("12.5")


def test_profit_is_a_team_s_or_a_department_s_never_a_person_s() -> None:
    profit = Indicator.define(
        HR, name="Profit", kind=IndicatorKind.PROFIT, measure=None, unit="CNY",
        direction=Direction.HIGHER_IS_BETTER, description="",
    )  # fmt: skip
    with pytest.raises(RuleViolation) as e:
        Target.set(
            HR, profit, subject_kind=SubjectKind.PERSON, subject="ann", subject_department="sales",
            period="2026", value=Decimal(1), basis="Goal",
        )  # fmt: skip
    assert e.value.field == "subject_kind"
    Target.set(
        HR, profit, subject_kind=SubjectKind.DEPARTMENT, subject="sales",
        subject_department="sales", period="2026", value=Decimal(1), basis="Goal",
    )  # fmt: skip
