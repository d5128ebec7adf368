"""Customer relationships (REGULATIONS §4): customers and their file, follow-up visits,
customer events, and complaints.

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history, and a rule changed later must not rewrite the past.
Checks run in the order the API reports them: who may act (403), then whether the record's
state allows it (409), then what the command says (422).

Contact persons' names, phones and e-mails are personal data. The domain decides who may see
them in the clear (`Customer.shows_personal_data_to`), checks them like any
other input and then keeps them only `Sealed`, through a `Seal` function the application
layer gives it (AES-GCM with the customer's own key, see personal_data.py): no event ever
holds them in the clear, and destroying the key erases them from every event ever stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from bizdev_common.domain import (
    ACTING_ROLES,
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    NotFound,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event


def _one_of(field_name: str, value: str, kind: type[StrEnum]) -> str:
    try:
        return kind(value).value
    except ValueError:
        allowed = ", ".join(kind)
        raise RuleViolation(field_name, f"{field_name} must be one of {allowed}") from None


def _require_score(field_name: str, score: int | None) -> int:
    if score is None:
        raise RuleViolation(field_name, f"{field_name} (1 to 5) is required")
    if isinstance(score, bool) or not 1 <= score <= 5:
        raise RuleViolation(field_name, f"{field_name} must be a whole number from 1 to 5")
    return score


def _require_aware(field_name: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise RuleViolation(field_name, f"{field_name} must carry a timezone")


def _required_text(field_name: str, value: str | None) -> str:
    if value is None:
        raise RuleViolation(field_name, f"{field_name} is required")
    require_text(field_name, value)
    return value


# --- personal data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sealed:
    """A piece of personal data encrypted with its customer's own key: base64 text of the
    nonce and the AES-GCM ciphertext. Meaningless without the key; once the key is destroyed
    it is meaningless for good."""

    token: str

    def __repr__(self) -> str:
        return "Sealed(...)"


Seal = Callable[[str], Sealed]
"""Encrypts one piece of personal data for the customer at hand; pure computation (the
application fetched the key), so the domain stays free of I/O."""


@dataclass(frozen=True)
class ContactPerson:
    """A contact person of a customer as the aggregate keeps it: `position` is the only field
    in the clear. After erasure the sealed fields remain, unreadable without the key."""

    position: str
    name: Sealed
    phone: Sealed | None
    email: Sealed | None


@dataclass(frozen=True)
class ContactDetails:
    """A contact person as given in a command, in the clear; never stored so, and kept out of
    its repr so that no traceback or log line shows it."""

    position: str
    name: str = field(repr=False)
    phone: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)


_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _sealed_contact(details: ContactDetails, seal: Seal, prefix: str = "") -> ContactPerson:
    """Checks a contact person's details, then seals the personal ones. Refusals name the
    field but never echo its value, which is personal data."""
    require_text(f"{prefix}position", details.position)
    require_text(f"{prefix}name", details.name)
    if details.phone is not None and not _PHONE.match(details.phone):
        raise RuleViolation(f"{prefix}phone", "phone must be digits, spaces, ( ) - and a leading +")
    if details.email is not None and not _EMAIL.match(details.email):
        raise RuleViolation(f"{prefix}email", "email must be an address such as name@example.com")
    return ContactPerson(
        position=details.position,
        name=seal(details.name),
        phone=None if details.phone is None else seal(details.phone),
        email=None if details.email is None else seal(details.email),
    )


# --- customers (REGULATIONS 4.1, 4.2) --------------------------------------------------------


class Channel(StrEnum):
    """Where a customer was found (客戶開發渠道)."""

    MARKETING = "marketing"
    TRADE_SHOW = "trade_show"
    REFERRAL = "referral"
    ONLINE = "online"
    OTHER = "other"


class ProposalOutcome(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


@dataclass(frozen=True)
class Proposal:
    title: str
    description: str
    value: Money
    offered_by: str
    outcome: str | None = None
    outcome_notes: str | None = None


class Customer(Aggregate):
    """A customer and its file (客戶檔案): who develops it (`owner`, in `department`), where it
    came from, its needs and preferences, contact persons, proposals offered and the projects
    done for it (dealings). The customer is a company: its name is business information;
    its contact persons are people, whose identifying details are sealed."""

    class Registered(Aggregate.Created):
        by: str
        name: str
        industry: str
        channel: str
        owner: str
        department: str
        address: str
        needs: str
        preferences: str

    @event(Registered)
    def __init__(
        self,
        by: str,
        name: str,
        industry: str,
        channel: str,
        owner: str,
        department: str,
        address: str,
        needs: str,
        preferences: str,
    ) -> None:
        self.registered_by = by
        self.name = name
        self.industry = industry
        self.channel = channel
        self.owner = owner
        self.department = department
        self.address = address
        self.needs = needs
        self.preferences = preferences
        self.contacts: dict[UUID, ContactPerson] = {}
        self.proposals: dict[UUID, Proposal] = {}
        self.dealings: dict[UUID, str] = {}
        self.personal_data_erased = False

    @classmethod
    def register(
        cls,
        actor: Actor,
        *,
        name: str,
        industry: str,
        channel: str,
        needs: str,
        seal: Seal,
        owner: str | None = None,
        address: str = "",
        preferences: str = "",
        contacts: Sequence[ContactDetails] = (),
    ) -> Customer:
        """Any employee develops a customer, with the contact persons met so far; the owner
        defaults to them, and the customer belongs to the registering employee's department.
        `seal` seals personal data with the key made for this customer."""
        require_role(actor, Role.EMPLOYEE)
        require_text("name", name)
        require_text("industry", industry)
        found_through = _one_of("channel", channel, Channel)
        require_text("needs", needs)
        if owner is not None:
            require_text("owner", owner)
        sealed = [_sealed_contact(c, seal, f"contacts.{i}.") for i, c in enumerate(contacts)]
        customer = cls(
            by=actor.user_id,
            name=name,
            industry=industry,
            channel=found_through,
            owner=owner or actor.user_id,
            department=actor.department,
            address=address,
            needs=needs,
            preferences=preferences,
        )
        for contact in sealed:
            customer._add_contact(
                by=actor.user_id,
                contact_id=uuid4(),
                position=contact.position,
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
            )
        return customer

    def shows_personal_data_to(self, actor: Actor) -> bool:
        """Need to know: contact persons' details are for who works the customer, its owner
        (in an acting role), the head of its department and management. Everyone else, the
        auditor included, sees them masked."""
        return (
            (actor.user_id == self.owner and bool(actor.roles & ACTING_ROLES))
            or actor.is_head_of(self.department)
            or actor.has(Role.MANAGEMENT)
        )

    def _require_keeper(self, actor: Actor, what: str) -> None:
        """The owner keeps the file; the head of its department stands in for them."""
        require_acting(actor)
        if actor.user_id != self.owner and not actor.is_head_of(self.department):
            raise Forbidden(
                f"only the customer's owner or the head of department {self.department} may {what}"
            )

    class FileUpdated(Aggregate.Event):
        by: str
        name: str
        industry: str
        address: str
        needs: str
        preferences: str

    def update_file(
        self,
        actor: Actor,
        *,
        name: str | None = None,
        industry: str | None = None,
        address: str | None = None,
        needs: str | None = None,
        preferences: str | None = None,
    ) -> None:
        self._require_keeper(actor, "update the customer file")
        changes = {
            "name": name,
            "industry": industry,
            "address": address,
            "needs": needs,
            "preferences": preferences,
        }
        if all(v is None for v in changes.values()):
            raise RuleViolation("body", "an update must change at least one field")
        for required in ("name", "industry", "needs"):
            value = changes[required]
            if value is not None:
                require_text(required, value)
        # The event carries the whole file, so a reader of the history sees the file as it
        # was after each change without folding earlier ones.
        merged = {k: getattr(self, k) if v is None else v for k, v in changes.items()}
        self._update_file(by=actor.user_id, **merged)

    @event(FileUpdated)
    def _update_file(
        self, by: str, name: str, industry: str, address: str, needs: str, preferences: str
    ) -> None:
        self.name = name
        self.industry = industry
        self.address = address
        self.needs = needs
        self.preferences = preferences

    class ContactPersonAdded(Aggregate.Event):
        by: str
        contact_id: UUID
        position: str
        name: Sealed
        phone: Sealed | None
        email: Sealed | None

    def add_contact(self, actor: Actor, details: ContactDetails, seal: Seal) -> UUID:
        """Returns the new contact person's id."""
        self._require_keeper(actor, "add a contact person")
        self._require_personal_data_kept()
        contact = _sealed_contact(details, seal)
        contact_id = uuid4()
        self._add_contact(
            by=actor.user_id,
            contact_id=contact_id,
            position=contact.position,
            name=contact.name,
            phone=contact.phone,
            email=contact.email,
        )
        return contact_id

    @event(ContactPersonAdded)
    def _add_contact(
        self,
        by: str,
        contact_id: UUID,
        position: str,
        name: Sealed,
        phone: Sealed | None,
        email: Sealed | None,
    ) -> None:
        self.contacts[contact_id] = ContactPerson(position, name, phone, email)

    class ContactPersonChanged(Aggregate.Event):
        by: str
        contact_id: UUID
        position: str
        name: Sealed
        phone: Sealed | None
        email: Sealed | None

    def change_contact(
        self, actor: Actor, contact_id: UUID, details: ContactDetails, seal: Seal
    ) -> None:
        """Replaces a contact person's details as a whole (a new phone, a new position)."""
        if contact_id not in self.contacts:
            raise NotFound(f"no contact person {contact_id} for customer {self.id}")
        self._require_keeper(actor, "change a contact person")
        self._require_personal_data_kept()
        contact = _sealed_contact(details, seal)
        self._change_contact(
            by=actor.user_id,
            contact_id=contact_id,
            position=contact.position,
            name=contact.name,
            phone=contact.phone,
            email=contact.email,
        )

    @event(ContactPersonChanged)
    def _change_contact(
        self,
        by: str,
        contact_id: UUID,
        position: str,
        name: Sealed,
        phone: Sealed | None,
        email: Sealed | None,
    ) -> None:
        self.contacts[contact_id] = ContactPerson(position, name, phone, email)

    def _require_personal_data_kept(self) -> None:
        if self.personal_data_erased:
            raise InvalidTransition(
                f"the personal data of customer {self.id} was erased: no contact person can be "
                "recorded for it any more"
            )

    class ProposalOffered(Aggregate.Event):
        by: str
        proposal_id: UUID
        title: str
        description: str
        value: Money

    def offer_proposal(self, actor: Actor, *, title: str, description: str, value: Money) -> UUID:
        """Any employee may offer the customer a proposal; returns its id."""
        require_role(actor, Role.EMPLOYEE)
        require_text("title", title)
        require_text("description", description)
        if value.is_negative():
            raise RuleViolation("value", "value must not be negative")
        proposal_id = uuid4()
        self._offer_proposal(
            by=actor.user_id,
            proposal_id=proposal_id,
            title=title,
            description=description,
            value=value,
        )
        return proposal_id

    @event(ProposalOffered)
    def _offer_proposal(
        self, by: str, proposal_id: UUID, title: str, description: str, value: Money
    ) -> None:
        self.proposals[proposal_id] = Proposal(title, description, value, offered_by=by)

    class ProposalOutcomeRecorded(Aggregate.Event):
        by: str
        proposal_id: UUID
        outcome: str
        notes: str

    def record_proposal_outcome(
        self, actor: Actor, *, proposal_id: UUID, outcome: str, notes: str = ""
    ) -> None:
        """The customer's answer to a proposal, recorded by who offered it or the owner."""
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            raise NotFound(f"no proposal {proposal_id} for customer {self.id}")
        require_acting(actor)
        if actor.user_id not in (proposal.offered_by, self.owner):
            raise Forbidden("only who offered the proposal or the customer's owner may record")
        if proposal.outcome is not None:
            raise InvalidTransition(f"proposal {proposal_id} was already {proposal.outcome}")
        answer = _one_of("outcome", outcome, ProposalOutcome)
        self._record_proposal_outcome(
            by=actor.user_id, proposal_id=proposal_id, outcome=answer, notes=notes
        )

    @event(ProposalOutcomeRecorded)
    def _record_proposal_outcome(
        self, by: str, proposal_id: UUID, outcome: str, notes: str
    ) -> None:
        self.proposals[proposal_id] = replace(
            self.proposals[proposal_id], outcome=outcome, outcome_notes=notes
        )

    class DealingRecorded(Aggregate.Event):
        by: str
        project_id: UUID
        project_name: str
        department: str
        application_id: UUID

    def record_dealing(
        self,
        *,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        application_id: UUID,
    ) -> None:
        """A project opened for this customer (told by the projects service); `by` is who
        caused it there, the approver."""
        if project_id in self.dealings:
            raise InvalidTransition(f"project {project_id} is already among the dealings")
        self._record_dealing(
            by=by,
            project_id=project_id,
            project_name=project_name,
            department=department,
            application_id=application_id,
        )

    @event(DealingRecorded)
    def _record_dealing(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        application_id: UUID,
    ) -> None:
        self.dealings[project_id] = project_name

    class PersonalDataErased(Aggregate.Event):
        by: str
        reason: str
        contact_ids: list[UUID]

    def erase_personal_data(self, actor: Actor, *, reason: str) -> None:
        """On request, management erases the customer's personal data: the application
        destroys the customer's key, so every sealed value ever stored becomes unreadable;
        the history itself stays, as the audit trail must (REGULATIONS §1)."""
        require_role(actor, Role.MANAGEMENT)
        if self.personal_data_erased:
            raise InvalidTransition(f"the personal data of customer {self.id} is already erased")
        require_text("reason", reason)
        self._erase_personal_data(by=actor.user_id, reason=reason, contact_ids=list(self.contacts))

    @event(PersonalDataErased)
    def _erase_personal_data(self, by: str, reason: str, contact_ids: list[UUID]) -> None:
        self.personal_data_erased = True


