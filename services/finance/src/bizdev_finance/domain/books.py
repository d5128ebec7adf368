"""The books: which budgets and receivables exist and which months are closed, company-wide.

One record that opening a budget or a receivable and closing a month all write: one opened
while a month closes either is in the close's list, or learns the month is closed, never
neither (the event store refuses the second of two saves from the same version)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

BOOKS_ID = uuid5(NAMESPACE_URL, "urn:bizdev:finance:books")


class Books(Aggregate):
    class Started(Aggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        self.budget_ids: list[UUID] = []
        self.receivable_ids: list[UUID] = []
        self.closed_months: set[str] = set()

    @staticmethod
    def create_id() -> UUID:
        return BOOKS_ID

    class BudgetEntered(Aggregate.Event):
        budget_id: UUID

    def enter(self, budget_id: UUID) -> None:
        if budget_id not in self.budget_ids:
            self._enter(budget_id=budget_id)

    @event(BudgetEntered)
    def _enter(self, budget_id: UUID) -> None:
        self.budget_ids.append(budget_id)

    class ReceivableEntered(Aggregate.Event):
        receivable_id: UUID

    def enter_receivable(self, receivable_id: UUID) -> None:
        if receivable_id not in self.receivable_ids:
            self._enter_receivable(receivable_id=receivable_id)

    @event(ReceivableEntered)
    def _enter_receivable(self, receivable_id: UUID) -> None:
        self.receivable_ids.append(receivable_id)

    class MonthClosed(Aggregate.Event):
        month: str

    def close_month(self, month: str) -> None:
        self._close(month=month)

    @event(MonthClosed)
    def _close(self, month: str) -> None:
        self.closed_months.add(month)
