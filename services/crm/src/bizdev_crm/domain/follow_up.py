"""Follow-up visits (REGULATIONS 4.2)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Role,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_crm.domain.values import FollowUpState, require_score

if TYPE_CHECKING:
    from bizdev_crm.domain.customer import Customer


class FollowUp(Aggregate):
    """A follow-up visit to a customer (定期回訪): scheduled for a due date, then its outcome
    recorded by the visitor with the customer's satisfaction (1 to 5). A scheduled visit past its
    due date is overdue until it is recorded or cancelled."""

    class Scheduled(Aggregate.Created):
        by: str
        customer_id: UUID
        department: str
        visitor: str
        due_on: date
        purpose: str

    @event(Scheduled)
    def __init__(
        self, by: str, customer_id: UUID, department: str, visitor: str, due_on: date, purpose: str
    ) -> None:
        self.scheduled_by = by
        self.customer_id = customer_id
        self.department = department
        self.visitor = visitor
        self.due_on = due_on
        self.purpose = purpose
        self.state = FollowUpState.SCHEDULED
        self.visited_on: date | None = None
        self.satisfaction: int | None = None
        self.notes: str | None = None

    @classmethod
    def schedule(
        cls,
        actor: Actor,
        customer: Customer,
        *,
        due_on: date,
        purpose: str,
        visitor: str | None = None,
    ) -> FollowUp:
        require_role(actor, Role.EMPLOYEE)
        require_text("purpose", purpose)
        if visitor is not None:
            require_text("visitor", visitor)
        return cls(
            by=actor.user_id,
            customer_id=customer.id,
            department=customer.department,
            visitor=visitor or actor.user_id,
            due_on=due_on,
            purpose=purpose,
        )

    def _require_scheduled(self, what: str) -> None:
        if self.state != FollowUpState.SCHEDULED:
            raise InvalidTransition(f"cannot {what} a follow-up that is {self.state}")

    class Recorded(Aggregate.Event):
        by: str
        customer_id: UUID
        visited_on: date
        satisfaction: int
        notes: str

    def record_outcome(
        self, actor: Actor, *, visited_on: date, satisfaction: int | None, notes: str
    ) -> None:
        require_acting(actor)
        if actor.user_id != self.visitor:
            raise Forbidden("only the visitor records the outcome of a follow-up")
        self._require_scheduled("record the outcome of")
        score = require_score("satisfaction", satisfaction)
        require_text("notes", notes)
        self._record(
            by=actor.user_id,
            customer_id=self.customer_id,
            visited_on=visited_on,
            satisfaction=score,
            notes=notes,
        )

    @event(Recorded)
    def _record(
        self, by: str, customer_id: UUID, visited_on: date, satisfaction: int, notes: str
    ) -> None:
        self.state = FollowUpState.RECORDED
        self.visited_on = visited_on
        self.satisfaction = satisfaction
        self.notes = notes

    class Cancelled(Aggregate.Event):
        by: str
        reason: str

    def cancel(self, actor: Actor, *, reason: str) -> None:
        require_acting(actor)
        if actor.user_id not in (self.visitor, self.scheduled_by):
            raise Forbidden("only the visitor or who scheduled it may cancel a follow-up")
        self._require_scheduled("cancel")
        require_text("reason", reason)
        self._cancel(by=actor.user_id, reason=reason)

    @event(Cancelled)
    def _cancel(self, by: str, reason: str) -> None:
        self.state = FollowUpState.CANCELLED
