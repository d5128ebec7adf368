"""Incentives and constraints (REGULATIONS 8.4), kept per person in one file so that the
order of decisions is one consistent history: high performers get a commendation, bonus,
promotion or honorary title; below standard, an improvement plan (coaching, training) comes
first, and demotion or transfer only when a later finalized cycle is still below standard.
Every decision names its grounds: the finalized evaluation (and the plan) it rests on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4, uuid5

from bizdev_common.domain import (
    Actor,
    Forbidden,
    Money,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_performance.domain.cycle import Evaluation
from bizdev_performance.domain.values import (
    NAMESPACE,
    EvaluationState,
    ImprovementMeasure,
    IncentiveKind,
    SanctionKind,
)

_FILES = uuid5(NAMESPACE, "performance-file")


@dataclass(frozen=True)
class Grounds:
    """A finalized evaluation a decision rests on, as the decision reads it."""

    evaluation_id: UUID
    cycle_id: UUID
    person: str
    score: Decimal | None
    below_standard: bool
    high_performer: bool
    last_day: date
    finalized_on: date

    @classmethod
    def of(cls, evaluation: Evaluation) -> Grounds:
        if evaluation.state is EvaluationState.OPEN:
            raise RuleViolation("cycle_id", "that evaluation is not finalized yet")
        assert evaluation.last_day is not None
        assert evaluation.finalized_on is not None
        return cls(
            evaluation.id,
            evaluation.cycle_id,
            evaluation.person,
            evaluation.score,
            evaluation.below_standard,
            evaluation.high_performer,
            evaluation.last_day,
            evaluation.finalized_on,
        )


class PerformanceFile(Aggregate):
    """One person's incentives, improvement plans and sanctions."""

    @staticmethod
    def create_id(user_id: str) -> UUID:
        return uuid5(_FILES, user_id)

    class Opened(Aggregate.Created):
        person: str

    @classmethod
    def open(cls, person: str) -> PerformanceFile:
        return cls._create(cls.Opened, id=cls.create_id(person), person=person)

    @event(Opened)
    def __init__(self, person: str) -> None:
        self.person = person
        self.plans: dict[UUID, dict[str, object]] = {}

    def _decide(self, actor: Actor, grounds: Grounds) -> None:
        require_acting(actor)
        require_role(actor, Role.HR)
        if actor.user_id == self.person:
            raise Forbidden("nobody decides on their own incentives or sanctions")
        if grounds.person != self.person:
            raise RuleViolation("cycle_id", f"that evaluation is not {self.person}'s")

    class IncentiveGranted(Aggregate.Event):
        by: str
        person: str
        department: str
        decision_id: UUID
        kind: str
        bonus: Money | None
        title: str | None
        reason: str
        cycle_id: UUID
        evaluation_id: UUID
        score: Decimal | None

    def grant_incentive(
        self,
        actor: Actor,
        grounds: Grounds,
        *,
        department: str,
        kind: IncentiveKind,
        reason: str,
        bonus: Money | None = None,
        title: str | None = None,
    ) -> UUID:
        """`title`: the honorary title, or the position promoted to."""
        self._decide(actor, grounds)
        require_text("reason", reason)
        if not grounds.high_performer:
            raise RuleViolation(
                "cycle_id", f"{self.person} did not reach the cycle's excellence score"
            )
        if kind is IncentiveKind.BONUS:
            if bonus is None or bonus.amount <= 0:
                raise RuleViolation("bonus", "a bonus is an amount of money more than zero")
        elif bonus is not None:
            raise RuleViolation("bonus", f"a {kind} carries no money")
        if kind in (IncentiveKind.HONORARY_TITLE, IncentiveKind.PROMOTION):
            require_text("title", title or "")
        decision_id = uuid4()
        self._grant(
            by=actor.user_id,
            person=self.person,
            department=department,
            decision_id=decision_id,
            kind=kind.value,
            bonus=bonus,
            title=title,
            reason=reason,
            cycle_id=grounds.cycle_id,
            evaluation_id=grounds.evaluation_id,
            score=grounds.score,
        )
        return decision_id

    @event(IncentiveGranted)
    def _grant(
        self, by: str, person: str, department: str,
        decision_id: UUID, kind: str, bonus: Money | None,
        title: str | None, reason: str, cycle_id: UUID, evaluation_id: UUID,
        score: Decimal | None,
    ) -> None:  # fmt: skip
        pass

    class ImprovementPlanStarted(Aggregate.Event):
        by: str
        person: str
        department: str
        plan_id: UUID
        measures: list[str]
        description: str
        until: date
        reason: str
        cycle_id: UUID
        evaluation_id: UUID
        score: Decimal | None
        started_on: date

    def start_improvement_plan(
        self,
        actor: Actor,
        grounds: Grounds,
        *,
        department: str,
        measures: Sequence[ImprovementMeasure],
        description: str,
        until: date,
        reason: str,
        today: date,
    ) -> UUID:
        self._decide(actor, grounds)
        require_text("reason", reason)
        require_text("description", description)
        if not grounds.below_standard:
            raise RuleViolation("cycle_id", f"{self.person} was not below standard in that cycle")
        if not measures:
            raise RuleViolation("measures", "coaching, training or both")
        if until <= today:
            raise RuleViolation("until", "a plan runs until a day after today")
        plan_id = uuid4()
        self._plan(
            by=actor.user_id,
            person=self.person,
            department=department,
            plan_id=plan_id,
            measures=sorted({m.value for m in measures}),
            description=description,
            until=until,
            reason=reason,
            cycle_id=grounds.cycle_id,
            evaluation_id=grounds.evaluation_id,
            score=grounds.score,
            started_on=today,
        )
        return plan_id

    @event(ImprovementPlanStarted)
    def _plan(
        self, by: str, person: str, department: str,
        plan_id: UUID, measures: list[str], description: str,
        until: date, reason: str, cycle_id: UUID, evaluation_id: UUID, score: Decimal | None,
        started_on: date,
    ) -> None:  # fmt: skip
        self.plans[plan_id] = {"cycle_id": cycle_id, "started_on": started_on}

    class SanctionApplied(Aggregate.Event):
        by: str
        person: str
        department: str
        decision_id: UUID
        kind: str
        reason: str
        plan_id: UUID
        cycle_id: UUID
        evaluation_id: UUID
        score: Decimal | None

    def apply_sanction(
        self,
        actor: Actor,
        grounds: Grounds,
        *,
        department: str,
        kind: SanctionKind,
        plan_id: UUID,
        plan_grounds_last_day: date,
        reason: str,
    ) -> UUID:
        """Demotion or transfer: refused unless an improvement plan was in place and a cycle
        later than the one that started it, finalized after it started, is still below
        standard. `plan_grounds_last_day`: the last day of the plan's own cycle."""
        self._decide(actor, grounds)
        require_text("reason", reason)
        plan = self.plans.get(plan_id)
        if plan is None:
            raise RuleViolation(
                "plan_id", f"a {kind} needs an improvement plan of {self.person}'s first"
            )
        started_on = plan["started_on"]
        assert isinstance(started_on, date)
        if grounds.last_day <= plan_grounds_last_day or grounds.finalized_on < started_on:
            raise RuleViolation(
                "cycle_id", "the grounds are a cycle later than the plan's, finalized after it"
            )
        if not grounds.below_standard:
            raise RuleViolation(
                "cycle_id", f"{self.person} was not below standard in that later cycle"
            )
        decision_id = uuid4()
        self._sanction(
            by=actor.user_id,
            person=self.person,
            department=department,
            decision_id=decision_id,
            kind=kind.value,
            reason=reason,
            plan_id=plan_id,
            cycle_id=grounds.cycle_id,
            evaluation_id=grounds.evaluation_id,
            score=grounds.score,
        )
        return decision_id

    @event(SanctionApplied)
    def _sanction(
        self, by: str, person: str, department: str,
        decision_id: UUID, kind: str, reason: str, plan_id: UUID,
        cycle_id: UUID, evaluation_id: UUID, score: Decimal | None,
    ) -> None:  # fmt: skip
        pass

    def plan_cycle(self, plan_id: UUID) -> UUID:
        plan = self.plans.get(plan_id)
        if plan is None:
            raise RuleViolation("plan_id", f"no improvement plan {plan_id} of {self.person}'s")
        cycle_id = plan["cycle_id"]
        assert isinstance(cycle_id, UUID)
        return cycle_id
