"""Complaints (REGULATIONS 4.3)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from bizdev_common.days import company_day, end_of, zone_name
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    NotFound,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_crm.domain.complaint import events
from bizdev_crm.domain.complaint.corrective_action import CorrectiveAction
from bizdev_crm.domain.values import (
    CauseCategory,
    ComplaintChannel,
    ComplaintState,
    ConfirmationChannel,
    Deadline,
    Severity,
    one_of,
    require_aware,
    require_score,
    required_text,
)

if TYPE_CHECKING:
    from bizdev_crm.domain.customer import Customer


UNANSWERED = (ComplaintState.RECEIVED, ComplaintState.ASSIGNED)
UNRESOLVED = (ComplaintState.RECEIVED, ComplaintState.ASSIGNED, ComplaintState.RESPONDED)
TOP_LEVEL = 2
"""Escalation goes to the head of the complaint's department (1), then to management (2)."""


class Complaint(Aggregate):
    """A customer complaint (客戶投訴): received → assigned → responded → resolved → closed,
    back to assigned whenever the customer is not satisfied with the proposal, until they are.

    Two deadlines are set by severity when the complaint is received (4.3.2: an answer and a
    solution in the time the company set): the response (a proposal) and the resolution (the
    customer accepts one). Reopening sets a new response deadline, as long again as the first.
    A deadline missed is escalated by the deadline scheduler (`by` is then None: nobody acted,
    time did) to the head of the complaint's department, and, still missed after as long
    again, once more to management; each level once. The complaint belongs to the department
    that keeps the customer: the head of that department assigns its owner and may close it.
    Closing records who confirmed the customer's satisfaction, how and when; corrective
    actions, each with an owner and a due date, are followed up until done."""

    # Its events (events.py), named here so that their topics stay `Complaint.<Event>`.
    Received = events.Received
    Assigned = events.Assigned
    Responded = events.Responded
    Escalated = events.Escalated
    Resolved = events.Resolved
    Reopened = events.Reopened
    Closed = events.Closed
    CorrectiveActionAdded = events.CorrectiveActionAdded
    CorrectiveActionCompleted = events.CorrectiveActionCompleted
    CorrectiveActionOverdue = events.CorrectiveActionOverdue

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
        resolution_due_at: datetime | None,
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
        self.resolution_due_at = resolution_due_at
        # Each later deadline of a kind is as long as the first (a reopened complaint's new
        # response deadline, the second escalation level).
        self.periods = {
            Deadline.RESPONSE: response_due_at - received_at,
            Deadline.RESOLUTION: (
                None if resolution_due_at is None else resolution_due_at - received_at
            ),
        }
        self.levels = {Deadline.RESPONSE: 0, Deadline.RESOLUTION: 0}
        self.state = ComplaintState.RECEIVED
        self.owner: str | None = None
        self.awaiting_response = True
        self.escalated_at: datetime | None = None
        self.proposal: str | None = None
        self.rounds = 0
        self.resolution: str | None = None
        self.cause: str | None = None
        self.root_cause: str | None = None
        self.corrective_action: str | None = None
        self.satisfaction: int | None = None
        self.confirmation: tuple[str, str, date, UUID | None] | None = None
        self.actions: dict[UUID, CorrectiveAction] = {}

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
        resolution_hours: Mapping[str, int],
        contact_id: UUID | None = None,
    ) -> Complaint:
        """Any employee records a complaint the moment it comes in; its response and
        resolution deadlines are `received_at` plus the hours configured for its severity."""
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
        solve_hours = resolution_hours.get(level)
        if solve_hours is None or solve_hours < hours:
            raise RuleViolation(
                "severity", f"no resolution deadline (after the response) is configured for {level}"
            )
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
            resolution_due_at=received_at + timedelta(hours=solve_hours),
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
        self.awaiting_response = False
        self.proposal = proposal
        self.rounds += 1

    def due(self, deadline: Deadline) -> datetime | None:
        """When the deadline is met by, None when it is met or owes nothing."""
        if deadline is Deadline.RESPONSE:
            pending = self.awaiting_response and self.state in UNANSWERED
            return self.response_due_at if pending else None
        return self.resolution_due_at if self.state in UNRESOLVED else None

    def escalation_at(self, deadline: Deadline) -> datetime | None:
        """When the deadline's next escalation falls due: at the deadline, then as long again
        after it; None once management has it, or when nothing is owed."""
        return self._next_escalation(deadline, self.due(deadline))

    def _next_escalation(self, deadline: Deadline, due: datetime | None) -> datetime | None:
        period, level = self.periods[deadline], self.levels[deadline]
        if due is None or period is None or level >= TOP_LEVEL:
            return None
        return due + period * level

    def escalate(self, now: datetime, deadline: str = Deadline.RESPONSE) -> None:
        """The deadline check: refused unless the deadline's next escalation is due, so each
        level happens once whoever asks again. Level 1 goes to the head of the complaint's
        department, level 2 to management."""
        require_aware("now", now)
        kind = Deadline(deadline)
        if self.due(kind) is None:
            met = "answered" if kind is Deadline.RESPONSE else "resolved"
            raise InvalidTransition(f"complaint {self.id} was {met}: nothing to escalate")
        at = self.escalation_at(kind)
        if at is None:
            raise InvalidTransition(
                f"complaint {self.id} is already escalated to management for its {kind}"
            )
        if now < at:
            raise InvalidTransition(f"complaint {self.id} is not due until {at.isoformat()}")
        level = self.levels[kind] + 1
        period = self.periods[kind]
        due = self.due(kind)
        assert due is not None
        assert period is not None
        self._escalate(
            by=None,
            customer_id=self.customer_id,
            department=self.department,
            owner=self.owner,
            severity=self.severity,
            response_due_at=self.response_due_at,
            escalated_at=now,
            deadline=kind.value,
            due_at=due,
            level=level,
            to_role=(Role.DEPARTMENT_HEAD if level == 1 else Role.MANAGEMENT).value,
            to_department=self.department if level == 1 else None,
            next_escalation_at=due + period if level < TOP_LEVEL else None,
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
        deadline: str,
        due_at: datetime,
        level: int,
        to_role: str,
        to_department: str | None,
        next_escalation_at: datetime | None,
    ) -> None:
        if self.escalated_at is None:
            self.escalated_at = escalated_at
        self.levels[Deadline(deadline)] = level

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

    def reopen(self, actor: Actor, *, reason: str, now: datetime) -> None:
        """The customer is not satisfied (with the proposal, or after all with the
        resolution): back to the owner for another proposal, due within the response period
        again from `now`. The resolution deadline, and its escalations, run on."""
        self._require_owner(actor, "reopen")
        self._require_state("reopen", ComplaintState.RESPONDED, ComplaintState.RESOLVED)
        require_text("reason", reason)
        require_aware("now", now)
        period = self.periods[Deadline.RESPONSE]
        assert period is not None  # every complaint owes a response
        self._reopen(
            by=actor.user_id,
            reason=reason,
            response_due_at=now + period,
            resolution_escalation_at=self._next_escalation(
                Deadline.RESOLUTION, self.resolution_due_at
            ),
        )

    @event(Reopened)
    def _reopen(
        self,
        by: str,
        reason: str,
        response_due_at: datetime | None,
        resolution_escalation_at: datetime | None,
    ) -> None:
        self.state = ComplaintState.ASSIGNED
        self.resolution = None
        if response_due_at is not None:
            self.response_due_at = response_due_at
            self.awaiting_response = True
            self.levels[Deadline.RESPONSE] = 0

    def _require_owner_or_head(self, actor: Actor, what: str) -> None:
        require_acting(actor)
        if actor.user_id != self.owner and not (
            actor.is_head_of(self.department) or actor.has(Role.MANAGEMENT)
        ):
            raise Forbidden(
                f"only the complaint's owner or the head of department {self.department} may {what}"
            )

    def close(
        self,
        actor: Actor,
        *,
        cause: str | None,
        root_cause: str | None,
        corrective_action: str | None,
        satisfaction: int | None,
        confirmed_by: str | None,
        confirmation_channel: str | None,
        confirmed_on: date | None,
        today: date,
        confirmed_with: UUID | None = None,
        contacts: Collection[UUID] = (),
    ) -> None:
        """Closing needs the root-cause analysis (cause category, what the cause was, the
        corrective action), the customer's satisfaction with the handling (1 to 5), and who
        confirmed that satisfaction with the customer, how and on which day (not before the
        complaint came in, not after `today`); `confirmed_with` is the customer's contact
        person who confirmed it, when known (one of `contacts`, the customer's)."""
        self._require_owner_or_head(actor, "close it")
        self._require_state("close", ComplaintState.RESOLVED)
        if cause is None:
            raise RuleViolation("cause", "the root cause category is required to close")
        category = one_of("cause", cause, CauseCategory)
        analysis = required_text("root_cause", root_cause)
        action = required_text("corrective_action", corrective_action)
        score = require_score("satisfaction", satisfaction)
        confirmer = required_text("confirmed_by", confirmed_by)
        if confirmation_channel is None:
            raise RuleViolation("confirmation_channel", "how it was confirmed is required")
        how = one_of("confirmation_channel", confirmation_channel, ConfirmationChannel)
        if confirmed_on is None:
            raise RuleViolation("confirmed_on", "the day satisfaction was confirmed is required")
        if not company_day(self.received_at) <= confirmed_on <= today:
            raise RuleViolation(
                "confirmed_on",
                f"satisfaction is confirmed between the complaint's receipt "
                f"({company_day(self.received_at)}) and today ({today})",
            )
        if confirmed_with is not None and confirmed_with not in contacts:
            raise RuleViolation(
                "confirmed_with", f"customer {self.customer_id} has no contact {confirmed_with}"
            )
        self._close(
            by=actor.user_id,
            customer_id=self.customer_id,
            department=self.department,
            cause=category,
            root_cause=analysis,
            corrective_action=action,
            satisfaction=score,
            confirmed_by=confirmer,
            confirmation_channel=how,
            confirmed_on=confirmed_on,
            confirmed_with=confirmed_with,
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
        confirmed_by: str | None,
        confirmation_channel: str | None,
        confirmed_on: date | None,
        confirmed_with: UUID | None,
    ) -> None:
        self.state = ComplaintState.CLOSED
        self.cause = cause
        self.root_cause = root_cause
        self.corrective_action = corrective_action
        self.satisfaction = satisfaction
        if confirmed_by is not None and confirmation_channel is not None and confirmed_on:
            self.confirmation = (confirmed_by, confirmation_channel, confirmed_on, confirmed_with)

    # --- corrective actions, followed up until done ---------------------------------------

    def add_corrective_action(
        self, actor: Actor, *, description: str, owner: str, due_on: date, today: date
    ) -> UUID:
        """Once the customer accepted a solution the cause is analysed: the complaint's owner
        or their head (or management) sets corrective actions, each with its owner and a due
        date not in the past. Returns the action's id."""
        self._require_owner_or_head(actor, "set corrective actions")
        self._require_state(
            "set corrective actions for", ComplaintState.RESOLVED, ComplaintState.CLOSED
        )
        require_text("description", description)
        require_text("owner", owner)
        if due_on < today:
            raise RuleViolation("due_on", f"a corrective action is due today ({today}) or later")
        action_id = uuid4()
        self._add_corrective_action(
            by=actor.user_id,
            action_id=action_id,
            customer_id=self.customer_id,
            department=self.department,
            description=description,
            owner=owner,
            due_on=due_on,
        )
        return action_id

    @event(CorrectiveActionAdded)
    def _add_corrective_action(
        self,
        by: str,
        action_id: UUID,
        customer_id: UUID,
        department: str,
        description: str,
        owner: str,
        due_on: date,
    ) -> None:
        self.actions[action_id] = CorrectiveAction(description, owner, due_on)

    def _action(self, action_id: UUID) -> CorrectiveAction:
        action = self.actions.get(action_id)
        if action is None:
            raise NotFound(f"no corrective action {action_id} for complaint {self.id}")
        return action

    def complete_corrective_action(
        self, actor: Actor, action_id: UUID, *, outcome: str, today: date
    ) -> None:
        """Its owner (or the head of the complaint's department, or management) records the
        action done, and what it achieved."""
        action = self._action(action_id)
        require_acting(actor)
        if actor.user_id != action.owner and not (
            actor.is_head_of(self.department) or actor.has(Role.MANAGEMENT)
        ):
            raise Forbidden(
                f"only the action's owner or the head of department {self.department} may "
                "complete it"
            )
        if action.done_on is not None:
            raise InvalidTransition(f"corrective action {action_id} is already done")
        require_text("outcome", outcome)
        self._complete_corrective_action(
            by=actor.user_id, action_id=action_id, done_on=today, outcome=outcome
        )

    @event(CorrectiveActionCompleted)
    def _complete_corrective_action(
        self, by: str, action_id: UUID, done_on: date, outcome: str
    ) -> None:
        self.actions[action_id] = replace(self.actions[action_id], done_on=done_on, outcome=outcome)

    def corrective_action_overdue(self, action_id: UUID, now: datetime) -> None:
        """The deadline check: an action not done when its due date is over is reported
        overdue, once."""
        require_aware("now", now)
        action = self._action(action_id)
        if action.done_on is not None:
            raise InvalidTransition(f"corrective action {action_id} is done")
        if action.overdue_raised:
            raise InvalidTransition(f"corrective action {action_id} is already reported overdue")
        if now < end_of(action.due_on):
            raise InvalidTransition(f"corrective action {action_id} is due on {action.due_on}")
        self._corrective_action_overdue(
            by=None,
            action_id=action_id,
            customer_id=self.customer_id,
            department=self.department,
            owner=action.owner,
            due_on=action.due_on,
            time_zone=zone_name(),
        )

    @event(CorrectiveActionOverdue)
    def _corrective_action_overdue(
        self,
        by: str | None,
        action_id: UUID,
        customer_id: UUID,
        department: str,
        owner: str,
        due_on: date,
        time_zone: str,
    ) -> None:
        self.actions[action_id] = replace(self.actions[action_id], overdue_raised=True)
