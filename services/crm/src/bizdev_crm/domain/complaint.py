"""Complaints (REGULATIONS 4.3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
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

from bizdev_crm.domain.values import (
    CauseCategory,
    ComplaintChannel,
    ComplaintState,
    Severity,
    one_of,
    require_aware,
    require_score,
    required_text,
)

if TYPE_CHECKING:
    from bizdev_crm.domain.customer import Customer


UNANSWERED = (ComplaintState.RECEIVED, ComplaintState.ASSIGNED)


class Complaint(Aggregate):
    """A customer complaint (客戶投訴): received → assigned → responded → resolved → closed,
    back to assigned whenever the customer is not satisfied with the proposal, until they are.

    The first response is due by a deadline set by severity when the complaint is received; a
    complaint still unanswered when it passes is escalated, once, by the deadline scheduler
    (`by` is then None: nobody acted, time did). The complaint belongs to the department that
    keeps the customer: the head of that department assigns its owner and may close it."""

    class Received(Aggregate.Created):
        by: str
        customer_id: UUID
        department: str
        contact_id: UUID | None
        channel: str
        severity: str
        subject: str
        description: str
        received_at: datetime
        response_due_at: datetime

    @event(Received)
    def __init__(
        self,
        by: str,
        customer_id: UUID,
        department: str,
        contact_id: UUID | None,
        channel: str,
        severity: str,
        subject: str,
        description: str,
        received_at: datetime,
        response_due_at: datetime,
    ) -> None:
        self.received_by = by
        self.customer_id = customer_id
        self.department = department
        self.contact_id = contact_id
        self.channel = channel
        self.severity = severity
        self.subject = subject
        self.description = description
        self.received_at = received_at
        self.response_due_at = response_due_at
        self.state = ComplaintState.RECEIVED
        self.owner: str | None = None
        self.answered = False
        self.escalated_at: datetime | None = None
        self.proposal: str | None = None
        self.rounds = 0
        self.resolution: str | None = None
        self.cause: str | None = None
        self.root_cause: str | None = None
        self.corrective_action: str | None = None
        self.satisfaction: int | None = None

    @classmethod
    def receive(
        cls,
        actor: Actor,
        customer: Customer,
        *,
        channel: str,
        severity: str,
        subject: str,
        description: str,
        received_at: datetime,
        response_hours: Mapping[str, int],
        contact_id: UUID | None = None,
    ) -> Complaint:
        """Any employee records a complaint the moment it comes in; its response deadline is
        `received_at` plus the hours configured for its severity."""
        require_role(actor, Role.EMPLOYEE)
        through = one_of("channel", channel, ComplaintChannel)
        level = one_of("severity", severity, Severity)
        require_text("subject", subject)
        require_text("description", description)
        require_aware("received_at", received_at)
        if contact_id is not None and contact_id not in customer.contacts:
            raise RuleViolation("contact_id", f"customer {customer.id} has no contact {contact_id}")
        hours = response_hours.get(level)
        if hours is None or hours <= 0:
            raise RuleViolation("severity", f"no response deadline is configured for {level}")
        return cls(
            by=actor.user_id,
            customer_id=customer.id,
            department=customer.department,
            contact_id=contact_id,
            channel=through,
            severity=level,
            subject=subject,
            description=description,
            received_at=received_at,
            response_due_at=received_at + timedelta(hours=hours),
        )

    def _require_state(self, what: str, *allowed: ComplaintState) -> None:
        if self.state not in allowed:
            raise InvalidTransition(f"cannot {what} a complaint that is {self.state}")

    def _require_owner(self, actor: Actor, what: str) -> None:
        require_acting(actor)
        # Without an owner nobody may act yet: that is the complaint's state, not the actor's.
        if self.owner is None:
            raise InvalidTransition(f"cannot {what} a complaint without an owner: assign one")
        if actor.user_id != self.owner:
            raise Forbidden(f"only the complaint's owner may {what} it")

    def _require_head(self, actor: Actor, what: str) -> None:
        if not (actor.is_head_of(self.department) or actor.has(Role.MANAGEMENT)):
            raise Forbidden(
                f"only the head of department {self.department} or management may {what}"
            )

    class Assigned(Aggregate.Event):
        by: str
        owner: str
        department: str

    def assign(self, actor: Actor, *, owner: str) -> None:
        """The head of the complaint's department (or management) names its owner; an owner
        may be replaced until the complaint is answered."""
        self._require_head(actor, "assign a complaint")
        self._require_state("assign", *UNANSWERED)
        require_text("owner", owner)
        if owner == self.owner:
            raise RuleViolation("owner", f"{owner} already owns this complaint")
        self._assign(by=actor.user_id, owner=owner, department=self.department)

    @event(Assigned)
    def _assign(self, by: str, owner: str, department: str) -> None:
        self.owner = owner
        self.state = ComplaintState.ASSIGNED

    class Responded(Aggregate.Event):
        by: str
        proposal: str

    def respond(self, actor: Actor, *, proposal: str) -> None:
        """The owner answers the customer with a proposal for putting things right; the
        first answer meets (or misses) the response deadline."""
        self._require_owner(actor, "respond to")
        self._require_state("respond to", ComplaintState.ASSIGNED)
        require_text("proposal", proposal)
        self._respond(by=actor.user_id, proposal=proposal)

    @event(Responded)
    def _respond(self, by: str, proposal: str) -> None:
        self.state = ComplaintState.RESPONDED
        self.answered = True
        self.proposal = proposal
        self.rounds += 1

    class Escalated(Aggregate.Event):
        by: str | None
        customer_id: UUID
        department: str
        owner: str | None
        severity: str
        response_due_at: datetime
        escalated_at: datetime

    def escalate(self, now: datetime) -> None:
        """The deadline check: refused unless the first response is overdue and the
        complaint was not escalated before, so that it happens once whoever asks again."""
        require_aware("now", now)
        if self.escalated_at is not None:
            raise InvalidTransition(f"complaint {self.id} is already escalated")
        if self.answered or self.state not in UNANSWERED:
            raise InvalidTransition(f"complaint {self.id} was answered: nothing to escalate")
        if now < self.response_due_at:
            raise InvalidTransition(
                f"complaint {self.id} is not due until {self.response_due_at.isoformat()}"
            )
        self._escalate(
            by=None,
            customer_id=self.customer_id,
            department=self.department,
            owner=self.owner,
            severity=self.severity,
            response_due_at=self.response_due_at,
            escalated_at=now,
        )

    @event(Escalated)
    def _escalate(
        self,
        by: str | None,
        customer_id: UUID,
        department: str,
        owner: str | None,
        severity: str,
        response_due_at: datetime,
        escalated_at: datetime,
    ) -> None:
        self.escalated_at = escalated_at

    class Resolved(Aggregate.Event):
        by: str
        customer_id: UUID
        resolution: str

    def resolve(self, actor: Actor, *, resolution: str) -> None:
        """The customer accepted the proposal."""
        self._require_owner(actor, "resolve")
        self._require_state("resolve", ComplaintState.RESPONDED)
        require_text("resolution", resolution)
        self._resolve(by=actor.user_id, customer_id=self.customer_id, resolution=resolution)

    @event(Resolved)
    def _resolve(self, by: str, customer_id: UUID, resolution: str) -> None:
        self.state = ComplaintState.RESOLVED
        self.resolution = resolution

    class Reopened(Aggregate.Event):
        by: str
        reason: str

    def reopen(self, actor: Actor, *, reason: str) -> None:
        """The customer is not satisfied (with the proposal, or after all with the
        resolution): back to the owner for another proposal."""
        self._require_owner(actor, "reopen")
        self._require_state("reopen", ComplaintState.RESPONDED, ComplaintState.RESOLVED)
        require_text("reason", reason)
        self._reopen(by=actor.user_id, reason=reason)

    @event(Reopened)
    def _reopen(self, by: str, reason: str) -> None:
        self.state = ComplaintState.ASSIGNED
        self.resolution = None

    class Closed(Aggregate.Event):
        by: str
        customer_id: UUID
        department: str
        cause: str
        root_cause: str
        corrective_action: str
        satisfaction: int

    def close(
        self,
        actor: Actor,
        *,
        cause: str | None,
        root_cause: str | None,
        corrective_action: str | None,
        satisfaction: int | None,
    ) -> None:
        """Closing needs the root-cause analysis (cause category, what the cause was, the
        corrective action) and the customer's satisfaction with the handling (1 to 5)."""
        require_acting(actor)
        if actor.user_id != self.owner and not (
            actor.is_head_of(self.department) or actor.has(Role.MANAGEMENT)
        ):
            raise Forbidden(
                f"only the complaint's owner or the head of department {self.department} may "
                "close it"
            )
        self._require_state("close", ComplaintState.RESOLVED)
        if cause is None:
            raise RuleViolation("cause", "the root cause category is required to close")
        category = one_of("cause", cause, CauseCategory)
        analysis = required_text("root_cause", root_cause)
        action = required_text("corrective_action", corrective_action)
        score = require_score("satisfaction", satisfaction)
        self._close(
            by=actor.user_id,
            customer_id=self.customer_id,
            department=self.department,
            cause=category,
            root_cause=analysis,
            corrective_action=action,
            satisfaction=score,
        )

    @event(Closed)
    def _close(
        self,
        by: str,
        customer_id: UUID,
        department: str,
        cause: str,
        root_cause: str,
        corrective_action: str,
        satisfaction: int,
    ) -> None:
        self.state = ComplaintState.CLOSED
        self.cause = cause
        self.root_cause = root_cause
        self.corrective_action = corrective_action
        self.satisfaction = satisfaction
