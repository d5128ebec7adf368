"""The finance service's commands: load, decide (the budget does), save."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from bizdev_common.days import company_day, zone_name
from bizdev_common.domain import Actor, InvalidTransition, Money
from bizdev_common.eventstore import CommandResult, ServiceApplication, VersionConflict
from bizdev_common.scheduler import clock_for
from eventsourcing.persistence import DecimalAsStr, JSONTranscoder

from bizdev_finance.domain import (
    Books,
    Budget,
    InvoiceNumber,
    ProjectTeam,
    Receivable,
    close_month,
)
from bizdev_finance.settings import FinanceSettings

CLOSE_ATTEMPTS = 3
"""The close writes every budget and receivable: a command on one of them meanwhile makes it
start over."""


class FinanceApplication(ServiceApplication):
    name = "finance"

    def __init__(self, settings: FinanceSettings) -> None:
        super().__init__(settings)
        self.clock = clock_for(settings)
        self.variance_threshold = settings.variance_threshold_percent

    def _today(self) -> date:
        return company_day(self.clock.now())

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DecimalAsStr())  # contingency percents and ceilings, exactly

    def books(self) -> Books:
        """The books, started by the first budget or close that needs them."""
        return self.find(Books, Books.create_id()) or Books()

    def close_period(self, actor: Actor, year: int, month: int) -> CommandResult:
        """The close and every budget and receivable the books list, saved together (see
        domain.period)."""
        for attempt in range(1, CLOSE_ATTEMPTS + 1):
            books = self.books()
            budgets = [self.load(Budget, budget_id) for budget_id in books.budget_ids]
            receivables = [self.load(Receivable, i) for i in books.receivable_ids]
            period = close_month(
                actor,
                year,
                month,
                today=self._today(),
                time_zone=zone_name(),
                threshold_percent=self.variance_threshold,
                books=books,
                budgets=budgets,
                receivables=receivables,
            )
            try:
                return self.commit(period, books, *budgets, *receivables)
            except VersionConflict:
                if attempt == CLOSE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def record_expense(
        self,
        actor: Actor,
        budget_id: UUID,
        expected_version: int | None,
        *,
        line_id: UUID,
        amount: Money,
        spent_on: date,
        vendor: str,
        description: str,
        reason: str | None,
        necessity: str | None,
    ) -> tuple[CommandResult, UUID]:
        budget = self.load(Budget, budget_id, expected_version)
        team = self.find(ProjectTeam, ProjectTeam.create_id(budget.project_id))
        expense_id = budget.record_expense(
            actor,
            team,
            line_id=line_id,
            amount=amount,
            spent_on=spent_on,
            vendor=vendor,
            description=description,
            reason=reason,
            necessity=necessity,
        )
        return self.commit(budget), expense_id

    def pay_expense(
        self,
        actor: Actor,
        budget_id: UUID,
        expected_version: int | None,
        expense_id: UUID,
        paid_on: date,
    ) -> CommandResult:
        budget = self.load(Budget, budget_id, expected_version)
        budget.pay_expense(actor, expense_id, paid_on=paid_on, today=self._today())
        return self.commit(budget)

    # --- receivables --------------------------------------------------------------------------

    def issue_invoice(
        self,
        actor: Actor,
        receivable_id: UUID,
        expected_version: int | None,
        *,
        number: str,
        amount: Money,
        due_on: date,
    ) -> tuple[CommandResult, UUID]:
        receivable = self.load(Receivable, receivable_id, expected_version)
        invoice_id = receivable.invoice(
            actor, number=number, amount=amount, due_on=due_on, today=self._today()
        )
        taken = self.find(InvoiceNumber, InvoiceNumber.create_id(number))
        if taken is not None:
            raise InvalidTransition(f"invoice number {taken.number} is already used")
        index = InvoiceNumber(number=number, receivable_id=receivable_id, invoice_id=invoice_id)
        try:
            return self.commit(receivable, index), invoice_id
        except VersionConflict as e:
            if self.find(InvoiceNumber, index.id) is not None:
                raise InvalidTransition(f"invoice number {number} is already used") from e
            raise

    def record_payment(
        self,
        actor: Actor,
        receivable_id: UUID,
        expected_version: int | None,
        invoice_id: UUID,
        *,
        amount: Money,
        paid_on: date,
    ) -> CommandResult:
        receivable = self.load(Receivable, receivable_id, expected_version)
        receivable.record_payment(
            actor, invoice_id, amount=amount, paid_on=paid_on, today=self._today()
        )
        return self.commit(receivable)
