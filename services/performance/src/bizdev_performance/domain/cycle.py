"""Evaluation cycles (REGULATIONS 8.2, 8.3): hr opens a monthly, quarterly or annual cycle for
a population, with its dates and weights fixed; each person's evaluation collects ratings by
the raters the organisation relates to them, is scored and frozen when hr finalizes the cycle,
then carries the feedback to the person, who acknowledges it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4, uuid5

from bizdev_common.days import decided_in_utc, end_of, zone_name
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_performance.domain.scoring import Rating, score
from bizdev_performance.domain.values import (
    NAMESPACE,
    CycleKind,
    EvaluationState,
    Relation,
    period_bounds,
    period_kind,
)

_EVALUATIONS = uuid5(NAMESPACE, "evaluation")
ACKNOWLEDGE_DAYS = 7
"""The person acknowledges feedback within a week of its delivery, or of its due day if it
came early."""
STEP_FEEDBACK = "feedback"
STEP_ACKNOWLEDGEMENT = "acknowledgement"


@dataclass(frozen=True)
class Participant:
    """One person of a cycle's population as the organisation stood at its opening: who may
    rate them (user id -> relation) and the customers they dealt with (whose ratings hr or
    their supervisor records)."""

    user_id: str
    department: str
    supervisor: str | None
    raters: Mapping[str, Relation] = field(default_factory=dict)
    customers: Sequence[str] = ()


class Cycle(Aggregate):
    """A cycle: its population, dates, weights and standards are fixed when it opens."""

    class Opened(Aggregate.Created):
        by: str
        name: str
        kind: str
        period: str
        first_day: date
        last_day: date
        ratings_due: date
        finalize_due: date
        feedback_due: date
        weights: dict[str, Decimal]
        ratings_weight: Decimal
        standard: Decimal
        excellence: Decimal
        population: list[str]

    @classmethod
    def open(
        cls,
        actor: Actor,
        *,
        name: str,
        kind: CycleKind,
        period: str,
        ratings_due: date,
        finalize_due: date,
        feedback_due: date,
        weights: Mapping[str, Decimal],
        ratings_weight: Decimal,
        standard: Decimal,
        excellence: Decimal,
        population: Sequence[Participant],
    ) -> tuple[Cycle, list[Evaluation]]:
        """Opens the cycle and one evaluation per person of its population."""
        require_acting(actor)
        require_role(actor, Role.HR)
        require_text("name", name)
        if period_kind(period) is not kind:
            raise RuleViolation("period", f"a {kind} cycle's period is of that kind")
        first, last = period_bounds(period)
        if not first <= ratings_due <= finalize_due <= feedback_due:
            raise RuleViolation(
                "ratings_due",
                "the period's first day <= ratings_due <= finalize_due <= feedback_due",
            )
        if any(w <= 0 for w in weights.values()) or ratings_weight < 0:
            raise RuleViolation("weights", "each indicator's weight is more than zero")
        if sum(weights.values(), Decimal(0)) + ratings_weight != 100:
            raise RuleViolation("weights", "the weights and ratings_weight add up to 100")
        if not Decimal(0) <= standard <= excellence <= Decimal(150):
            raise RuleViolation("standard", "0 <= standard <= excellence <= 150")
        users = [p.user_id for p in population]
        if not users:
            raise RuleViolation("population", "a cycle evaluates at least one person")
        if len(set(users)) != len(users):
            raise RuleViolation("population", "each person once")
        if actor.user_id in users:
            raise Forbidden("nobody in hr opens a cycle that evaluates themself")
        cycle = cls._create(
            cls.Opened,
            id=uuid4(),
            by=actor.user_id,
            name=name,
            kind=kind.value,
            period=period,
            first_day=first,
            last_day=last,
            ratings_due=ratings_due,
            finalize_due=finalize_due,
            feedback_due=feedback_due,
            weights=dict(weights),
            ratings_weight=ratings_weight,
            standard=standard,
            excellence=excellence,
            population=users,
        )
        evaluations = [Evaluation.open(cycle, p) for p in population]
        return cycle, evaluations

    @event(Opened)
    def __init__(
        self, by: str, name: str, kind: str, period: str, first_day: date, last_day: date,
        ratings_due: date, finalize_due: date, feedback_due: date, weights: dict[str, Decimal],
        ratings_weight: Decimal, standard: Decimal, excellence: Decimal, population: list[str],
    ) -> None:  # fmt: skip
        self.name = name
        self.kind = CycleKind(kind)
        self.period = period
        self.first_day = first_day
        self.last_day = last_day
        self.ratings_due = ratings_due
        self.finalize_due = finalize_due
        self.feedback_due = feedback_due
        self.weights = dict(weights)
        self.ratings_weight = ratings_weight
        self.standard = standard
        self.excellence = excellence
        self.population = list(population)
        self.finalized = False

    class Finalized(Aggregate.Event):
        by: str
        period: str
        evaluated: int
        below_standard: int
        high_performers: int

    def finalize(
        self,
        actor: Actor,
        evaluations: Sequence[Evaluation],
        attainments: Mapping[str, Mapping[str, Decimal | None]],
        today: date,
    ) -> None:
        """Scores every evaluation from the attainments (per person, per indicator id) and its
        ratings, and freezes them all, once the period is over."""
        require_acting(actor)
        require_role(actor, Role.HR)
        if self.finalized:
            raise InvalidTransition("the cycle is finalized: its scores are frozen")
        if today <= self.last_day:
            raise InvalidTransition(f"the period runs until {self.last_day}")
        if actor.user_id in self.population:
            raise Forbidden("nobody in hr finalizes a cycle that evaluates themself")
        if sorted(e.person for e in evaluations) != sorted(self.population):
            raise RuleViolation("population", "every evaluation of the cycle is finalized")
        for evaluation in evaluations:
            evaluation.finalize(self, attainments.get(evaluation.person, {}), today)
        self._finalize(
            by=actor.user_id,
            period=self.period,
            evaluated=len(evaluations),
            below_standard=sum(1 for e in evaluations if e.below_standard),
            high_performers=sum(1 for e in evaluations if e.high_performer),
        )

    @event(Finalized)
    def _finalize(
        self, by: str, period: str, evaluated: int, below_standard: int, high_performers: int
    ) -> None:
        self.finalized = True


class Evaluation(Aggregate):
    """One person's evaluation in one cycle."""

    @staticmethod
    def create_id(cycle_id: UUID, user_id: str) -> UUID:
        return uuid5(_EVALUATIONS, f"{cycle_id}/{user_id}")

    class Opened(Aggregate.Created):
        cycle_id: UUID
        cycle_kind: str
        period: str
        person: str
        department: str
        supervisor: str | None
        raters: dict[str, str]
        customers: list[str]
        ratings_due: date
        feedback_due: date

    @classmethod
    def open(cls, cycle: Cycle, p: Participant) -> Evaluation:
        if p.user_id in p.raters:
            raise RuleViolation("population", f"{p.user_id} cannot rate themself")
        return cls._create(
            cls.Opened,
            id=cls.create_id(cycle.id, p.user_id),
            cycle_id=cycle.id,
            cycle_kind=cycle.kind.value,
            period=cycle.period,
            person=p.user_id,
            department=p.department,
            supervisor=p.supervisor,
            raters={u: r.value for u, r in p.raters.items()},
            customers=list(p.customers),
            ratings_due=cycle.ratings_due,
            feedback_due=cycle.feedback_due,
        )

    @event(Opened)
    def __init__(
        self, cycle_id: UUID, cycle_kind: str, period: str, person: str, department: str,
        supervisor: str | None, raters: dict[str, str], customers: list[str], ratings_due: date,
        feedback_due: date,
    ) -> None:  # fmt: skip
        self.cycle_id = cycle_id
        self.period = period
        self.person = person
        self.department = department
        self.supervisor = supervisor
        self.raters = {u: Relation(r) for u, r in raters.items()}
        self.customers = list(customers)
        self.ratings_due = ratings_due
        self.feedback_due = feedback_due
        self.state = EvaluationState.OPEN
        self.ratings: dict[str, dict[str, Any]] = {}
        self.score: Decimal | None = None
        self.below_standard = False
        self.high_performer = False
        self.overdue: set[str] = set()
        self.finalized_on: date | None = None
        self.last_day: date | None = None
        self.feedback: dict[str, str] | None = None
        self.acknowledge_by: date | None = None

    class Rated(Aggregate.Event):
        by: str
        cycle_id: UUID
        person: str
        rater: str
        relation: str
        customer_id: str | None
        attitude: int
        collaboration: int
        innovation: int
        comments: str

    def rate(
        self,
        actor: Actor,
        *,
        attitude: int,
        collaboration: int,
        innovation: int,
        comments: str,
        customer_id: str | None = None,
    ) -> None:
        """The actor rates the person; with `customer_id`, hr or the person's supervisor
        records what that customer said of them. A rater never rates themself and only
        raters the organisation relates to the person rate; each once per cycle."""
        require_acting(actor)
        if self.state is not EvaluationState.OPEN:
            raise InvalidTransition("the evaluation is finalized: its ratings are frozen")
        if actor.user_id == self.person:
            raise Forbidden("nobody rates themself")
        for name, value in (
            ("attitude", attitude),
            ("collaboration", collaboration),
            ("innovation", innovation),
        ):
            if not 1 <= value <= 5:
                raise RuleViolation(name, f"{name} is rated 1 to 5")
        if customer_id is None:
            rater = actor.user_id
            relation = self.raters.get(rater)
            if relation is None:
                raise Forbidden(
                    f"{rater} is not related to {self.person} by the organisation "
                    "(supervisor, peer or subordinate) and may not rate them"
                )
        else:
            if not (actor.has(Role.HR) or actor.user_id == self.supervisor):
                raise Forbidden("a customer's rating is recorded by hr or the supervisor")
            if customer_id not in self.customers:
                raise Forbidden(f"customer {customer_id} had no dealings with {self.person}")
            rater, relation = f"customer:{customer_id}", Relation.CUSTOMER
        if rater in self.ratings:
            raise InvalidTransition(f"{rater} has rated {self.person} in this cycle")
        self._rate(
            by=actor.user_id,
            cycle_id=self.cycle_id,
            person=self.person,
            rater=rater,
            relation=relation.value,
            customer_id=customer_id,
            attitude=attitude,
            collaboration=collaboration,
            innovation=innovation,
            comments=comments,
        )

    @event(Rated)
    def _rate(
        self, by: str, cycle_id: UUID, person: str, rater: str, relation: str,
        customer_id: str | None, attitude: int, collaboration: int, innovation: int,
        comments: str,
    ) -> None:  # fmt: skip
        self.ratings[rater] = {
            "relation": relation,
            "attitude": attitude,
            "collaboration": collaboration,
            "innovation": innovation,
            "comments": comments,
            "recorded_by": by,
        }

    class Finalized(Aggregate.Event):
        cycle_id: UUID
        period: str
        person: str
        department: str
        score: Decimal | None
        quantitative: Decimal | None
        qualitative: Decimal | None
        attainments: dict[str, Decimal | None]
        weights: dict[str, Decimal]
        ratings_weight: Decimal
        ratings: int
        standard: Decimal
        excellence: Decimal
        below_standard: bool
        high_performer: bool
        finalized_on: date
        last_day: date

    def finalize(
        self, cycle: Cycle, attainments: Mapping[str, Decimal | None], today: date
    ) -> None:
        """Called by the cycle only: scored with the cycle's weights, then frozen."""
        if self.state is not EvaluationState.OPEN:
            raise InvalidTransition("the evaluation is finalized: its score is frozen")
        ratings = [
            Rating(r["attitude"], r["collaboration"], r["innovation"])
            for r in self.ratings.values()
        ]
        kept = {k: attainments.get(k) for k in cycle.weights}
        result = score(cycle.weights, cycle.ratings_weight, kept, ratings)
        below = result.score is not None and result.score < cycle.standard
        high = result.score is not None and result.score >= cycle.excellence
        self._finalize(
            cycle_id=self.cycle_id,
            period=self.period,
            person=self.person,
            department=self.department,
            score=result.score,
            quantitative=result.quantitative,
            qualitative=result.qualitative,
            attainments=kept,
            weights=dict(cycle.weights),
            ratings_weight=cycle.ratings_weight,
            ratings=len(ratings),
            standard=cycle.standard,
            excellence=cycle.excellence,
            below_standard=below,
            high_performer=high,
            finalized_on=today,
            last_day=cycle.last_day,
        )

    @event(Finalized)
    def _finalize(
        self, cycle_id: UUID, period: str, person: str, department: str, score: Decimal | None,
        quantitative: Decimal | None, qualitative: Decimal | None,
        attainments: dict[str, Decimal | None], weights: dict[str, Decimal],
        ratings_weight: Decimal, ratings: int, standard: Decimal, excellence: Decimal,
        below_standard: bool, high_performer: bool, finalized_on: date, last_day: date,
    ) -> None:  # fmt: skip
        self.state = EvaluationState.FINALIZED
        self.score = score
        self.quantitative = quantitative
        self.qualitative = qualitative
        self.attainments = dict(attainments)
        self.standard = standard
        self.below_standard = below_standard
        self.high_performer = high_performer
        self.finalized_on = finalized_on
        self.last_day = last_day

    class FeedbackDelivered(Aggregate.Event):
        by: str
        cycle_id: UUID
        person: str
        strengths: str
        gaps: str
        suggestions: str
        acknowledge_by: date

    def deliver_feedback(
        self, actor: Actor, *, strengths: str, gaps: str, suggestions: str, today: date
    ) -> None:
        """The person's supervisor (or hr) feeds the frozen result back (REGULATIONS 8.3)."""
        require_acting(actor)
        if not (actor.user_id == self.supervisor or actor.has(Role.HR)):
            raise Forbidden("feedback is delivered by the person's supervisor or hr")
        if actor.user_id == self.person:
            raise Forbidden("nobody delivers feedback on themself")
        if self.state is EvaluationState.OPEN:
            raise InvalidTransition("feedback follows the finalized result")
        if self.state is not EvaluationState.FINALIZED:
            raise InvalidTransition("the feedback is delivered")
        for name, value in (("strengths", strengths), ("gaps", gaps), ("suggestions", suggestions)):
            require_text(name, value)
        self._deliver(
            by=actor.user_id,
            cycle_id=self.cycle_id,
            person=self.person,
            strengths=strengths,
            gaps=gaps,
            suggestions=suggestions,
            acknowledge_by=max(today, self.feedback_due) + timedelta(days=ACKNOWLEDGE_DAYS),
        )

    @event(FeedbackDelivered)
    def _deliver(
        self, by: str, cycle_id: UUID, person: str, strengths: str, gaps: str, suggestions: str,
        acknowledge_by: date,
    ) -> None:  # fmt: skip
        self.state = EvaluationState.FEEDBACK_DELIVERED
        self.acknowledge_by = acknowledge_by
        self.feedback = {"strengths": strengths, "gaps": gaps, "suggestions": suggestions}

    class FeedbackAcknowledged(Aggregate.Event):
        by: str
        cycle_id: UUID
        person: str
        comment: str

    def acknowledge(self, actor: Actor, comment: str) -> None:
        require_acting(actor)
        if actor.user_id != self.person:
            raise Forbidden("only the person evaluated acknowledges the feedback")
        if self.state is not EvaluationState.FEEDBACK_DELIVERED:
            raise InvalidTransition(
                "there is no feedback to acknowledge"
                if self.state is not EvaluationState.ACKNOWLEDGED
                else "the feedback is acknowledged"
            )
        self._acknowledge(
            by=actor.user_id, cycle_id=self.cycle_id, person=self.person, comment=comment
        )

    @event(FeedbackAcknowledged)
    def _acknowledge(self, by: str, cycle_id: UUID, person: str, comment: str) -> None:
        self.state = EvaluationState.ACKNOWLEDGED

    class StepOverdue(Aggregate.Event):
        class_version = 2
        cycle_id: UUID
        person: str
        step: str
        due_on: date
        waiting_on: str | None
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    def step_overdue(self, step: str, now: datetime) -> None:
        """The deadline check: feedback not delivered, or not acknowledged, when its day is
        over; once per step."""
        if step in self.overdue:
            raise InvalidTransition(f"the {step} is already reported overdue")
        if step == STEP_FEEDBACK:
            due = self.feedback_due
            pending = self.state in (EvaluationState.OPEN, EvaluationState.FINALIZED)
            waiting_on = self.supervisor
        elif step == STEP_ACKNOWLEDGEMENT:
            # Armed when the feedback is delivered: the person waits on nobody before.
            due = self.acknowledge_by or self.feedback_due
            pending = self.state is EvaluationState.FEEDBACK_DELIVERED
            waiting_on = self.person
        else:
            raise RuleViolation("step", f"no step {step}")
        if not pending:
            raise InvalidTransition(f"the {step} is done")
        if now < end_of(due):
            raise InvalidTransition(f"the {step} is due on {due}")
        self._overdue(
            cycle_id=self.cycle_id,
            person=self.person,
            step=step,
            due_on=due,
            waiting_on=waiting_on,
            time_zone=zone_name(),
        )

    @event(StepOverdue)
    def _overdue(
        self,
        cycle_id: UUID,
        person: str,
        step: str,
        due_on: date,
        waiting_on: str | None,
        time_zone: str,
    ) -> None:
        self.overdue.add(step)
