"""Contracts with customers (REGULATIONS §4.2 dealings; the source of revenue in finance, of
sales in performance, and of the contract category of records, §9.1)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    Role,
    RuleViolation,
    require_acting,
    require_not_self,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_crm.domain.values import ContractState

if TYPE_CHECKING:
    from bizdev_crm.domain.customer import Customer

_NUMBERS = uuid5(NAMESPACE_URL, "urn:bizdev:crm:contract-number")


def number_key(number: str) -> str:
    """What makes two numbers the same: case and runs of white space do not count."""
    return " ".join(number.split()).casefold()


class ContractNumber(Aggregate):
    """A contract number taken. Its id derives from the number, so a second contract with
    the same number makes a second record with the same id in the same save as that
    contract's first event: the event store refuses it, in that one transaction, whoever
    tries at the same moment. Kept inside crm, never published."""

    @staticmethod
    def create_id(number: str) -> UUID:
        return uuid5(_NUMBERS, number_key(number))

    @event("Taken")
    def __init__(self, number: str, contract_id: UUID) -> None:
        self.number = number
        self.contract_id = contract_id


class Contract(Aggregate):
    """A contract with a customer: drafted by the sales side (`draft`), signed (`signed`,
    on its signing date), then `completed`, or `terminated` with a reason.

    Who may act: an employee of the customer's department (or its owner) drafts it, naming
    the salesperson (by default themself); the head of that department or management
    records it signed, never the contract's own salesperson (a person never approves their
    own submission); the salesperson, the head or management record it completed; the head
    or management terminate it."""

    class Drafted(Aggregate.Created):
        by: str
        number: str
        title: str
        value: Money
        customer_id: UUID
        department: str
        salesperson: str
        project_id: UUID | None

    @event(Drafted)
    def __init__(
        self,
        by: str,
        number: str,
        title: str,
        value: Money,
        customer_id: UUID,
        department: str,
        salesperson: str,
        project_id: UUID | None,
    ) -> None:
        self.drafted_by = by
        self.number = number
        self.title = title
        self.value = value
        self.customer_id = customer_id
        self.department = department
        self.salesperson = salesperson
        self.project_id = project_id
        self.state = ContractState.DRAFT
        self.signed_on: date | None = None
        self.completed_on: date | None = None
        self.terminated_on: date | None = None
        self.termination_reason: str | None = None

    @classmethod
    def draft(
        cls,
        actor: Actor,
        customer: Customer,
        *,
        number: str,
        title: str,
        value: Money,
        salesperson: str | None = None,
        project_id: UUID | None = None,
    ) -> tuple[Contract, ContractNumber]:
        """The contract and the record of its number, to be saved together."""
        require_role(actor, Role.EMPLOYEE, Role.MANAGEMENT)
        if (
            actor.department != customer.department
            and actor.user_id != customer.owner
            and not actor.has(Role.MANAGEMENT)
        ):
            raise Forbidden(
                f"only the customer's department ({customer.department}), its owner or "
                "management may draft its contracts"
            )
        require_text("number", number)
        require_text("title", title)
        if value.amount <= 0:
            raise RuleViolation("value", "a contract's value is more than zero")
        if salesperson is not None:
            require_text("salesperson", salesperson)
        contract = cls(
            by=actor.user_id,
            number=" ".join(number.split()),
            title=title,
            value=value,
            customer_id=customer.id,
            department=customer.department,
            salesperson=salesperson or actor.user_id,
            project_id=project_id,
        )
        return contract, ContractNumber(number=contract.number, contract_id=contract.id)

    def _require_head(self, actor: Actor, what: str) -> None:
        require_acting(actor)
        if not (actor.is_head_of(self.department) or actor.has(Role.MANAGEMENT)):
            raise Forbidden(
                f"only the head of department {self.department} or management may {what}"
            )

    def _require_state(self, what: str, *allowed: ContractState) -> None:
        if self.state not in allowed:
            raise InvalidTransition(f"cannot {what} a contract that is {self.state}")

    class Signed(Aggregate.Event):
        by: str
        number: str
        title: str
        customer_id: UUID
        department: str
        salesperson: str
        project_id: UUID | None
        value: Money
        signed_on: date

    def sign(self, actor: Actor, *, signed_on: date, today: date) -> None:
        """The head of the contract's department or management record it signed with the
        customer on `signed_on` (not after `today`)."""
        self._require_head(actor, "record a contract signed")
        require_not_self(actor, self.salesperson, "sign off")
        self._require_state("sign", ContractState.DRAFT)
        if signed_on > today:
            raise RuleViolation("signed_on", f"a contract is signed today ({today}) or before")
        self._sign(
            by=actor.user_id,
            number=self.number,
            title=self.title,
            customer_id=self.customer_id,
            department=self.department,
            salesperson=self.salesperson,
            project_id=self.project_id,
            value=self.value,
            signed_on=signed_on,
        )

    @event(Signed)
    def _sign(
        self,
        by: str,
        number: str,
        title: str,
        customer_id: UUID,
        department: str,
        salesperson: str,
        project_id: UUID | None,
        value: Money,
        signed_on: date,
    ) -> None:
        self.state = ContractState.SIGNED
        self.signed_on = signed_on

    class Completed(Aggregate.Event):
        by: str
        number: str
        customer_id: UUID
        salesperson: str
        project_id: UUID | None
        value: Money
        signed_on: date
        completed_on: date

    def complete(self, actor: Actor, *, completed_on: date, today: date) -> None:
        """Both sides did what the contract says: recorded by its salesperson, the head of
        its department or management, on a day between signing and `today`."""
        require_acting(actor)
        if actor.user_id != self.salesperson and not (
            actor.is_head_of(self.department) or actor.has(Role.MANAGEMENT)
        ):
            raise Forbidden(
                f"only the contract's salesperson, the head of department {self.department} "
                "or management may record it completed"
            )
        self._require_state("complete", ContractState.SIGNED)
        assert self.signed_on is not None
        if not self.signed_on <= completed_on <= today:
            raise RuleViolation(
                "completed_on",
                f"a contract is completed between its signing ({self.signed_on}) and today",
            )
        self._complete(
            by=actor.user_id,
            number=self.number,
            customer_id=self.customer_id,
            salesperson=self.salesperson,
            project_id=self.project_id,
            value=self.value,
            signed_on=self.signed_on,
            completed_on=completed_on,
        )

    @event(Completed)
    def _complete(
        self,
        by: str,
        number: str,
        customer_id: UUID,
        salesperson: str,
        project_id: UUID | None,
        value: Money,
        signed_on: date,
        completed_on: date,
    ) -> None:
        self.state = ContractState.COMPLETED
        self.completed_on = completed_on

    class Terminated(Aggregate.Event):
        by: str
        number: str
        customer_id: UUID
        salesperson: str
        project_id: UUID | None
        value: Money
        signed_on: date | None
        terminated_on: date
        reason: str

    def terminate(self, actor: Actor, *, reason: str, today: date) -> None:
        """The head of the contract's department or management end a draft or a signed
        contract before it is completed, with the reason."""
        self._require_head(actor, "terminate a contract")
        self._require_state("terminate", ContractState.DRAFT, ContractState.SIGNED)
        require_text("reason", reason)
        self._terminate(
            by=actor.user_id,
            number=self.number,
            customer_id=self.customer_id,
            salesperson=self.salesperson,
            project_id=self.project_id,
            value=self.value,
            signed_on=self.signed_on,
            terminated_on=today,
            reason=reason,
        )

    @event(Terminated)
    def _terminate(
        self,
        by: str,
        number: str,
        customer_id: UUID,
        salesperson: str,
        project_id: UUID | None,
        value: Money,
        signed_on: date | None,
        terminated_on: date,
        reason: str,
    ) -> None:
        self.state = ContractState.TERMINATED
        self.terminated_on = terminated_on
        self.termination_reason = reason
