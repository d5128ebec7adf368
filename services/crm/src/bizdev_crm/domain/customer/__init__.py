"""Customers and their file (REGULATIONS 4.1, 4.2), with their contact persons' personal
data kept sealed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from bizdev_common.days import company_day, zone_name
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

from bizdev_crm.domain.customer import events
from bizdev_crm.domain.customer.contacts import (
    ContactDetails,
    ContactPerson,
    Seal,
    Sealed,
    sealed_contact,
)
from bizdev_crm.domain.values import (
    EXPLAINED_STATUSES,
    Channel,
    CustomerStatus,
    ProposalOutcome,
    one_of,
    require_aware,
)

VisitCycle = Mapping[str, int | None]
"""Days between follow-up visits per customer status; None: no visits are owed (a lost
customer)."""


def _cycle_running(days: int | None, due: date, today: date) -> date | None:
    """The end of the first cycle after `due` that has not ended before `today`."""
    if days is None:
        return None
    cycles = max(1, -(-(today - due).days // days))
    return due + timedelta(days=days * cycles)


def next_visit(cycle: VisitCycle, status: str, since: date) -> date | None:
    days = cycle.get(status)
    return None if days is None else since + timedelta(days=days)


# --- customers (REGULATIONS 4.1, 4.2) --------------------------------------------------------


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
    its contact persons are people, whose identifying details are sealed.

    Its status (`prospect` when registered, `active`, `dormant`, `lost`) sets how often it
    is to be visited (a cycle of days per status, from the settings): the next visit is due
    that many days after the last one recorded (or the registration, or the status change);
    past it the deadline scheduler reports the customer `FollowUpOverdue`, once per missed
    cycle, until a visit is recorded."""

    # Its events (events.py), named here so that their topics stay `Customer.<Event>`.
    Registered = events.Registered
    FileUpdated = events.FileUpdated
    ContactPersonAdded = events.ContactPersonAdded
    ContactPersonChanged = events.ContactPersonChanged
    ProposalOffered = events.ProposalOffered
    ProposalOutcomeRecorded = events.ProposalOutcomeRecorded
    DealingRecorded = events.DealingRecorded
    PersonalDataErased = events.PersonalDataErased
    StatusChanged = events.StatusChanged
    OwnerReassigned = events.OwnerReassigned
    Visited = events.Visited
    FollowUpOverdue = events.FollowUpOverdue

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
        status: str,
        next_visit_due_on: date | None,
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
        self.status = status
        self.status_reason: str | None = None
        self.last_visited_on: date | None = None
        self.next_visit_due_on = next_visit_due_on

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
        visit_cycle: VisitCycle,
        today: date,
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
        found_through = one_of("channel", channel, Channel)
        require_text("needs", needs)
        if owner is not None:
            require_text("owner", owner)
        sealed = [sealed_contact(c, seal, f"contacts.{i}.") for i, c in enumerate(contacts)]
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
            status=CustomerStatus.PROSPECT.value,
            next_visit_due_on=next_visit(visit_cycle, CustomerStatus.PROSPECT, today),
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

    def _require_head(self, actor: Actor, what: str) -> None:
        require_acting(actor)
        if not (actor.is_head_of(self.department) or actor.has(Role.MANAGEMENT)):
            raise Forbidden(
                f"only the head of department {self.department} or management may {what}"
            )

    def _require_keeper(self, actor: Actor, what: str) -> None:
        """The owner keeps the file; the head of its department stands in for them."""
        require_acting(actor)
        if actor.user_id != self.owner and not actor.is_head_of(self.department):
            raise Forbidden(
                f"only the customer's owner or the head of department {self.department} may {what}"
            )

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

    def add_contact(self, actor: Actor, details: ContactDetails, seal: Seal) -> UUID:
        """Returns the new contact person's id."""
        self._require_keeper(actor, "add a contact person")
        self._require_personal_data_kept()
        contact = sealed_contact(details, seal)
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

    def change_contact(
        self, actor: Actor, contact_id: UUID, details: ContactDetails, seal: Seal
    ) -> None:
        """Replaces a contact person's details as a whole (a new phone, a new position)."""
        if contact_id not in self.contacts:
            raise NotFound(f"no contact person {contact_id} for customer {self.id}")
        self._require_keeper(actor, "change a contact person")
        self._require_personal_data_kept()
        contact = sealed_contact(details, seal)
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
        answer = one_of("outcome", outcome, ProposalOutcome)
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

    # --- status, owner and visit cycle (4.1, 4.2) -------------------------------------------

    def change_status(
        self, actor: Actor, *, status: str, reason: str, today: date, visit_cycle: VisitCycle
    ) -> None:
        """The owner, the head of the customer's department or management set where the
        relationship stands; going `dormant` or `lost` needs a reason. The next visit is then
        due by the new status's cycle, counted from the last visit (or from today, if none)."""
        require_acting(actor)
        if actor.user_id != self.owner and not (
            actor.is_head_of(self.department) or actor.has(Role.MANAGEMENT)
        ):
            raise Forbidden(
                f"only the customer's owner, the head of department {self.department} or "
                "management may change its status"
            )
        new = one_of("status", status, CustomerStatus)
        if new == self.status:
            raise RuleViolation("status", f"the customer is already {new}")
        if new in EXPLAINED_STATUSES and not reason.strip():
            raise RuleViolation("reason", f"a customer becomes {new} only with a reason")
        self._change_status(
            by=actor.user_id,
            status=new,
            previous=self.status,
            reason=reason,
            next_visit_due_on=next_visit(visit_cycle, new, self.last_visited_on or today),
        )

    @event(StatusChanged)
    def _change_status(
        self, by: str, status: str, previous: str, reason: str, next_visit_due_on: date | None
    ) -> None:
        self.status = status
        self.status_reason = reason or None
        self.next_visit_due_on = next_visit_due_on

    def reassign_owner(self, actor: Actor, *, owner: str, reason: str) -> None:
        """The head of the owner's department (the customer's) or management hands the
        customer to another owner; the customer stays in its department."""
        self._require_head(actor, "reassign the customer's owner")
        require_text("owner", owner)
        if owner == self.owner:
            raise RuleViolation("owner", f"{owner} already owns this customer")
        self._reassign_owner(
            by=actor.user_id,
            owner=owner,
            previous_owner=self.owner,
            department=self.department,
            reason=reason,
        )

    @event(OwnerReassigned)
    def _reassign_owner(
        self, by: str, owner: str, previous_owner: str, department: str, reason: str
    ) -> None:
        self.owner = owner

    def record_visit(
        self, *, by: str, follow_up_id: UUID, visited_on: date, visit_cycle: VisitCycle
    ) -> None:
        """A follow-up visit was recorded (the follow-up checked who may record it): the
        next visit is due a cycle after the latest one."""
        last = max(visited_on, self.last_visited_on or visited_on)
        self._visited(
            by=by,
            follow_up_id=follow_up_id,
            visited_on=visited_on,
            next_visit_due_on=next_visit(visit_cycle, self.status, last),
        )

    @event(Visited)
    def _visited(
        self, by: str, follow_up_id: UUID, visited_on: date, next_visit_due_on: date | None
    ) -> None:
        self.last_visited_on = max(visited_on, self.last_visited_on or visited_on)
        self.next_visit_due_on = next_visit_due_on

    def follow_up_overdue(self, now: datetime, visit_cycle: VisitCycle) -> None:
        """The deadline check: a customer not visited by the end of its due day is reported
        overdue, once for that cycle; the next report falls at the end of the cycle running
        now, if it is still not visited by then. Cycles missed while nobody looked (the
        scheduler stopped) make one report, not one each."""
        require_aware("now", now)
        due = self.next_visit_due_on
        if due is None:
            raise InvalidTransition(f"customer {self.id} owes no visit")
        if company_day(now) <= due:
            raise InvalidTransition(f"customer {self.id} is to be visited by {due}")
        self._follow_up_overdue(
            by=None,
            owner=self.owner,
            department=self.department,
            status=self.status,
            due_on=due,
            last_visited_on=self.last_visited_on,
            next_visit_due_on=_cycle_running(visit_cycle.get(self.status), due, company_day(now)),
            time_zone=zone_name(),
        )

    @event(FollowUpOverdue)
    def _follow_up_overdue(
        self,
        by: str | None,
        owner: str,
        department: str,
        status: str,
        due_on: date,
        last_visited_on: date | None,
        next_visit_due_on: date | None,
        time_zone: str,
    ) -> None:
        self.next_visit_due_on = next_visit_due_on
