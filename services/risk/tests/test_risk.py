"""A risk's rules: who identifies and assesses it, inherent and residual kept, the response
and its sign-off, measures and their reviews on a cadence by level, overdue flagged once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from bizdev_common.days import company_time_zone, decided_in_utc, end_of
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Money, Role, RuleViolation
from bizdev_risk.domain import (
    Assessment,
    Category,
    IdentificationRound,
    Level,
    Matrix,
    ResponseState,
    Risk,
    RiskState,
    Scenario,
    Scope,
    Strategy,
)
from bizdev_risk.published import CONTRACT
from eventsourcing.domain import Aggregate

OFFICER = Actor("rita", "risk", frozenset({Role.EMPLOYEE, Role.RISK_OFFICER}))
OTHER_OFFICER = Actor("rolf", "risk", frozenset({Role.EMPLOYEE, Role.RISK_OFFICER}))
BOSS = Actor("bo", "management", frozenset({Role.MANAGEMENT}))
BOSS_OFFICER = Actor("mo", "management", frozenset({Role.MANAGEMENT, Role.RISK_OFFICER}))
HEAD = Actor("hal", "sales", frozenset({Role.EMPLOYEE, Role.DEPARTMENT_HEAD}))
OTHER_HEAD = Actor("hil", "ops", frozenset({Role.EMPLOYEE, Role.DEPARTMENT_HEAD}))
CLERK = Actor("cy", "sales", frozenset({Role.EMPLOYEE}))
AUDITOR = Actor("au", "audit", frozenset({Role.AUDITOR}))
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
CADENCE = {Level.LOW: 180, Level.MEDIUM: 90, Level.HIGH: 30, Level.CRITICAL: 7}


def risk(actor: Actor = HEAD, **against: Any) -> Risk:
    """A credit risk against a customer of sales, unless `against` says otherwise."""
    return Risk.identify(
        actor,
        **{
            "category": Category.CREDIT,
            "scope": Scope.CUSTOMER,
            "project_id": None,
            "customer_id": uuid4(),
            "department": "sales",
            "title": "Late payer",
            "description": "The customer pays late",
            "cause": "Cash flow",
        }
        | against,
    )


def assess(
    r: Risk,
    likelihood: int,
    impact: int,
    kind: Assessment = Assessment.INHERENT,
    *,
    by: Actor = OFFICER,
    scenarios: list[Scenario] | None = None,
    note: str = "",
) -> None:
    r.assess(
        by,
        assessment=kind,
        likelihood=likelihood,
        impact=impact,
        matrix=Matrix(),
        scenarios=scenarios or [],
        note=note,
    )


def assessed(likelihood: int, impact: int, kind: Assessment = Assessment.INHERENT) -> Risk:
    r = risk()
    assess(r, likelihood, impact, kind)
    return r


def add_measure(
    r: Risk,
    measure_id: UUID,
    due_on: date,
    *,
    by: Actor = HEAD,
    description: str = "Take collateral",
) -> None:
    """A measure of sales, done by cy, added at NOW on the usual cadence."""
    r.add_measure(
        by,
        measure_id,
        description=description,
        department="sales",
        person="cy",
        due_on=due_on,
        now=NOW,
        cadence=CADENCE,
    )


def test_a_risk_is_identified_by_the_risk_officer_management_or_its_departments_head() -> None:
    for actor in (OFFICER, BOSS, HEAD):
        assert risk(actor).state == RiskState.OPEN
    for actor in (OTHER_HEAD, CLERK, AUDITOR):
        with pytest.raises(Forbidden):
            risk(actor)


def test_its_scope_names_exactly_what_it_is_against() -> None:
    with pytest.raises(RuleViolation) as refused:
        risk(OFFICER, category=Category.MARKET, scope=Scope.PROJECT)
    assert refused.value.field == "project_id"


def test_inherent_and_residual_are_both_kept_and_the_residual_sets_the_level() -> None:
    r = risk()
    with pytest.raises(RuleViolation):
        assess(r, 1, 1, Assessment.RESIDUAL)
    scenario = Scenario("Customer defaults", Decimal("20"), Money(Decimal("50000.00"), "CNY"))
    assess(r, 4, 5, scenarios=[scenario], note="first")
    assert r.level is Level.CRITICAL
    with pytest.raises(Forbidden):
        assess(r, 2, 2, Assessment.RESIDUAL, by=HEAD)
    assess(r, 2, 3, Assessment.RESIDUAL, note="with collateral")
    assert r.level is Level.MEDIUM
    assert r.assessments[Assessment.INHERENT]["score"] == 20
    assert r.assessments[Assessment.RESIDUAL]["score"] == 6
    assert [type(e).__name__ for e in r.collect_events()].count("Assessed") == 2


def test_accept_of_a_high_risk_waits_for_managements_sign_off_never_by_its_proposer() -> None:
    r = assessed(3, 4)  # 12: high
    r.plan_response(BOSS_OFFICER, Strategy.ACCEPT, "Cheaper than insuring")
    assert r.response is ResponseState.AWAITING_SIGN_OFF
    with pytest.raises(InvalidTransition, match="sign-off"):
        r.close(OFFICER, "done")
    with pytest.raises(Forbidden):
        r.sign_off(OFFICER)  # not management
    with pytest.raises(Forbidden, match="own"):
        r.sign_off(BOSS_OFFICER)  # proposed it
    r.sign_off(BOSS)
    assert r.response is ResponseState.IN_FORCE
    with pytest.raises(InvalidTransition):
        r.sign_off(BOSS)
    r.close(OFFICER, "Accepted and signed off")
    assert r.state is RiskState.CLOSED


def test_accept_below_high_needs_no_sign_off() -> None:
    r = assessed(3, 3)  # 9: medium
    r.plan_response(OFFICER, Strategy.ACCEPT, "Small")
    assert r.response is ResponseState.IN_FORCE
    with pytest.raises(InvalidTransition):
        r.sign_off(BOSS)


def test_a_response_needs_an_assessment_and_a_change_of_strategy_a_reason() -> None:
    r = risk()
    with pytest.raises(InvalidTransition):
        r.plan_response(OFFICER, Strategy.REDUCE, "why")
    assess(r, 2, 2)
    with pytest.raises(Forbidden):
        r.plan_response(OTHER_HEAD, Strategy.REDUCE, "why")
    r.plan_response(HEAD, Strategy.REDUCE, "Collateral")
    with pytest.raises(RuleViolation) as refused:
        r.plan_response(OFFICER, Strategy.TRANSFER, " ")
    assert refused.value.field == "reason"
    with pytest.raises(InvalidTransition):
        r.plan_response(OFFICER, Strategy.REDUCE, "again")
    r.plan_response(OFFICER, Strategy.TRANSFER, "Insure it instead")
    names = [type(e).__name__ for e in r.collect_events()]
    assert names[-2:] == ["ResponsePlanned", "StrategyChanged"]
    assert r.strategy is Strategy.TRANSFER


def test_a_changed_strategy_to_accept_needs_a_new_sign_off() -> None:
    r = assessed(5, 5)
    r.plan_response(OFFICER, Strategy.ACCEPT, "no choice")
    r.sign_off(BOSS)
    r.plan_response(OFFICER, Strategy.REDUCE, "a measure exists after all")
    r.plan_response(OFFICER, Strategy.ACCEPT, "it did not work")
    assert r.response is ResponseState.AWAITING_SIGN_OFF


def test_measures_are_reviewed_on_a_cadence_by_level_and_flagged_overdue_once() -> None:
    r = assessed(4, 4)  # 16: high, every 30 days
    r.plan_response(OFFICER, Strategy.REDUCE, "Collateral")
    measure_id = uuid4()
    with pytest.raises(RuleViolation):
        add_measure(r, measure_id, date(2026, 3, 1))
    add_measure(r, measure_id, date(2026, 3, 10))
    assert r.measures[measure_id].next_review_at == NOW + timedelta(days=30)

    with pytest.raises(InvalidTransition):
        r.review_overdue(measure_id, NOW + timedelta(days=29))
    r.review_overdue(measure_id, NOW + timedelta(days=30))
    with pytest.raises(InvalidTransition):
        r.review_overdue(measure_id, NOW + timedelta(days=31))  # once per due time

    with pytest.raises(InvalidTransition):
        r.measure_overdue(measure_id, datetime(2026, 3, 10, 23, 59, tzinfo=UTC))
    r.measure_overdue(measure_id, datetime(2026, 3, 11, tzinfo=UTC))
    with pytest.raises(InvalidTransition):
        r.measure_overdue(measure_id, datetime(2026, 3, 12, tzinfo=UTC))

    with pytest.raises(Forbidden):
        r.review_measure(CLERK, measure_id, effective=True, note="ok", now=NOW, cadence=CADENCE)
    later = NOW + timedelta(days=31)
    r.review_measure(
        HEAD, measure_id, effective=False, note="Not enough", now=later, cadence=CADENCE
    )
    assert r.measures[measure_id].next_review_at == later + timedelta(days=30)
    r.review_overdue(measure_id, later + timedelta(days=30))  # the next cycle: flagged again

    with pytest.raises(Forbidden):
        r.complete_measure(HEAD, measure_id, "done", later)
    r.complete_measure(CLERK, measure_id, "Collateral signed", later)
    with pytest.raises(InvalidTransition):
        r.complete_measure(CLERK, measure_id, "again", later)
    with pytest.raises(InvalidTransition):
        r.review_overdue(measure_id, later + timedelta(days=90))


def _measure_overdue() -> Aggregate.Event:
    r = assessed(4, 4)
    r.plan_response(OFFICER, Strategy.REDUCE, "Collateral")
    measure_id = uuid4()
    due_on = date(2026, 3, 10)
    add_measure(r, measure_id, due_on)
    r.measure_overdue(measure_id, end_of(due_on))
    return r.collect_events()[-1]


def _identification_overdue() -> Aggregate.Event:
    due_on = NOW.date()
    r = IdentificationRound.open(
        OFFICER,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        departments=["ops"],
        due_on=due_on,
        today=due_on,
    )
    r.overdue("ops", end_of(due_on))
    return r.collect_events()[-1]


@pytest.mark.parametrize("overdue", [_measure_overdue, _identification_overdue])
def test_an_overdue_report_names_the_zone_whose_day_decided_it(
    overdue: Callable[[], Aggregate.Event],
) -> None:
    """Reported at Shanghai's midnight, still the due day in UTC: the event says whose day.
    A review's due time is an instant (now plus the cadence), no day: MeasureReviewOverdue
    names no zone."""
    with company_time_zone("Asia/Shanghai"):
        event = overdue()
    public = CONTRACT.to_public(event)
    assert public is not None
    assert public.model_dump()["time_zone"] == "Asia/Shanghai"
    # Stored before it named its zone, it reads as UTC's, whose days decided it then.
    assert (type(event).class_version, type(event).upcast_v1_v2) == (2, decided_in_utc)


def test_critical_risks_are_reviewed_weekly_low_ones_twice_a_year() -> None:
    for (likelihood, impact), days in (((5, 4), 7), ((1, 2), 180)):
        r = assessed(likelihood, impact)
        r.plan_response(OFFICER, Strategy.REDUCE, "r")
        m = uuid4()
        add_measure(r, m, date(2026, 12, 1), by=OFFICER, description="m")
        assert r.measures[m].next_review_at == NOW + timedelta(days=days)


def test_an_alert_is_linked_once() -> None:
    r = risk()
    alert = uuid4()
    assert r.link_alert(alert, "complaints_per_customer", 2, "warning")
    assert not r.link_alert(alert, "complaints_per_customer", 2, "warning")
