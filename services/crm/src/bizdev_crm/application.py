"""The crm service's commands: load, decide (the aggregate does), save. Beyond that, only the
two things the domain must not do itself: reach the customers' keys (personal_data.py), and
read the clock for when a complaint was received."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from bizdev_common.domain import Actor, InvalidTransition, Money, NotFound, RuleViolation
from bizdev_common.eventstore import CommandResult, ServiceApplication
from bizdev_common.scheduler import clock_for
from eventsourcing.persistence import JSONTranscoder

from bizdev_crm.domain import (
    Complaint,
    ContactDetails,
    Customer,
    CustomerEvent,
    FollowUp,
    Seal,
    Sealed,
)
from bizdev_crm.personal_data import (
    CustomerKey,
    KeyStore,
    OpenedContact,
    SealedAsText,
    open_contacts,
)
from bizdev_crm.settings import CrmSettings


class CrmApplication(ServiceApplication):
    name = "crm"

    def __init__(self, settings: CrmSettings) -> None:
        super().__init__(settings)
        self.response_hours = dict(settings.complaint_response_hours)
        self.clock = clock_for(settings)
        self.keys = KeyStore(
            settings.database_url,
            settings.schema_name,
            settings.kek_ring,
            settings.key_store_connections,
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SealedAsText())

    def close(self) -> None:
        self.keys.close()
        super().close()

    def _customer(self, customer_id: UUID) -> Customer:
        """A customer named in a command's body: unknown is a fault of the body (422)."""
        try:
            return self.load(Customer, customer_id)
        except NotFound as e:
            raise RuleViolation("customer_id", f"no customer with id {customer_id}") from e

    def _seal_for(self, customer_id: UUID) -> Seal:
        key = self.keys.key_of(customer_id)
        if key is not None:
            return key.seal

        # The key is destroyed before the erasure is recorded (see erase_personal_data), so a
        # customer may briefly have no key without being marked erased yet.
        def erased(_: str) -> Sealed:
            raise InvalidTransition(f"the personal data of customer {customer_id} is erased")

        return erased

    # --- customers ----------------------------------------------------------------------------

    def contacts_seen_by(self, actor: Actor, customer_id: UUID) -> tuple[list[OpenedContact], bool]:
        """The customer's contact persons as `actor` may see them, and whether they are
        masked (the customer decides who needs to know)."""
        customer = self.load(Customer, customer_id)
        key = None if customer.personal_data_erased else self.keys.key_of(customer_id)
        in_clear = customer.shows_personal_data_to(actor)
        return open_contacts(key, customer.contacts, in_clear=in_clear), not in_clear

    def register_customer(
        self,
        actor: Actor,
        *,
        name: str,
        industry: str,
        channel: str,
        needs: str,
        owner: str | None,
        address: str,
        preferences: str,
        contacts: Sequence[ContactDetails],
    ) -> CommandResult:
        key = CustomerKey.new()
        customer = Customer.register(
            actor,
            name=name,
            industry=industry,
            channel=channel,
            needs=needs,
            owner=owner,
            address=address,
            preferences=preferences,
            contacts=contacts,
            seal=key.seal,
        )
        # The key is kept before the events that need it: a key left without events (the
        # commit failed) is harmless, events without their key would be unreadable.
        self.keys.store(customer.id, key)
        return self.commit(customer)

    def update_customer_file(
        self,
        actor: Actor,
        customer_id: UUID,
        expected_version: int | None,
        *,
        name: str | None,
        industry: str | None,
        address: str | None,
        needs: str | None,
        preferences: str | None,
    ) -> CommandResult:
        customer = self.load(Customer, customer_id, expected_version)
        customer.update_file(
            actor,
            name=name,
            industry=industry,
            address=address,
            needs=needs,
            preferences=preferences,
        )
        return self.commit(customer)

    def add_contact(
        self,
        actor: Actor,
        customer_id: UUID,
        expected_version: int | None,
        details: ContactDetails,
    ) -> tuple[CommandResult, UUID]:
        customer = self.load(Customer, customer_id, expected_version)
        contact_id = customer.add_contact(actor, details, self._seal_for(customer_id))
        return self.commit(customer), contact_id

    def change_contact(
        self,
        actor: Actor,
        customer_id: UUID,
        expected_version: int | None,
        contact_id: UUID,
        details: ContactDetails,
    ) -> CommandResult:
        customer = self.load(Customer, customer_id, expected_version)
        customer.change_contact(actor, contact_id, details, self._seal_for(customer_id))
        return self.commit(customer)

    def offer_proposal(
        self,
        actor: Actor,
        customer_id: UUID,
        expected_version: int | None,
        *,
        title: str,
        description: str,
        value: Money,
    ) -> tuple[CommandResult, UUID]:
        customer = self.load(Customer, customer_id, expected_version)
        proposal_id = customer.offer_proposal(
            actor, title=title, description=description, value=value
        )
        return self.commit(customer), proposal_id

    def record_proposal_outcome(
        self,
        actor: Actor,
        customer_id: UUID,
        expected_version: int | None,
        *,
        proposal_id: UUID,
        outcome: str,
        notes: str,
    ) -> CommandResult:
        customer = self.load(Customer, customer_id, expected_version)
        customer.record_proposal_outcome(
            actor, proposal_id=proposal_id, outcome=outcome, notes=notes
        )
        return self.commit(customer)

    def erase_personal_data(
        self, actor: Actor, customer_id: UUID, expected_version: int | None, reason: str
    ) -> CommandResult:
        """The key goes first: erasure cannot be undone, so should recording it fail, the
        data is gone all the same and a retry records it (destroying is idempotent)."""
        customer = self.load(Customer, customer_id, expected_version)
        customer.erase_personal_data(actor, reason=reason)
        self.keys.destroy(customer_id)
        return self.commit(customer)

    # --- follow-ups ---------------------------------------------------------------------------

    def schedule_follow_up(
        self,
        actor: Actor,
        *,
        customer_id: UUID,
        due_on: date,
        purpose: str,
        visitor: str | None,
    ) -> CommandResult:
        customer = self._customer(customer_id)
        return self.commit(
            FollowUp.schedule(actor, customer, due_on=due_on, purpose=purpose, visitor=visitor)
        )

    def record_follow_up(
        self,
        actor: Actor,
        follow_up_id: UUID,
        expected_version: int | None,
        *,
        visited_on: date,
        satisfaction: int | None,
        notes: str,
    ) -> CommandResult:
        follow_up = self.load(FollowUp, follow_up_id, expected_version)
        follow_up.record_outcome(
            actor, visited_on=visited_on, satisfaction=satisfaction, notes=notes
        )
        return self.commit(follow_up)

    def cancel_follow_up(
        self, actor: Actor, follow_up_id: UUID, expected_version: int | None, reason: str
    ) -> CommandResult:
        follow_up = self.load(FollowUp, follow_up_id, expected_version)
        follow_up.cancel(actor, reason=reason)
        return self.commit(follow_up)

    # --- customer events ----------------------------------------------------------------------

    def plan_customer_event(
        self, actor: Actor, *, kind: str, title: str, held_on: date, venue: str
    ) -> CommandResult:
        return self.commit(
            CustomerEvent.plan(actor, kind=kind, title=title, held_on=held_on, venue=venue)
        )

    def invite_customer(
        self, actor: Actor, event_id: UUID, expected_version: int | None, customer_id: UUID
    ) -> CommandResult:
        customer_event = self.load(CustomerEvent, event_id, expected_version)
        customer_event.invite(actor, self._customer(customer_id))
        return self.commit(customer_event)

    def record_attendance(
        self,
        actor: Actor,
        event_id: UUID,
        expected_version: int | None,
        *,
        customer_id: UUID,
        attended: bool,
    ) -> CommandResult:
        customer_event = self.load(CustomerEvent, event_id, expected_version)
        customer_event.record_attendance(actor, customer_id=customer_id, attended=attended)
        return self.commit(customer_event)

    def cancel_customer_event(
        self, actor: Actor, event_id: UUID, expected_version: int | None, reason: str
    ) -> CommandResult:
        customer_event = self.load(CustomerEvent, event_id, expected_version)
        customer_event.cancel(actor, reason=reason)
        return self.commit(customer_event)

    # --- complaints ---------------------------------------------------------------------------

    def receive_complaint(
        self,
        actor: Actor,
        *,
        customer_id: UUID,
        channel: str,
        severity: str,
        subject: str,
        description: str,
        contact_id: UUID | None,
    ) -> CommandResult:
        complaint = Complaint.receive(
            actor,
            self._customer(customer_id),
            channel=channel,
            severity=severity,
            subject=subject,
            description=description,
            contact_id=contact_id,
            received_at=self.clock.now(),
            response_hours=self.response_hours,
        )
        return self.commit(complaint)

    def assign_complaint(
        self, actor: Actor, complaint_id: UUID, expected_version: int | None, owner: str
    ) -> CommandResult:
        complaint = self.load(Complaint, complaint_id, expected_version)
        complaint.assign(actor, owner=owner)
        return self.commit(complaint)

    def respond_to_complaint(
        self, actor: Actor, complaint_id: UUID, expected_version: int | None, proposal: str
    ) -> CommandResult:
        complaint = self.load(Complaint, complaint_id, expected_version)
        complaint.respond(actor, proposal=proposal)
        return self.commit(complaint)

    def resolve_complaint(
        self, actor: Actor, complaint_id: UUID, expected_version: int | None, resolution: str
    ) -> CommandResult:
        complaint = self.load(Complaint, complaint_id, expected_version)
        complaint.resolve(actor, resolution=resolution)
        return self.commit(complaint)

    def reopen_complaint(
        self, actor: Actor, complaint_id: UUID, expected_version: int | None, reason: str
    ) -> CommandResult:
        complaint = self.load(Complaint, complaint_id, expected_version)
        complaint.reopen(actor, reason=reason)
        return self.commit(complaint)

    def close_complaint(
        self,
        actor: Actor,
        complaint_id: UUID,
        expected_version: int | None,
        *,
        cause: str | None,
        root_cause: str | None,
        corrective_action: str | None,
        satisfaction: int | None,
    ) -> CommandResult:
        complaint = self.load(Complaint, complaint_id, expected_version)
        complaint.close(
            actor,
            cause=cause,
            root_cause=root_cause,
            corrective_action=corrective_action,
            satisfaction=satisfaction,
        )
        return self.commit(complaint)

    def escalate_complaint(self, complaint_id: UUID, now: datetime) -> CommandResult:
        """The deadline check's command; the complaint itself refuses a second escalation, and
        a stale write (a command committed meanwhile) leaves the deadline for the next tick."""
        complaint = self.load(Complaint, complaint_id)
        complaint.escalate(now)
        return self.commit(complaint)
