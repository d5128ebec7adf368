"""Periodic identification (REGULATIONS 5.1, Chinese 5.1.1 「業務部門應定期對…風險進行識別」):
the risk officer opens a round for a period and asks departments; each department's head
submits the risks the department identified, or declares it has none, by the due date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from bizdev_common.days import decided_in_utc, end_of, zone_name
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    RuleViolation,
    require_acting,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_risk.domain.values import require_risk_officer


class IdentificationRound(Aggregate):
    class Opened(Aggregate.Created):
        by: str
        period_start: date
        period_end: date
        departments: list[str]
        due_on: date

    @classmethod
    def open(
        cls,
        actor: Actor,
        *,
        period_start: date,
        period_end: date,
        departments: Sequence[str],
        due_on: date,
        today: date,
    ) -> IdentificationRound:
        require_risk_officer(actor)
        if period_end < period_start:
            raise RuleViolation("period_end", "a period ends on or after its start")
        asked = list(dict.fromkeys(departments))
        if not asked:
            raise RuleViolation("departments", "a round asks at least one department")
        for n, d in enumerate(asked):
            require_text(f"departments.{n}", d)
        if due_on < today:
            raise RuleViolation("due_on", f"a round is due today ({today}) or later")
        return cls(
            by=actor.user_id,
            period_start=period_start,
            period_end=period_end,
            departments=asked,
            due_on=due_on,
        )

    @event(Opened)
    def __init__(
        self, by: str, period_start: date, period_end: date, departments: list[str], due_on: date
    ) -> None:
        self.departments = list(departments)
        self.due_on = due_on
        self.submitted: set[str] = set()
        self.overdue_flagged: set[str] = set()

    def _asked(self, department: str) -> None:
        if department not in self.departments:
            raise RuleViolation("department", f"the round does not ask {department}")

    class Submitted(Aggregate.Event):
        by: str
        department: str
        risk_ids: list[UUID]
        declared_none: bool
        late: bool

    def submit(
        self,
        actor: Actor,
        department: str,
        risk_ids: Sequence[UUID],
        declared_none: bool,
        now: datetime,
    ) -> None:
        """The department's head submits its identified risks (of that department, checked
        by the application), or declares none; once."""
        require_acting(actor)
        self._asked(department)
        if not actor.is_head_of(department):
            raise Forbidden(f"the head of {department} submits its identification")
        if department in self.submitted:
            raise InvalidTransition(f"{department} has already submitted")
        if declared_none == bool(risk_ids):
            raise RuleViolation(
                "risk_ids", "submit the department's risks, or declare none, not both"
            )
        self._submitted(
            by=actor.user_id,
            department=department,
            risk_ids=list(dict.fromkeys(risk_ids)),
            declared_none=declared_none,
            late=now >= end_of(self.due_on),
        )

    @event(Submitted)
    def _submitted(
        self, by: str, department: str, risk_ids: list[UUID], declared_none: bool, late: bool
    ) -> None:
        self.submitted.add(department)

    class Overdue(Aggregate.Event):
        class_version = 2
        department: str
        due_on: date
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    def overdue(self, department: str, now: datetime) -> None:
        """The deadline check: a department that has not submitted when the due date is
        over, once."""
        self._asked(department)
        if department in self.submitted:
            raise InvalidTransition(f"{department} has submitted")
        if department in self.overdue_flagged:
            raise InvalidTransition(f"{department} is already flagged overdue")
        if now < end_of(self.due_on):
            raise InvalidTransition(f"the round is due on {self.due_on}")
        self._overdue(department=department, due_on=self.due_on, time_zone=zone_name())

    @event(Overdue)
    def _overdue(self, department: str, due_on: date, time_zone: str) -> None:
        self.overdue_flagged.add(department)
