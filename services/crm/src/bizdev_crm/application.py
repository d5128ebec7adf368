"""The crm service's commands: load, decide (the aggregate does), save. Beyond that, only the
two things the domain must not do itself: reach the customers' keys (personal_data.py), and
read the clock (when a complaint was received, what today is)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from bizdev_common.days import company_day
from bizdev_common.domain import Actor, InvalidTransition, Money, NotFound, RuleViolation
from bizdev_common.eventstore import CommandResult, ServiceApplication
from bizdev_common.scheduler import clock_for
from eventsourcing.persistence import JSONTranscoder

from bizdev_crm.domain import (
    Complaint,
    ContactDetails,
    Contract,
    ContractNumber,
    Customer,
    CustomerEvent,
    Deadline,
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
        self.resolution_hours = dict(settings.complaint_resolution_hours)
        self.visit_cycle = dict(settings.follow_up_cycle_days)
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

    def _today(self) -> date:
        return company_day(self.clock.now())

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
            visit_cycle=self.visit_cycle,
            today=self._today(),
        )
        # The key is kept before the events that need it: a key left without events (the
        # commit failed) is harmless, events without their key would be unreadable.
        self.keys.store(customer.id, key)
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

    def change_customer_status(
        self,
        actor: Actor,
        customer_id: UUID,
        expected_version: int | None,
        *,
        status: str,
        reason: str,
    ) -> CommandResult:
        customer = self.load(Customer, customer_id, expected_version)
        customer.change_status(
            actor, status=status, reason=reason, today=self._today(), visit_cycle=self.visit_cycle
        )
        return self.commit(customer)

    def follow_up_overdue(self, customer_id: UUID, now: datetime) -> CommandResult:
        """The deadline check's command: the customer refuses unless a visit is overdue for
        a cycle not reported yet."""
        customer = self.load(Customer, customer_id)
        customer.follow_up_overdue(now, self.visit_cycle)
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
        """The visit also restarts the customer's visit cycle: both in one save."""
        follow_up = self.load(FollowUp, follow_up_id, expected_version)
        follow_up.record_outcome(
            actor, visited_on=visited_on, satisfaction=satisfaction, notes=notes
        )
        customer = self.load(Customer, follow_up.customer_id)
        customer.record_visit(
            by=actor.user_id,
            follow_up_id=follow_up.id,
            visited_on=visited_on,
            visit_cycle=self.visit_cycle,
        )
        return self.commit(follow_up, customer)

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
            resolution_hours=self.resolution_hours,
        )
        return self.commit(complaint)

    def reopen_complaint(
        self, actor: Actor, complaint_id: UUID, expected_version: int | None, reason: str
    ) -> CommandResult:
        complaint = self.load(Complaint, complaint_id, expected_version)
        complaint.reopen(actor, reason=reason, now=self.clock.now())
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
        confirmed_by: str | None,
        confirmation_channel: str | None,
        confirmed_on: date | None,
        confirmed_with: UUID | None,
    ) -> CommandResult:
        complaint = self.load(Complaint, complaint_id, expected_version)
        complaint.close(
            actor,
            cause=cause,
            root_cause=root_cause,
            corrective_action=corrective_action,
            satisfaction=satisfaction,
            confirmed_by=confirmed_by,
            confirmation_channel=confirmation_channel,
            confirmed_on=confirmed_on,
            confirmed_with=confirmed_with,
            today=self._today(),
            contacts=self.load(Customer, complaint.customer_id).contacts,
        )
        return self.commit(complaint)

    def add_corrective_action(
        self,
        actor: Actor,
        complaint_id: UUID,
        expected_version: int | None,
        *,
        description: str,
        owner: str,
        due_on: date,
    ) -> tuple[CommandResult, UUID]:
        complaint = self.load(Complaint, complaint_id, expected_version)
        action_id = complaint.add_corrective_action(
            actor, description=description, owner=owner, due_on=due_on, today=self._today()
        )
        return self.commit(complaint), action_id

    def complete_corrective_action(
        self,
        actor: Actor,
        complaint_id: UUID,
        expected_version: int | None,
        action_id: UUID,
        outcome: str,
    ) -> CommandResult:
        complaint = self.load(Complaint, complaint_id, expected_version)
        complaint.complete_corrective_action(actor, action_id, outcome=outcome, today=self._today())
        return self.commit(complaint)

    def escalate_complaint(
        self, complaint_id: UUID, now: datetime, deadline: Deadline = Deadline.RESPONSE
    ) -> CommandResult:
        """The deadline check's command; the complaint itself refuses a level it reached, and
        a stale write (a command committed meanwhile) leaves the deadline for the next tick."""
        complaint = self.load(Complaint, complaint_id)
        complaint.escalate(now, deadline)
        return self.commit(complaint)

    # --- contracts ----------------------------------------------------------------------------

    def draft_contract(
        self,
        actor: Actor,
        *,
        customer_id: UUID,
        number: str,
        title: str,
        value: Money,
        salesperson: str | None,
        project_id: UUID | None,
    ) -> CommandResult:
        """The contract and its number are saved together: a number already taken is refused
        here (422), and one taken by a concurrent draft meanwhile by the event store (409)."""
        contract, taken = Contract.draft(
            actor,
            self._customer(customer_id),
            number=number,
            title=title,
            value=value,
            salesperson=salesperson,
            project_id=project_id,
        )
        holder = self.find(ContractNumber, taken.id)
        if holder is not None:
            raise RuleViolation(
                "number", f"contract number {holder.number} is taken by {holder.contract_id}"
            )
        return self.commit(contract, taken)

    def sign_contract(
        self, actor: Actor, contract_id: UUID, expected_version: int | None, signed_on: date
    ) -> CommandResult:
        contract = self.load(Contract, contract_id, expected_version)
        contract.sign(actor, signed_on=signed_on, today=self._today())
        return self.commit(contract)

    def complete_contract(
        self, actor: Actor, contract_id: UUID, expected_version: int | None, completed_on: date
    ) -> CommandResult:
        contract = self.load(Contract, contract_id, expected_version)
        contract.complete(actor, completed_on=completed_on, today=self._today())
        return self.commit(contract)

    def terminate_contract(
        self, actor: Actor, contract_id: UUID, expected_version: int | None, reason: str
    ) -> CommandResult:
        contract = self.load(Contract, contract_id, expected_version)
        contract.terminate(actor, reason=reason, today=self._today())
        return self.commit(contract)
