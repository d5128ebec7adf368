"""What two concurrent commands cannot both do, decided by the event store's versions: the
aggregates saved as the application saves them, in the eventsourcing library's in-memory
store, which refuses a save from a stale version as PostgreSQL's does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from bizdev_common.domain import Actor, Money, Role
from bizdev_common.eventstore import DateAsISO, MoneyAsDict
from bizdev_finance.domain import Books, Budget, InvoiceNumber, PlannedLine, Receivable, close_month
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder

FINANCE = Actor("fay", "finance", frozenset({Role.FINANCE}))
LINE = uuid4()


class Store(Application[object]):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(MoneyAsDict())
        transcoder.register(DateAsISO())


def cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


def opened(store: Store) -> Budget:
    books = Books()
    budget = Budget.open_for_plan(
        uuid4(), "P", "sales", 1, [PlannedLine(LINE, "marketing", cny("100.00"))]
    )
    books.enter(budget.id)
    budget.approve(FINANCE, Decimal(0))
    store.save(budget, books)
    return budget


def close_march(store: Store, books: Books) -> None:
    """Closes March 2026 from `books` as read, with the budgets it lists, and saves it all."""
    budgets = [store.repository.get(i) for i in books.budget_ids]
    period = close_month(
        FINANCE,
        2026,
        3,
        today=date(2026, 4, 1),
        time_zone="UTC",
        threshold_percent=Decimal(10),
        books=books,
        budgets=budgets,
    )
    store.save(period, books, *budgets)


def test_a_posting_read_before_the_close_cannot_be_saved_after_it() -> None:
    store = Store()
    budget = opened(store)
    stale = store.repository.get(budget.id)  # the posting reads the budget: March is open

    books: Books = store.repository.get(Books.create_id())
    close_march(store, books)

    stale.record_expense(
        FINANCE,
        None,
        line_id=LINE,
        amount=cny("5.00"),
        spent_on=date(2026, 3, 31),
        vendor="V",
        description="D",
    )
    with pytest.raises(IntegrityError):
        store.save(stale)  # the close moved the budget's version: refused, not slipped in
    assert store.repository.get(budget.id).expenses == {}


def test_a_budget_opened_while_a_month_closes_is_closed_too_or_refused() -> None:
    store = Store()
    opened(store)
    books_for_close: Books = store.repository.get(Books.create_id())
    books_for_opening: Books = store.repository.get(Books.create_id())
    close_march(store, books_for_close)
    late = Budget.open_for_plan(
        uuid4(),
        "Q",
        "sales",
        1,
        [PlannedLine(LINE, "marketing", cny("1.00"))],
        closed_months=books_for_opening.closed_months,  # read before the close: none
    )
    books_for_opening.enter(late.id)
    with pytest.raises(IntegrityError):
        store.save(late, books_for_opening)


def test_two_invoices_with_one_number_on_two_contracts_one_wins() -> None:
    store = Store()

    def invoiced(number: str) -> tuple[Receivable, InvoiceNumber]:
        r = Receivable(
            contract_id=uuid4(),
            contract_number="HT",
            customer_id=uuid4(),
            department="sales",
            salesperson="sam",
            project_id=None,
            value=cny("100.00"),
            signed_on=date(2026, 3, 1),
        )
        store.save(r)
        invoice = r.invoice(
            FINANCE, number=number, amount=cny("1.00"), due_on=date(2026, 4, 1),
            today=date(2026, 3, 2),
        )  # fmt: skip
        return r, InvoiceNumber(number=number, receivable_id=r.id, invoice_id=invoice)

    first, second = invoiced("F-1"), invoiced(" f-1")
    assert first[1].id == second[1].id  # the same number, whatever its case and spaces
    store.save(*first)
    with pytest.raises(IntegrityError):
        store.save(*second)
    assert store.repository.get(second[0].id).invoices == {}
