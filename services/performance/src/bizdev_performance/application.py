"""The performance service's commands: load, decide (the records do), save."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from bizdev_common.days import company_day
from bizdev_common.domain import Actor, InvalidTransition, Money, NotFound, RuleViolation
from bizdev_common.eventstore import CommandResult, ServiceApplication
from bizdev_common.scheduler import clock_for
from eventsourcing.persistence import DecimalAsStr, JSONTranscoder

from bizdev_performance.domain import (
    Cycle,
    Department,
    Evaluation,
    Grounds,
    Indicator,
    MarketShare,
    Participant,
    PerformanceFile,
    Person,
    Target,
)
from bizdev_performance.domain.values import (
    CycleKind,
    Direction,
    ImprovementMeasure,
    IncentiveKind,
    IndicatorKind,
    Measure,
    SanctionKind,
    SubjectKind,
)
from bizdev_performance.settings import PerformanceSettings

CHAIN_LIMIT = 64
"""No supervisor chain is deeper; a longer one is refused as if it looped."""


class PerformanceApplication(ServiceApplication):
    name = "performance"

    def __init__(self, settings: PerformanceSettings) -> None:
        super().__init__(settings)
        self.settings: PerformanceSettings = settings
        self.clock = clock_for(settings)

    def today(self) -> date:
        return company_day(self.clock.now())

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DecimalAsStr())  # weights, targets and scores, exactly

    # --- the organisation -------------------------------------------------------------------

    def person(self, user_id: str) -> Person | None:
        return self.find(Person, Person.create_id(user_id))

    def _known(self, field: str, user_id: str) -> Person:
        person = self.person(user_id)
        if person is None or person.left_on is not None:
            raise RuleViolation(field, f"{user_id} is not a person of the organisation")
        return person

    def chain_of(self, user_id: str) -> list[str]:
        """The supervisors above `user_id`, nearest first."""
        chain: list[str] = []
        person = self.person(user_id)
        while person is not None and person.supervisor is not None:
            if person.supervisor in chain or len(chain) >= CHAIN_LIMIT:
                break
            chain.append(person.supervisor)
            person = self.person(person.supervisor)
        return chain

    def join(
        self,
        actor: Actor,
        *,
        user_id: str,
        name: str,
        department: str,
        position: str,
        supervisor: str | None,
        joined_on: date,
    ) -> CommandResult:
        if self.person(user_id) is not None:
            raise InvalidTransition(f"{user_id} is a person of the organisation already")
        if supervisor is not None:
            self._known("supervisor", supervisor)
        person = Person.join(
            actor,
            user_id=user_id,
            name=name,
            department=department,
            position=position,
            supervisor=supervisor,
            joined_on=joined_on,
        )
        return self.commit(person)

    def assign_supervisor(
        self, actor: Actor, person_id: UUID, expected_version: int | None, supervisor: str
    ) -> CommandResult:
        person = self.load(Person, person_id, expected_version)
        self._known("supervisor", supervisor)
        chain = [supervisor, *self.chain_of(supervisor)]
        if len(chain) > CHAIN_LIMIT:
            raise RuleViolation("supervisor", "the supervisor chain is too deep")
        person.assign_supervisor(actor, supervisor, chain)
        return self.commit(person)

    def appoint_head(self, actor: Actor, department: str, head: str) -> CommandResult:
        self._known("head", head)
        found = self.find(Department, Department.create_id(department))
        if found is None:
            return self.commit(Department.establish(actor, department, head))
        found.appoint_head(actor, head)
        return self.commit(found)

    # --- indicators and targets -------------------------------------------------------------

    def define_indicator(
        self,
        actor: Actor,
        *,
        name: str,
        kind: IndicatorKind,
        measure: Measure | None,
        unit: str,
        direction: Direction,
        description: str,
    ) -> CommandResult:
        indicator = Indicator.define(
            actor,
            name=name,
            kind=kind,
            measure=measure,
            unit=unit,
            direction=direction,
            description=description,
        )
        return self.commit(indicator)

    def indicator(self, indicator_id: UUID, field: str = "indicator_id") -> Indicator:
        found = self.find(Indicator, indicator_id)
        if found is None:
            raise RuleViolation(field, f"no indicator {indicator_id}")
        return found

    def set_target(
        self,
        actor: Actor,
        *,
        indicator_id: UUID,
        subject_kind: SubjectKind,
        subject: str,
        subject_department: str | None,
        period: str,
        value: Decimal,
        basis: str,
        reason: str | None,
    ) -> CommandResult:
        """Sets the target, or revises the one set before (with a reason)."""
        indicator = self.indicator(indicator_id)
        if subject_kind is SubjectKind.PERSON:
            subject_department = self._known("subject", subject).department
        elif subject_kind is SubjectKind.DEPARTMENT:
            subject_department = subject
        existing = self.find(Target, Target.create_id(indicator_id, subject_kind, subject, period))
        if existing is None:
            target = Target.set(
                actor,
                indicator,
                subject_kind=subject_kind,
                subject=subject,
                subject_department=subject_department,
                period=period,
                value=value,
                basis=basis,
            )
            return self.commit(target)
        if reason is None:
            raise RuleViolation("reason", "a target set before is revised with a reason")
        existing.revise(actor, indicator, value=value, basis=basis, reason=reason)
        return self.commit(existing)

    def record_market_share(
        self,
        actor: Actor,
        *,
        subject_kind: SubjectKind,
        subject: str,
        period: str,
        percent: Decimal,
        source: str,
    ) -> CommandResult:
        share = self.find(MarketShare, MarketShare.create_id(subject_kind, subject, period))
        if share is None:
            share = MarketShare.open(subject_kind, subject, period)
        share.record(actor, percent, source)
        return self.commit(share)

    # --- cycles -----------------------------------------------------------------------------

    def open_cycle(
        self,
        actor: Actor,
        *,
        name: str,
        kind: CycleKind,
        period: str,
        ratings_due: date,
        finalize_due: date,
        feedback_due: date,
        weights: Mapping[UUID, Decimal],
        ratings_weight: Decimal,
        standard: Decimal,
        excellence: Decimal,
        population: Sequence[Participant],
    ) -> CommandResult:
        """`population`: each person with the raters and customers the organisation relates
        to them now (the API reads them from the organisation's views)."""
        for indicator_id in weights:
            self.indicator(indicator_id, "weights")
        for p in population:
            self._known("population", p.user_id)
        cycle, evaluations = Cycle.open(
            actor,
            name=name,
            kind=kind,
            period=period,
            ratings_due=ratings_due,
            finalize_due=finalize_due,
            feedback_due=feedback_due,
            weights={str(k): v for k, v in weights.items()},
            ratings_weight=ratings_weight,
            standard=standard,
            excellence=excellence,
            population=population,
        )
        return self.commit(cycle, *evaluations)

    def cycle(self, cycle_id: UUID) -> Cycle:
        return self.load(Cycle, cycle_id)

    def finalize_cycle(
        self,
        actor: Actor,
        cycle_id: UUID,
        expected_version: int | None,
        attainments: Mapping[str, Mapping[str, Decimal | None]],
    ) -> CommandResult:
        """`attainments`: per person, per indicator id, as the attainment views show them now
        (the API reads them); frozen into each evaluation."""
        cycle = self.load(Cycle, cycle_id, expected_version)
        evaluations = [
            self.load(Evaluation, Evaluation.create_id(cycle.id, u)) for u in cycle.population
        ]
        cycle.finalize(actor, evaluations, attainments, self.today())
        return self.commit(cycle, *evaluations)

    def deliver_feedback(
        self,
        actor: Actor,
        evaluation_id: UUID,
        expected_version: int | None,
        *,
        strengths: str,
        gaps: str,
        suggestions: str,
    ) -> CommandResult:
        evaluation = self.load(Evaluation, evaluation_id, expected_version)
        evaluation.deliver_feedback(
            actor, strengths=strengths, gaps=gaps, suggestions=suggestions, today=self.today()
        )
        return self.commit(evaluation)

    # --- incentives and sanctions -----------------------------------------------------------

    def _grounds(self, person: str, cycle_id: UUID) -> Grounds:
        evaluation = self.find(Evaluation, Evaluation.create_id(cycle_id, person))
        if evaluation is None:
            raise RuleViolation("cycle_id", f"{person} was not evaluated in cycle {cycle_id}")
        return Grounds.of(evaluation)

    def _file(self, person: str) -> tuple[PerformanceFile, str]:
        """The person's file, and their department now (the decision's, for need to know)."""
        department = self._known("person", person).department
        found = self.find(PerformanceFile, PerformanceFile.create_id(person))
        return (found if found is not None else PerformanceFile.open(person)), department

    def grant_incentive(
        self,
        actor: Actor,
        *,
        person: str,
        cycle_id: UUID,
        kind: IncentiveKind,
        reason: str,
        bonus: Money | None,
        title: str | None,
    ) -> tuple[CommandResult, UUID]:
        file, department = self._file(person)
        decision = file.grant_incentive(
            actor,
            self._grounds(person, cycle_id),
            department=department,
            kind=kind,
            reason=reason,
            bonus=bonus,
            title=title,
        )
        return self.commit(file), decision

    def start_improvement_plan(
        self,
        actor: Actor,
        *,
        person: str,
        cycle_id: UUID,
        measures: Sequence[ImprovementMeasure],
        description: str,
        until: date,
        reason: str,
    ) -> tuple[CommandResult, UUID]:
        file, department = self._file(person)
        plan = file.start_improvement_plan(
            actor,
            self._grounds(person, cycle_id),
            department=department,
            measures=measures,
            description=description,
            until=until,
            reason=reason,
            today=self.today(),
        )
        return self.commit(file), plan

    def apply_sanction(
        self,
        actor: Actor,
        *,
        person: str,
        cycle_id: UUID,
        plan_id: UUID,
        kind: SanctionKind,
        reason: str,
    ) -> tuple[CommandResult, UUID]:
        file, department = self._file(person)
        plan_cycle = self.find(Cycle, file.plan_cycle(plan_id)) if file.plans else None
        if plan_cycle is None:
            raise RuleViolation(
                "plan_id", f"a {kind} needs an improvement plan of {person}'s first"
            )
        decision = file.apply_sanction(
            actor,
            self._grounds(person, cycle_id),
            department=department,
            kind=kind,
            plan_id=plan_id,
            plan_grounds_last_day=plan_cycle.last_day,
            reason=reason,
        )
        return self.commit(file), decision

    # --- lead rewards -----------------------------------------------------------------------

    def evaluation(self, evaluation_id: UUID) -> Evaluation:
        found = self.find(Evaluation, evaluation_id)
        if found is None:
            raise NotFound(f"no evaluation {evaluation_id}")
        return found
