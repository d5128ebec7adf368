"""What a customer owes under a signed contract: its invoices and the payments against them
(revenue and receivables; the overdue invoice is the credit signal for risk)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from bizdev_common.days import decided_in_utc, end_of, zone_name
from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Money,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_finance.domain.budget_lines import month_of

_RECEIVABLES = uuid5(NAMESPACE_URL, "urn:bizdev:finance:receivable")


@dataclass
class Invoice:
    number: str
    amount: Money
    issued_on: date
    due_on: date
    paid: Money
    overdue_raised: bool = False

    @property
    def outstanding(self) -> Money:
        return self.amount - self.paid


class Receivable(Aggregate):
    """The receivable schedule of one signed contract: finance issues invoices against it
    (never more in all than the contract's value, in its currency) and records payments;
    an invoice unpaid when its due date is over is reported overdue, once."""

    @staticmethod
    def create_id(contract_id: UUID) -> UUID:
        return uuid5(_RECEIVABLES, str(contract_id))

    class Opened(Aggregate.Created):
        contract_id: UUID
        contract_number: str
        customer_id: UUID
        department: str
        salesperson: str
        project_id: UUID | None
        value: Money
        signed_on: date
        closed_months: list[str]

    @event(Opened)
    def __init__(
        self,
        contract_id: UUID,
        contract_number: str,
        customer_id: UUID,
        department: str,
        salesperson: str,
        project_id: UUID | None,
        value: Money,
        signed_on: date,
        closed_months: list[str] | None = None,
    ) -> None:
        self.contract_id = contract_id
        self.contract_number = contract_number
        self.customer_id = customer_id
        self.department = department
        self.salesperson = salesperson
        self.project_id = project_id
        self.value = value
        self.signed_on = signed_on
        self.invoices: dict[UUID, Invoice] = {}
        self.closed_months: set[str] = set(closed_months or ())

    def _zero(self) -> Money:
        return Money(Decimal(0), self.value.currency)

    def invoiced(self) -> Money:
        total = self._zero()
        for invoice in self.invoices.values():
            total = total + invoice.amount
        return total

    class Invoiced(Aggregate.Event):
        by: str
        invoice_id: UUID
        number: str
        amount: Money
        issued_on: date
        due_on: date
        contract_id: UUID
        customer_id: UUID
        department: str
        salesperson: str
        project_id: UUID | None

    def invoice(
        self, actor: Actor, *, number: str, amount: Money, due_on: date, today: date
    ) -> UUID:
        """Finance invoices the customer (revenue is recorded): in the contract's currency,
        the invoices together no more than its value, due today or later. Its number is
        unique company-wide, which the application keeps with an InvoiceNumber record."""
        require_acting(actor)
        require_role(actor, Role.FINANCE)
        require_text("number", number)
        if amount.currency != self.value.currency:
            raise RuleViolation(
                "amount", f"the contract is in {self.value.currency}, not {amount.currency}"
            )
        if amount.amount <= 0:
            raise RuleViolation("amount", "an invoice is more than zero")
        if (self.invoiced() + amount).amount > self.value.amount:
            raise RuleViolation(
                "amount", f"the invoices would exceed the contract's value {self.value.amount}"
            )
        if due_on < today:
            raise RuleViolation("due_on", f"an invoice is due today ({today}) or later")
        invoice_id = uuid4()
        self._invoice(
            by=actor.user_id,
            invoice_id=invoice_id,
            number=number,
            amount=amount,
            issued_on=today,
            due_on=due_on,
            contract_id=self.contract_id,
            customer_id=self.customer_id,
            department=self.department,
            salesperson=self.salesperson,
            project_id=self.project_id,
        )
        return invoice_id

    @event(Invoiced)
    def _invoice(
        self,
        by: str,
        invoice_id: UUID,
        number: str,
        amount: Money,
        issued_on: date,
        due_on: date,
        contract_id: UUID,
        customer_id: UUID,
        department: str,
        salesperson: str,
        project_id: UUID | None,
    ) -> None:
        self.invoices[invoice_id] = Invoice(number, amount, issued_on, due_on, self._zero())

    def _invoice_of(self, invoice_id: UUID) -> Invoice:
        found = self.invoices.get(invoice_id)
        if found is None:
            raise RuleViolation("invoice_id", f"no invoice {invoice_id} on this contract")
        return found

    class PaymentReceived(Aggregate.Event):
        by: str
        invoice_id: UUID
        amount: Money
        paid_on: date
        outstanding: Money
        customer_id: UUID
        project_id: UUID | None

    def record_payment(
        self, actor: Actor, invoice_id: UUID, *, amount: Money, paid_on: date, today: date
    ) -> None:
        """Finance records a payment of an invoice: no more than is outstanding, in its
        currency, received between the invoicing and today, in a period still open."""
        require_acting(actor)
        require_role(actor, Role.FINANCE)
        invoice = self._invoice_of(invoice_id)
        if invoice.outstanding.amount == 0:
            raise InvalidTransition(f"invoice {invoice.number} is paid")
        if amount.currency != invoice.amount.currency:
            raise RuleViolation(
                "amount", f"the invoice is in {invoice.amount.currency}, not {amount.currency}"
            )
        if not 0 < amount.amount <= invoice.outstanding.amount:
            raise RuleViolation(
                "amount", f"a payment is more than zero and at most {invoice.outstanding.amount}"
            )
        if not invoice.issued_on <= paid_on <= today:
            raise RuleViolation("paid_on", "a payment is received between invoicing and today")
        if month_of(paid_on) in self.closed_months:
            raise RuleViolation("paid_on", f"the period of {paid_on} is closed")
        self._pay(
            by=actor.user_id,
            invoice_id=invoice_id,
            amount=amount,
            paid_on=paid_on,
            outstanding=invoice.outstanding - amount,
            customer_id=self.customer_id,
            project_id=self.project_id,
        )

    @event(PaymentReceived)
    def _pay(
        self,
        by: str,
        invoice_id: UUID,
        amount: Money,
        paid_on: date,
        outstanding: Money,
        customer_id: UUID,
        project_id: UUID | None,
    ) -> None:
        invoice = self.invoices[invoice_id]
        invoice.paid = invoice.paid + amount

    class Overdue(Aggregate.Event):
        class_version = 2
        invoice_id: UUID
        number: str
        outstanding: Money
        due_on: date
        contract_id: UUID
        customer_id: UUID
        salesperson: str
        project_id: UUID | None
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    def overdue(self, invoice_id: UUID, now: datetime) -> None:
        """The deadline check: an invoice unpaid when its due date is over, once."""
        invoice = self._invoice_of(invoice_id)
        if invoice.outstanding.amount == 0:
            raise InvalidTransition(f"invoice {invoice.number} is paid")
        if invoice.overdue_raised:
            raise InvalidTransition(f"invoice {invoice.number} is already reported overdue")
        if now < end_of(invoice.due_on):
            raise InvalidTransition(f"invoice {invoice.number} is due on {invoice.due_on}")
        self._overdue(
            invoice_id=invoice_id,
            number=invoice.number,
            outstanding=invoice.outstanding,
            due_on=invoice.due_on,
            contract_id=self.contract_id,
            customer_id=self.customer_id,
            salesperson=self.salesperson,
            project_id=self.project_id,
            time_zone=zone_name(),
        )

    @event(Overdue)
    def _overdue(
        self,
        invoice_id: UUID,
        number: str,
        outstanding: Money,
        due_on: date,
        contract_id: UUID,
        customer_id: UUID,
        salesperson: str,
        project_id: UUID | None,
        time_zone: str,
    ) -> None:
        self.invoices[invoice_id].overdue_raised = True

    class MonthClosed(Aggregate.Event):
        month: str

    def close_month(self, month: str) -> None:
        """The books closed `month`: no payment dated inside it from now on (see
        period.close_month, which saves it with the period)."""
        self._close_month(month=month)

    @event(MonthClosed)
    def _close_month(self, month: str) -> None:
        self.closed_months.add(month)
