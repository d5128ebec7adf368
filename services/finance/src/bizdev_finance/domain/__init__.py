"""Finance (REGULATIONS §7): each project's budget, its versions and the spending booked
against its lines; each signed contract's receivable (invoices, payments); the closed monthly
periods and their variance explanations. One module per record (aggregate).

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history."""

from __future__ import annotations

from bizdev_finance.domain.budget import (
    Budget,
    BudgetState,
    ExpenseState,
    PlannedLine,
    line_totals,
)
from bizdev_finance.domain.period import Period, month_of
from bizdev_finance.domain.receivable import Invoice, Receivable, end_of

__all__ = [
    "Budget",
    "BudgetState",
    "ExpenseState",
    "Invoice",
    "Period",
    "PlannedLine",
    "Receivable",
    "end_of",
    "line_totals",
    "month_of",
]
