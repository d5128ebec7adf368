"""The organisation's rules, and a lead's reward granted once, never approved by its finder."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from bizdev_common.domain import Actor, Forbidden, Money, Role, RuleViolation
from bizdev_performance.domain import LeadReward, Person, Policy
from bizdev_performance.settings import PerformanceSettings
from pydantic import ValidationError

HR = Actor("hanna", "hr", frozenset({Role.EMPLOYEE, Role.HR}))
HR2 = Actor("henk", "hr", frozenset({Role.EMPLOYEE, Role.HR}))
ANN = Actor("ann", "sales", frozenset({Role.EMPLOYEE}))


def test_hr_keeps_the_organisation_and_a_chain_never_loops() -> None:
    with pytest.raises(Forbidden):
        Person.join(ANN, user_id="zoe", name="Zoe", department="sales", position="Rep",
                    supervisor=None, joined_on=date(2026, 1, 1))  # fmt: skip
    bob = Person.join(HR, user_id="bob", name="Bob", department="sales", position="Head",
                      supervisor=None, joined_on=date(2026, 1, 1))  # fmt: skip
    with pytest.raises(RuleViolation):
        bob.assign_supervisor(HR, "bob", [])
    with pytest.raises(RuleViolation):
        bob.assign_supervisor(HR, "ann", ["ann", "bob"])  # ann reports to bob
    bob.assign_supervisor(HR, "carol", ["carol"])
    assert bob.supervisor == "carol"
    hanna = Person.join(HR2, user_id="hanna", name="Hanna", department="hr", position="HR",
                        supervisor=None, joined_on=date(2026, 1, 1))  # fmt: skip
    with pytest.raises(Forbidden):
        hanna.move(HR, department="board", position="CEO", reason="Self-promotion")


def converted(reward: LeadReward, by: str | None, policy: Policy) -> bool:
    return reward.converted(
        finder="finn", department="market", project_id=uuid4(), application_id=uuid4(),
        converted_by=by, policy=policy,
    )  # fmt: skip


def test_a_lead_is_rewarded_once_with_the_fixed_sum() -> None:
    reward = LeadReward.note(uuid4())
    fixed = Policy("fixed", amount=Money(Decimal("5000.00"), "CNY"))
    assert converted(reward, "carol", fixed)
    assert not converted(reward, "carol", fixed)  # delivered twice
    granted = [e for e in reward.collect_events() if isinstance(e, LeadReward.Granted)]
    assert [(g.by, g.finder, g.amount) for g in granted] == [
        ("carol", "finn", Money(Decimal("5000.00"), "CNY"))
    ]


def test_a_share_waits_for_the_expected_revenue_in_its_currency() -> None:
    reward = LeadReward.note(uuid4())
    assert converted(reward, "carol", Policy("share", share_percent=Decimal("1.5")))
    assert reward.granted is None
    assert reward.revenue_expected(uuid4(), Money(Decimal("1250000.33"), "CNY"))
    assert reward.granted == Money(Decimal("18750.00"), "CNY")  # 18750.00495 half-even
    assert not reward.revenue_expected(uuid4(), Money(Decimal("1"), "CNY"))


def test_never_approved_by_the_finder() -> None:
    reward = LeadReward.note(uuid4())
    finder_hr = Actor("finn", "market", frozenset({Role.EMPLOYEE, Role.HR}))
    converted(reward, "finn", Policy("fixed", amount=Money(Decimal("100.00"), "CNY")))
    assert reward.held
    assert reward.granted is None
    with pytest.raises(Forbidden):
        reward.approve(finder_hr)
    reward.approve(HR)
    assert reward.granted == Money(Decimal("100.00"), "CNY")


def test_the_reward_setting_is_money_in_its_currency() -> None:
    with pytest.raises(ValidationError, match="lead_reward"):
        PerformanceSettings(service="performance", lead_reward_amount=Decimal("5000.5"),
                            lead_reward_currency="JPY")  # fmt: skip
    assert PerformanceSettings(service="performance").lead_reward_amount == Decimal("5000.00")
