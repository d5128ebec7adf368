"""A cycle's rules: weights fixed at opening, ratings only by related raters and never by
oneself, scores frozen at finalization, feedback by the supervisor acknowledged by the person."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from bizdev_common.days import company_time_zone, decided_in_utc, end_of
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Role, RuleViolation
from bizdev_performance.domain import (
    STEP_ACKNOWLEDGEMENT,
    STEP_FEEDBACK,
    Cycle,
    Evaluation,
    Participant,
)
from bizdev_performance.domain.values import CycleKind, EvaluationState, Relation
from bizdev_performance.published import CONTRACT, EvaluationStepOverdue

HR = Actor("hanna", "hr", frozenset({Role.EMPLOYEE, Role.HR}))
BOSS = Actor("bob", "sales", frozenset({Role.EMPLOYEE, Role.DEPARTMENT_HEAD}))
ANN = Actor("ann", "sales", frozenset({Role.EMPLOYEE}))
PEER = Actor("pete", "sales", frozenset({Role.EMPLOYEE}))
STRANGER = Actor("sara", "market", frozenset({Role.EMPLOYEE}))
AUDITOR = Actor("audrey", "audit", frozenset({Role.AUDITOR}))
SALES = "8b6f0a52-0000-4000-8000-000000000001"
CUSTOMER = "0f6f0a52-0000-4000-8000-0000000000c1"
DAY = date(2027, 1, 20)


def opened(**overrides: object) -> tuple[Cycle, list[Evaluation]]:
    args: dict[str, object] = {
        "name": "Q4 2026",
        "kind": CycleKind.QUARTERLY,
        "period": "2026-Q4",
        "ratings_due": date(2027, 1, 10),
        "finalize_due": date(2027, 1, 15),
        "feedback_due": date(2027, 1, 31),
        "weights": {SALES: Decimal("60")},
        "ratings_weight": Decimal("40"),
        "standard": Decimal("60"),
        "excellence": Decimal("90"),
        "population": [
            Participant(
                "ann",
                "sales",
                "bob",
                {"bob": Relation.SUPERVISOR, "pete": Relation.PEER},
                [CUSTOMER],
            ),
            Participant("pete", "sales", "bob", {"bob": Relation.SUPERVISOR, "ann": Relation.PEER}),
        ],
    }
    args.update(overrides)
    return Cycle.open(HR, **args)  # type: ignore[arg-type]


def rate(e: Evaluation, actor: Actor, value: int = 4, **kw: object) -> None:
    e.rate(actor, attitude=value, collaboration=value, innovation=value, comments="", **kw)  # type: ignore[arg-type]


def test_weights_and_dates_are_fixed_at_opening_and_must_add_up() -> None:
    with pytest.raises(RuleViolation) as e:
        opened(weights={SALES: Decimal("50")})
    assert e.value.field == "weights"
    with pytest.raises(RuleViolation) as e:
        opened(period="2026-11")
    assert e.value.field == "period"
    with pytest.raises(RuleViolation):
        opened(finalize_due=date(2027, 1, 5))
    with pytest.raises(Forbidden):
        Cycle.open(BOSS, **{k: v for k, v in _args().items()})  # type: ignore[arg-type]
    cycle, evaluations = opened()
    assert cycle.weights == {SALES: Decimal("60")}
    assert [e.person for e in evaluations] == ["ann", "pete"]


def _args() -> dict[str, object]:
    return {
        "name": "Q4",
        "kind": CycleKind.QUARTERLY,
        "period": "2026-Q4",
        "ratings_due": date(2027, 1, 10),
        "finalize_due": date(2027, 1, 15),
        "feedback_due": date(2027, 1, 31),
        "weights": {},
        "ratings_weight": Decimal("100"),
        "standard": Decimal("60"),
        "excellence": Decimal("90"),
        "population": [Participant("ann", "sales", "bob")],
    }


def test_nobody_rates_themself_and_only_related_raters_rate() -> None:
    _, (ann, _) = opened()
    with pytest.raises(Forbidden, match="themself"):
        rate(ann, ANN)
    with pytest.raises(Forbidden, match="not related"):
        rate(ann, STRANGER)
    with pytest.raises(Forbidden):
        rate(ann, AUDITOR)  # related or not, an auditor changes nothing
    rate(ann, BOSS, 5)
    rate(ann, PEER, 3)
    assert {r: v["relation"] for r, v in ann.ratings.items()} == {
        "bob": "supervisor",
        "pete": "peer",
    }
    with pytest.raises(InvalidTransition):
        rate(ann, PEER, 5)  # once per cycle
    with pytest.raises(RuleViolation) as e:
        ann.rate(PEER, attitude=6, collaboration=1, innovation=1, comments="")
    assert e.value.field == "attitude"


def test_a_customer_s_rating_is_recorded_by_hr_or_the_supervisor_for_a_customer_served() -> None:
    _, (ann, pete) = opened()
    with pytest.raises(Forbidden):
        rate(ann, PEER, customer_id=CUSTOMER)
    with pytest.raises(Forbidden, match="no dealings"):
        rate(pete, HR, customer_id=CUSTOMER)
    rate(ann, HR, 5, customer_id=CUSTOMER)
    assert ann.ratings[f"customer:{CUSTOMER}"]["relation"] == "customer"


def test_finalized_scores_are_frozen() -> None:
    cycle, evaluations = opened()
    ann, pete = evaluations
    rate(ann, BOSS, 5)  # qualitative 100
    with pytest.raises(InvalidTransition, match="period"):
        cycle.finalize(HR, evaluations, {}, date(2026, 12, 31))
    cycle.finalize(HR, evaluations, {"ann": {SALES: Decimal("50")}, "pete": {}}, date(2027, 1, 2))
    # ann: (60 x 50 + 40 x 100) / 100 = 70; pete: nothing measured, no rating: no score.
    assert ann.score == Decimal("70.00")
    assert ann.state is EvaluationState.FINALIZED
    assert not ann.below_standard
    assert not ann.high_performer
    assert pete.score is None
    with pytest.raises(InvalidTransition, match="frozen"):
        rate(ann, PEER, 1)
    with pytest.raises(InvalidTransition, match="frozen"):
        cycle.finalize(HR, evaluations, {}, date(2027, 1, 3))
    with pytest.raises(InvalidTransition, match="frozen"):
        ann.finalize(cycle, {SALES: Decimal("150")}, date(2027, 1, 3))
    assert ann.score == Decimal("70.00")


def test_feedback_by_the_supervisor_is_acknowledged_by_the_person() -> None:
    cycle, evaluations = opened()
    ann = evaluations[0]
    with pytest.raises(InvalidTransition):
        ann.deliver_feedback(BOSS, strengths="s", gaps="g", suggestions="x", today=DAY)
    cycle.finalize(HR, evaluations, {}, date(2027, 1, 2))
    with pytest.raises(Forbidden):
        ann.deliver_feedback(PEER, strengths="s", gaps="g", suggestions="x", today=DAY)
    with pytest.raises(InvalidTransition):
        ann.acknowledge(ANN, "")
    ann.deliver_feedback(
        BOSS, strengths="Closes deals", gaps="Reports late", suggestions="CRM daily", today=DAY
    )
    with pytest.raises(Forbidden):
        ann.acknowledge(BOSS, "")
    ann.acknowledge(ANN, "Understood")
    assert ann.state is EvaluationState.ACKNOWLEDGED
    with pytest.raises(InvalidTransition):
        ann.acknowledge(ANN, "again")


def test_feedback_not_delivered_by_its_day_is_reported_overdue_once() -> None:
    _, (ann, _) = opened()
    with pytest.raises(InvalidTransition, match="due"):
        ann.step_overdue(STEP_FEEDBACK, datetime(2027, 1, 31, 23, 0, tzinfo=UTC))
    ann.step_overdue(STEP_FEEDBACK, datetime(2027, 2, 1, 0, 0, tzinfo=UTC))
    with pytest.raises(InvalidTransition, match="already"):
        ann.step_overdue(STEP_FEEDBACK, datetime(2027, 2, 2, tzinfo=UTC))


def test_an_overdue_step_names_the_zone_whose_day_decided_it() -> None:
    """Reported at Shanghai's midnight, still the due day in UTC: the event says whose day."""
    _, (ann, _) = opened()
    with company_time_zone("Asia/Shanghai"):
        ann.step_overdue(STEP_FEEDBACK, end_of(ann.feedback_due))
    overdue = ann.collect_events()[-1]
    public = CONTRACT.to_public(overdue)
    assert isinstance(public, EvaluationStepOverdue)
    assert public.time_zone == "Asia/Shanghai"
    # Stored before it named its zone, it reads as UTC's, whose days decided it then.
    assert (Evaluation.StepOverdue.class_version, Evaluation.StepOverdue.upcast_v1_v2) == (
        2,
        decided_in_utc,
    )


def test_acknowledgement_is_overdue_a_week_after_delivery_never_before_it() -> None:
    cycle, evaluations = opened()
    ann = evaluations[0]
    late = datetime(2027, 3, 1, tzinfo=UTC)
    with pytest.raises(InvalidTransition, match="done"):
        ann.step_overdue(STEP_ACKNOWLEDGEMENT, late)  # nothing delivered: not hers to do
    cycle.finalize(HR, evaluations, {}, date(2027, 1, 2))
    ann.deliver_feedback(BOSS, strengths="s", gaps="g", suggestions="x", today=date(2027, 2, 10))
    assert ann.acknowledge_by == date(2027, 2, 17)  # delivered late: a week from delivery
    with pytest.raises(InvalidTransition, match="due"):
        ann.step_overdue(STEP_ACKNOWLEDGEMENT, datetime(2027, 2, 17, 12, tzinfo=UTC))
    ann.step_overdue(STEP_ACKNOWLEDGEMENT, datetime(2027, 2, 18, tzinfo=UTC))