# --- follow-up visits (REGULATIONS 4.2) ------------------------------------------------------


class FollowUpState(StrEnum):
    SCHEDULED = "scheduled"
    RECORDED = "recorded"
    CANCELLED = "cancelled"


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
        score = _require_score("satisfaction", satisfaction)
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


# --- customer events (REGULATIONS 4.2) -------------------------------------------------------


class CustomerEventKind(StrEnum):
    APPRECIATION = "appreciation"
    INDUSTRY_SEMINAR = "industry_seminar"


class CustomerEventState(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"


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
        event_kind = _one_of("kind", kind, CustomerEventKind)
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


# --- complaints (REGULATIONS 4.3) ------------------------------------------------------------


class ComplaintChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ONLINE_CHAT = "online_chat"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class CauseCategory(StrEnum):
    """Root-cause categories, so that complaints of one cause can be counted (4.3)."""

    PRODUCT_QUALITY = "product_quality"
    SERVICE_ATTITUDE = "service_attitude"
    DELIVERY = "delivery"
    BILLING = "billing"
    COMMUNICATION = "communication"
    OTHER = "other"


class ComplaintState(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    RESPONDED = "responded"
    RESOLVED = "resolved"
    CLOSED = "closed"


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
        through = _one_of("channel", channel, ComplaintChannel)
        level = _one_of("severity", severity, Severity)
        require_text("subject", subject)
        require_text("description", description)
        _require_aware("received_at", received_at)
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
        _require_aware("now", now)
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
        category = _one_of("cause", cause, CauseCategory)
        analysis = _required_text("root_cause", root_cause)
        action = _required_text("corrective_action", corrective_action)
        score = _require_score("satisfaction", satisfaction)
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
