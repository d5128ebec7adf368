"""The finance service's commands: load, decide (the budget does), save."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from bizdev_common.domain import Actor, InvalidTransition, Money
from bizdev_common.eventstore import CommandResult, ServiceApplication
from bizdev_common.scheduler import clock_for
from bizdev_common.settings import ServiceSettings
from eventsourcing.persistence import DecimalAsStr, JSONTranscoder

from bizdev_finance.domain import Budget, Period, PlannedLine, Receivable, month_of


class FinanceApplication(ServiceApplication):
    name = "finance"

    def __init__(self, settings: ServiceSettings) -> None:
        super().__init__(settings)
        self.clock = clock_for(settings)

    def _today(self) -> date:
        return self.clock.now().date()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DecimalAsStr())  # contingency percents and ceilings, exactly

    def _closed(self, day: date) -> bool:
        return self.find(Period, Period.create_id(month_of(day))) is not None

    def close_period(self, actor: Actor, year: int, month: int) -> CommandResult:
        period = Period.close(actor, year, month, self._today())
        if self.find(Period, period.id) is not None:
            raise InvalidTransition(f"{period.month} is already closed")
        return self.commit(period)

    def explain_variance(
        self,
        actor: Actor,
        period_id: UUID,
        expected_version: int | None,
        *,
        budget_id: UUID,
        line_id: UUID,
        reason: str,
        improvement: str,
    ) -> CommandResult:
        period = self.load(Period, period_id, expected_version)
        period.explain(actor, budget_id, line_id, reason=reason, improvement=improvement)
        return self.commit(period)

    def finalize_period(
        self,
        actor: Actor,
        period_id: UUID,
        expected_version: int | None,
        over_threshold: set[tuple[UUID, UUID]],
    ) -> CommandResult:
        """`over_threshold`: the lines the period's figures (the variance report) show past
        the threshold, which the period checks are explained."""
        period = self.load(Period, period_id, expected_version)
        period.finalize(actor, over_threshold)
        return self.commit(period)

    def approve_budget(
        self,
        actor: Actor,
        budget_id: UUID,
        expected_version: int | None,
        contingency_percent: Decimal,
    ) -> CommandResult:
        budget = self.load(Budget, budget_id, expected_version)
        budget.approve(actor, contingency_percent)
        return self.commit(budget)

    def revise_budget(
        self,
        actor: Actor,
        budget_id: UUID,
        expected_version: int | None,
        *,
        reason: str,
        lines: Iterable[PlannedLine],
        contingency_percent: Decimal,
    ) -> CommandResult:
        budget = self.load(Budget, budget_id, expected_version)
        budget.revise(actor, reason=reason, lines=lines, contingency_percent=contingency_percent)
        return self.commit(budget)

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
        expense_id = budget.record_expense(
            actor,
            line_id=line_id,
            amount=amount,
            spent_on=spent_on,
            vendor=vendor,
            description=description,
            reason=reason,
            necessity=necessity,
            period_closed=self._closed(spent_on),
        )
        return self.commit(budget), expense_id

    def approve_overspend(
        self, actor: Actor, budget_id: UUID, expected_version: int | None, expense_id: UUID
    ) -> CommandResult:
        budget = self.load(Budget, budget_id, expected_version)
        held = budget.expenses.get(expense_id)
        closed = held is not None and self._closed(held["spent_on"])
        budget.approve_overspend(actor, expense_id, period_closed=closed)
        return self.commit(budget)

    def refuse_overspend(
        self,
        actor: Actor,
        budget_id: UUID,
        expected_version: int | None,
        expense_id: UUID,
        reason: str,
    ) -> CommandResult:
        budget = self.load(Budget, budget_id, expected_version)
        budget.refuse_overspend(actor, expense_id, reason)
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
        return self.commit(receivable), invoice_id

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

    def invoice_overdue(
        self, receivable_id: UUID, invoice_id: UUID, now: datetime
    ) -> CommandResult:
        receivable = self.load(Receivable, receivable_id)
        receivable.overdue(invoice_id, now)
        return self.commit(receivable)
