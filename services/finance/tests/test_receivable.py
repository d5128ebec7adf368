"""The receivable's rules: invoices within the contract, payments within the invoice, overdue
once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from bizdev_common.days import company_time_zone, decided_in_utc, end_of
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Money, Role, RuleViolation
from bizdev_finance.domain import Books, Receivable, close_month
from bizdev_finance.published import CONTRACT, ReceivableOverdue

FINANCE = Actor("fay", "finance", frozenset({Role.FINANCE}))
SALES = Actor("sam", "sales", frozenset({Role.EMPLOYEE, Role.MANAGEMENT}))
TODAY = date(2026, 3, 2)


def cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


def receivable() -> Receivable:
    return Receivable(
        contract_id=uuid4(),
        contract_number="HT-1",
        customer_id=uuid4(),
        department="sales",
        salesperson="sam",
        project_id=None,
        value=cny("1000.00"),
        signed_on=TODAY,
    )


def test_invoices_stay_within_the_contract_in_its_currency() -> None:
    r = receivable()
    with pytest.raises(Forbidden):
        r.invoice(SALES, number="F-1", amount=cny("1.00"), due_on=TODAY, today=TODAY)
    r.invoice(FINANCE, number="F-1", amount=cny("600.00"), due_on=TODAY, today=TODAY)
    with pytest.raises(RuleViolation) as refused:
        r.invoice(FINANCE, number="F-2", amount=cny("400.01"), due_on=TODAY, today=TODAY)
    assert refused.value.field == "amount"
    with pytest.raises(RuleViolation) as refused:
        r.invoice(
            FINANCE,
            number="F-2",
            amount=Money(Decimal("1.00"), "USD"),
            due_on=TODAY,
            today=TODAY,
        )
    assert refused.value.field == "amount"
    r.invoice(FINANCE, number="F-2", amount=cny("400.00"), due_on=TODAY, today=TODAY)
    assert r.invoiced() == cny("1000.00")


def test_payments_and_overdue_once() -> None:
    r = receivable()
    invoice = r.invoice(FINANCE, number="F-1", amount=cny("600.00"), due_on=TODAY, today=TODAY)
    with pytest.raises(RuleViolation):
        r.record_payment(FINANCE, invoice, amount=cny("600.01"), paid_on=TODAY, today=TODAY)
    r.record_payment(FINANCE, invoice, amount=cny("100.00"), paid_on=TODAY, today=TODAY)
    with pytest.raises(InvalidTransition):  # still the due day
        r.overdue(invoice, datetime(2026, 3, 2, 23, 59, tzinfo=UTC))
    r.overdue(invoice, datetime(2026, 3, 3, tzinfo=UTC))
    [raised] = [e for e in r.collect_events() if isinstance(e, Receivable.Overdue)]
    assert raised.outstanding == cny("500.00")
    with pytest.raises(InvalidTransition):
        r.overdue(invoice, datetime(2026, 3, 4, tzinfo=UTC))

    r.record_payment(FINANCE, invoice, amount=cny("500.00"), paid_on=TODAY, today=TODAY)
    with pytest.raises(InvalidTransition):
        r.record_payment(FINANCE, invoice, amount=cny("1.00"), paid_on=TODAY, today=TODAY)


def test_an_overdue_invoice_names_the_zone_whose_day_decided_it() -> None:
    """Reported at Shanghai's midnight, still the due day in UTC: the event says whose day."""
    r = receivable()
    invoice = r.invoice(FINANCE, number="F-1", amount=cny("600.00"), due_on=TODAY, today=TODAY)
    with company_time_zone("Asia/Shanghai"):
        r.overdue(invoice, end_of(TODAY))
    overdue = r.collect_events()[-1]
    public = CONTRACT.to_public(overdue)
    assert isinstance(public, ReceivableOverdue)
    assert public.time_zone == "Asia/Shanghai"
    # Stored before it named its zone, it reads as UTC's, whose days decided it then.
    assert (Receivable.Overdue.class_version, Receivable.Overdue.upcast_v1_v2) == (
        2,
        decided_in_utc,
    )


def test_a_payment_dated_in_a_closed_month_is_refused() -> None:
    r = receivable()
    invoice = r.invoice(FINANCE, number="F-1", amount=cny("600.00"), due_on=TODAY, today=TODAY)
    books = Books()
    books.enter_receivable(r.id)
    close_month(
        FINANCE,
        2026,
        3,
        today=date(2026, 4, 2),
        time_zone="UTC",
        threshold_percent=Decimal(10),
        books=books,
        budgets=[],
        receivables=[r],
    )
    with pytest.raises(RuleViolation) as refused:
        r.record_payment(
            FINANCE, invoice, amount=cny("1.00"), paid_on=date(2026, 3, 31), today=date(2026, 4, 2)
        )
    assert refused.value.field == "paid_on"
    r.record_payment(
        FINANCE, invoice, amount=cny("1.00"), paid_on=date(2026, 4, 1), today=date(2026, 4, 2)
    )
