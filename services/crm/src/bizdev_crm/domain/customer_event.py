"""Customer events: appreciation events, industry seminars (REGULATIONS 4.2)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

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

from bizdev_crm.domain.values import CustomerEventKind, CustomerEventState, one_of

if TYPE_CHECKING:
    from bizdev_crm.domain.customer import Customer


class CustomerEvent(Aggregate):
    """An appreciation event (客戶答謝會) or industry seminar (行業研討會): its organiser
    invites customers and records who attended."""

    class Planned(Aggregate.Created):
        by: str
        department: str
        kind: str
        title: str
        held_on: date
        venue: str

    @event(Planned)
    def __init__(
        self, by: str, department: str, kind: str, title: str, held_on: date, venue: str
    ) -> None:
        self.organiser = by
        self.department = department
        self.kind = kind
        self.title = title
        self.held_on = held_on
        self.venue = venue
        self.state = CustomerEventState.PLANNED
        # Invited customers and whether they came (None until recorded).
        self.invited: dict[UUID, bool | None] = {}

    @classmethod
    def plan(
        cls, actor: Actor, *, kind: str, title: str, held_on: date, venue: str
    ) -> CustomerEvent:
        require_role(actor, Role.EMPLOYEE)
        event_kind = one_of("kind", kind, CustomerEventKind)
        require_text("title", title)
        require_text("venue", venue)
        return cls(
            by=actor.user_id,
            department=actor.department,
            kind=event_kind,
            title=title,
            held_on=held_on,
            venue=venue,
        )

    def _require_organiser(self, actor: Actor, what: str) -> None:
        require_acting(actor)
        if actor.user_id != self.organiser and not actor.is_head_of(self.department):
            raise Forbidden(f"only the organiser or the head of {self.department} may {what}")

    def _require_planned(self, what: str) -> None:
        if self.state != CustomerEventState.PLANNED:
            raise InvalidTransition(f"cannot {what} an event that is {self.state}")

    class CustomerInvited(Aggregate.Event):
        by: str
        customer_id: UUID

    def invite(self, actor: Actor, customer: Customer) -> None:
        self._require_organiser(actor, "invite customers")
        self._require_planned("invite customers to")
        if customer.id in self.invited:
            raise RuleViolation("customer_id", f"customer {customer.id} is already invited")
        self._invite(by=actor.user_id, customer_id=customer.id)

    @event(CustomerInvited)
    def _invite(self, by: str, customer_id: UUID) -> None:
        self.invited[customer_id] = None

    class AttendanceRecorded(Aggregate.Event):
        by: str
        customer_id: UUID
        attended: bool

    def record_attendance(self, actor: Actor, *, customer_id: UUID, attended: bool) -> None:
        """Whether an invited customer came; may be corrected until the event is cancelled."""
        self._require_organiser(actor, "record attendance")
        self._require_planned("record attendance at")
        if customer_id not in self.invited:
            raise RuleViolation("customer_id", f"customer {customer_id} was not invited")
        self._record_attendance(by=actor.user_id, customer_id=customer_id, attended=attended)

    @event(AttendanceRecorded)
    def _record_attendance(self, by: str, customer_id: UUID, attended: bool) -> None:
        self.invited[customer_id] = attended

    class Cancelled(Aggregate.Event):
        by: str
        reason: str

    def cancel(self, actor: Actor, *, reason: str) -> None:
        self._require_organiser(actor, "cancel the event")
        self._require_planned("cancel")
        require_text("reason", reason)
        self._cancel(by=actor.user_id, reason=reason)

    @event(Cancelled)
    def _cancel(self, by: str, reason: str) -> None:
        self.state = CustomerEventState.CANCELLED
