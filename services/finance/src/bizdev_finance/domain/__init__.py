"""Finance (REGULATIONS §7): each project's budget, its versions and the spending booked
against its lines; each project's team as projects tells finance (who book that spending);
each signed contract's receivable (invoices, payments); the closed monthly periods and their
variance explanations; the books (budgets and closed months) and the invoice numbers taken,
company-wide. One module per record (aggregate).

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history."""

from __future__ import annotations

from bizdev_finance.domain.books import Books
from bizdev_finance.domain.budget import Budget, line_totals
from bizdev_finance.domain.budget_lines import (
    BudgetState,
    ExpenseState,
    LineFigures,
    PlannedLine,
    month_of,
    variance_percent,
)
from bizdev_finance.domain.invoice_number import InvoiceNumber
from bizdev_finance.domain.period import Period, close_month
from bizdev_finance.domain.receivable import Invoice, Receivable
from bizdev_finance.domain.team import ProjectTeam

__all__ = [
    "Books",
    "Budget",
    "BudgetState",
    "ExpenseState",
    "Invoice",
    "InvoiceNumber",
    "LineFigures",
    "Period",
    "PlannedLine",
    "ProjectTeam",
    "Receivable",
    "close_month",
    "line_totals",
    "month_of",
    "variance_percent",
]
