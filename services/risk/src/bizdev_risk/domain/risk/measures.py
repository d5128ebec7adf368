"""The measures of a risk's response (REGULATIONS 5.2): each with a responsible department and
person and a due date, reviewed on a cadence set by the risk's level, flagged when its due
date or a review's due time passes.

These are the commands of the Risk aggregate about its measures; their events, and what
each changes, are declared in the Risk class itself, because the library names a stored
event by the class that declares it (`bizdev_risk.domain.risk:Risk.MeasureAdded`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol
from uuid import UUID

from bizdev_common.days import company_day, end_of, zone_name
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_text,
)

from bizdev_risk.domain.matrix import Level
from bizdev_risk.domain.values import Cadence, Measure, RiskState, Strategy


class RiskOfMeasures(Protocol):
    """What the measures' commands use of their Risk: its state and response, and the
    methods that apply its measures' events."""

    state: RiskState
    strategy: Strategy | None
    measures: dict[UUID, Measure]

    @property
    def level(self) -> Level | None: ...

    def _require_open(self) -> None: ...

    def _require_responder(self, actor: Actor) -> None: ...

    def _measure_added(
        self,
        by: str,
        measure_id: UUID,
        description: str,
        department: str,
        person: str,
        due_on: date,
        next_review_at: datetime,
    ) -> None: ...

    def _reviewed(
        self, by: str, measure_id: UUID, effective: bool, note: str, next_review_at: datetime
    ) -> None: ...

    def _completed(self, by: str, measure_id: UUID, note: str, late: bool) -> None: ...

    def _measure_overdue(
        self, measure_id: UUID, person: str, department: str, due_on: date, time_zone: str
    ) -> None: ...

    def _review_overdue(self, measure_id: UUID, department: str, due_at: datetime) -> None: ...


class Measures:
    """What a risk does with its measures (mixed into Risk)."""

    def add_measure(
        self: RiskOfMeasures,
        actor: Actor,
        measure_id: UUID,
        *,
        description: str,
        department: str,
        person: str,
        due_on: date,
        now: datetime,
        cadence: Cadence,
    ) -> None:
        """A measure of the response: a responsible department and person and a due date;
        its first review is due a cadence after it is added."""
        require_acting(actor)
        self._require_responder(actor)
        self._require_open()
        if self.strategy is None:
            raise InvalidTransition("plan the response before adding its measures")
        for name, text in (
            ("description", description),
            ("department", department),
            ("person", person),
        ):
            require_text(name, text)
        if due_on < company_day(now):
            raise RuleViolation("due_on", f"a measure is due today ({company_day(now)}) or later")
        self._measure_added(
            by=actor.user_id,
            measure_id=measure_id,
            description=description,
            department=department,
            person=person,
            due_on=due_on,
            next_review_at=now + timedelta(days=_cadence(self, cadence)),
        )

    def review_measure(
        self: RiskOfMeasures,
        actor: Actor,
        measure_id: UUID,
        *,
        effective: bool,
        note: str,
        now: datetime,
        cadence: Cadence,
    ) -> None:
        """The periodic review of a measure (5.2), by the risk officer or the head of the
        measure's department; the next is due a cadence (by the risk's level) later. A review
        that finds it ineffective is the reason to change the strategy."""
        require_acting(actor)
        measure = _measure(self, measure_id)
        if not (actor.has(Role.RISK_OFFICER) or actor.is_head_of(measure.department)):
            raise Forbidden(
                "a measure is reviewed by the risk officer or the head of its department"
            )
        self._require_open()
        if measure.completed:
            raise InvalidTransition("the measure is completed")
        require_text("note", note)
        self._reviewed(
            by=actor.user_id,
            measure_id=measure_id,
            effective=effective,
            note=note,
            next_review_at=now + timedelta(days=_cadence(self, cadence)),
        )

    def complete_measure(
        self: RiskOfMeasures, actor: Actor, measure_id: UUID, note: str, now: datetime
    ) -> None:
        """The responsible person, or the risk officer, reports the measure done."""
        require_acting(actor)
        measure = _measure(self, measure_id)
        if not (actor.has(Role.RISK_OFFICER) or actor.user_id == measure.person):
            raise Forbidden("a measure is completed by its responsible person or the risk officer")
        self._require_open()
        if measure.completed:
            raise InvalidTransition("the measure is already completed")
        self._completed(
            by=actor.user_id,
            measure_id=measure_id,
            note=note,
            late=now >= end_of(measure.due_on),
        )

    def measure_overdue(self: RiskOfMeasures, measure_id: UUID, now: datetime) -> None:
        """The deadline check: a measure not completed when its due date is over, once."""
        measure = _measure(self, measure_id)
        if self.state != RiskState.OPEN or measure.completed:
            raise InvalidTransition("the measure is completed or its risk closed")
        if measure.overdue_flagged:
            raise InvalidTransition("the measure is already flagged overdue")
        if now < end_of(measure.due_on):
            raise InvalidTransition(f"the measure is due on {measure.due_on}")
        self._measure_overdue(
            measure_id=measure_id,
            person=measure.person,
            department=measure.department,
            due_on=measure.due_on,
            time_zone=zone_name(),
        )

    def review_overdue(self: RiskOfMeasures, measure_id: UUID, now: datetime) -> None:
        """The deadline check: a review not held by its due time, flagged once per due time."""
        measure = _measure(self, measure_id)
        if self.state != RiskState.OPEN or measure.completed:
            raise InvalidTransition("the measure is completed or its risk closed")
        if measure.review_flagged_for == measure.next_review_at:
            raise InvalidTransition("this review is already flagged overdue")
        if now < measure.next_review_at:
            raise InvalidTransition(f"the review is due at {measure.next_review_at}")
        self._review_overdue(
            measure_id=measure_id, department=measure.department, due_at=measure.next_review_at
        )


def _cadence(risk: RiskOfMeasures, cadence: Cadence) -> int:
    return cadence[risk.level or Level.LOW]


def _measure(risk: RiskOfMeasures, measure_id: UUID) -> Measure:
    found = risk.measures.get(measure_id)
    if found is None:
        raise RuleViolation("measure_id", f"no measure {measure_id} on this risk")
    return found
