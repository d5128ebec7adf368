"""The finance service's published events (topic `bizdev.finance.events.v1`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from bizdev_common.contract import DecidingTimeZone, EventContract, MoneyModel, PublicEvent
from pydantic import BaseModel, ConfigDict, Field

from bizdev_finance.domain import Budget, Period, Receivable


class BudgetLineModel(BaseModel):
    """A line of a budget version."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    line_id: UUID = Field(description="Stable id of the line (the plan's), across versions")
    category: str = Field(description="marketing, personnel, operations or procurement")
    amount: MoneyModel = Field(description="Amount budgeted")


class LineChange(BaseModel):
    """How one line differs from the version before."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    line_id: UUID = Field(description="The line")
    change: str = Field(description="added, changed or removed")
    before: MoneyModel | None = Field(description="Its amount before; null when added")
    after: MoneyModel | None = Field(description="Its amount now; null when removed")


class BudgetOpened(PublicEvent):
    """Projects' approved plan opened the project's budget, a draft for finance to review
    (REGULATIONS 7.1). Version 1."""

    project_id: UUID = Field(description="The project")
    project_name: str = Field(description="Name of that project")
    department: str = Field(description="Department that runs the project")
    plan_revision: int = Field(description="The approved plan revision it budgets")
    lines: list[BudgetLineModel] = Field(description="The plan's lines")


class BudgetVersionOpened(PublicEvent):
    """A later approved plan revision opened the budget's next version, a draft again; the
    versions before are kept."""

    plan_revision: int = Field(description="The approved plan revision it budgets")
    budget_version: int = Field(description="The new version")
    lines: list[BudgetLineModel] = Field(description="The lines of the new version")
    changes: list[LineChange] = Field(description="What changed, line by line")


class BudgetApproved(PublicEvent):
    """Finance approved the draft version; `by` is finance. Spending is booked against it."""

    project_id: UUID = Field(description="The project")
    budget_version: int = Field(description="The version approved")
    lines: list[BudgetLineModel] = Field(description="Its lines")
    contingency_percent: Decimal = Field(
        description="Allowance for price swings, in percent of each line, that the overspend "
        "check adds to the line's budget"
    )


class BudgetRevised(PublicEvent):
    """Finance revised the approved budget with a reason: the next version, in force."""

    project_id: UUID = Field(description="The project")
    reason: str = Field(description="Why it was revised")
    budget_version: int = Field(description="The new version")
    lines: list[BudgetLineModel] = Field(description="The lines of the new version")
    changes: list[LineChange] = Field(description="What changed, line by line")
    contingency_percent: Decimal = Field(description="The contingency from now on, in percent")


class ExpenseCommitted(PublicEvent):
    """An expense was committed against a budget line: within budget plus contingency when
    recorded, or approved by management beyond it. Approved, not yet paid: it counts in the
    line's committed until its payment posts it (ExpensePosted)."""

    project_id: UUID = Field(description="The project")
    expense_id: UUID = Field(description="The expense")
    line_id: UUID = Field(description="The budget line")
    category: str = Field(description="The line's category")
    amount: MoneyModel = Field(description="The amount")
    spent_on: date = Field(description="The day it was spent (committed)")
    vendor: str = Field(description="Who is to be paid")
    description: str = Field(description="What for")
    requester: str = Field(description="User id of who requested it")
    approved_by: str | None = Field(
        description="Management who approved it beyond the budget; null within the budget"
    )
    line_committed: MoneyModel = Field(description="The line's committed after it")


class ExpensePosted(PublicEvent):
    """An expense was posted against a budget line: paid, an actual cost; it moves from the
    line's committed to its actual. `by` is finance, who recorded the payment (null on
    expenses posted before payments were recorded, which were posted when booked)."""

    project_id: UUID = Field(description="The project")
    expense_id: UUID = Field(description="The expense")
    line_id: UUID = Field(description="The budget line")
    category: str = Field(description="The line's category")
    amount: MoneyModel = Field(description="The amount")
    spent_on: date = Field(description="The day it was spent")
    vendor: str = Field(description="Who was paid")
    description: str = Field(description="What for")
    requester: str = Field(description="User id of who requested it")
    approved_by: str | None = Field(
        description="Management who approved it beyond the budget; null within the budget"
    )
    line_actual: MoneyModel = Field(description="The line's actual after it")
    paid_on: date | None = Field(
        default=None,
        description="The day it was paid: the date its actual cost counts from (null on "
        "expenses posted before payments were recorded: then `spent_on`)",
    )


class ExpenseHeldForApproval(PublicEvent):
    """An expense would take its line past budget plus contingency: held pending approval by
    management, with the requester's reason and necessity (REGULATIONS 7.2)."""

    project_id: UUID = Field(description="The project")
    expense_id: UUID = Field(description="The expense")
    line_id: UUID = Field(description="The budget line")
    category: str = Field(description="The line's category")
    amount: MoneyModel = Field(description="The amount")
    spent_on: date = Field(description="The day it was spent")
    vendor: str = Field(description="Who was paid")
    description: str = Field(description="What for")
    requester: str = Field(description="User id of who requested it")
    reason: str = Field(description="Why it goes beyond the budget")
    necessity: str = Field(description="Why it is necessary")
    ceiling: Decimal = Field(description="The line's budget plus contingency")
    line_actual: MoneyModel = Field(description="The line's actual before it")
    line_committed: MoneyModel | None = Field(
        default=None,
        description="The line's committed before it: with the actual, what the ceiling was "
        "checked against",
    )


class OverspendApproved(PublicEvent):
    """Management approved a held expense (never its requester); ExpenseCommitted follows,
    ExpensePosted when it is paid."""

    expense_id: UUID = Field(description="The expense")
    line_id: UUID = Field(description="The budget line")
    amount: MoneyModel = Field(description="The amount")
    requester: str = Field(description="User id of who requested it")


class OverspendRefused(PublicEvent):
    """Management refused a held expense with a reason; it is never posted."""

    expense_id: UUID = Field(description="The expense")
    line_id: UUID = Field(description="The budget line")
    amount: MoneyModel = Field(description="The amount")
    requester: str = Field(description="User id of who requested it")
    reason: str = Field(description="Why it was refused")


class BudgetLineOverrun(PublicEvent):
    """A posting (a payment) took a line's actual past its budget (once per crossing)."""

    project_id: UUID = Field(description="The project")
    line_id: UUID = Field(description="The budget line")
    category: str = Field(description="The line's category")
    budgeted: MoneyModel = Field(description="The line's budget")
    line_actual: MoneyModel = Field(description="Its actual now, above the budget")


# --- revenue and receivables ------------------------------------------------------------------


class ReceivableOpened(PublicEvent):
    """crm's signed contract opened its receivable schedule."""

    contract_id: UUID = Field(description="The crm contract")
    contract_number: str = Field(description="Its number")
    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the contract")
    salesperson: str = Field(description="User id of the salesperson credited")
    project_id: UUID | None = Field(description="The project it belongs to, if any")
    value: MoneyModel = Field(description="The contract's value: what may be invoiced")
    signed_on: date = Field(description="The day it was signed")


class RevenueRecorded(PublicEvent):
    """Finance invoiced the customer: revenue per project, customer, salesperson and
    contract. `by` is finance."""

    invoice_id: UUID = Field(description="The invoice")
    number: str = Field(description="The invoice number")
    amount: MoneyModel = Field(description="The amount invoiced: the revenue recorded")
    issued_on: date = Field(description="The day it was issued")
    due_on: date = Field(description="The day it is due")
    contract_id: UUID = Field(description="The crm contract")
    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the contract")
    salesperson: str = Field(description="User id of the salesperson credited")
    project_id: UUID | None = Field(description="The project, if any")


class PaymentReceived(PublicEvent):
    """Finance recorded a payment of an invoice."""

    invoice_id: UUID = Field(description="The invoice")
    amount: MoneyModel = Field(description="The amount paid")
    paid_on: date = Field(description="The day it was received")
    outstanding: MoneyModel = Field(description="What remains due on the invoice")
    customer_id: UUID = Field(description="The customer")
    project_id: UUID | None = Field(description="The project, if any")


class ReceivableOverdue(PublicEvent):
    """An invoice was still unpaid when its due date was over (once per invoice): the credit
    signal for risk."""

    invoice_id: UUID = Field(description="The invoice")
    number: str = Field(description="The invoice number")
    outstanding: MoneyModel = Field(description="What remains due")
    due_on: date = Field(description="The day it was due")
    contract_id: UUID = Field(description="The crm contract")
    customer_id: UUID = Field(description="The customer")
    salesperson: str = Field(description="User id of the salesperson")
    project_id: UUID | None = Field(description="The project, if any")
    time_zone: DecidingTimeZone


class FlaggedLine(BaseModel):
    """A line whose variance passed the threshold when its period closed."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    budget_id: UUID = Field(description="The budget")
    project_id: UUID = Field(description="The project")
    line_id: UUID = Field(description="The line")
    category: str = Field(description="The line's category")
    budget: MoneyModel = Field(description="The line's budget then")
    actual: MoneyModel = Field(description="Its actual as of the period's last day")
    variance_percent: Decimal = Field(
        description="(budget - actual) / budget in percent, rounded to 2 places"
    )


class PeriodClosed(PublicEvent):
    """Finance closed a month (REGULATIONS 7.3): no posting dated inside it is accepted; the
    lines past the variance threshold then need an explanation before its report is final."""

    month: str = Field(description="The month, YYYY-MM")
    first_day: date = Field(description="Its first day")
    last_day: date = Field(description="Its last day")
    threshold_percent: Decimal | None = Field(
        default=None,
        description="The variance threshold in force at the close: a line whose actual passed "
        "its budget by more than this percent needs an explanation (null on periods closed "
        "before the threshold was recorded)",
    )
    flagged_lines: list[FlaggedLine] | None = Field(
        default=None,
        description="The lines past the threshold at the close, with their figures: those "
        "the report needs explained (null on periods closed before they were recorded)",
    )
    time_zone: DecidingTimeZone


class VarianceExplained(PublicEvent):
    """Finance explained a line's variance in a closed period: reason and improvement."""

    budget_id: UUID = Field(description="The budget")
    line_id: UUID = Field(description="The line")
    reason: str = Field(description="Why it varies")
    improvement: str = Field(description="The improvement proposed")


class PeriodReportFinalized(PublicEvent):
    """Every line past the variance threshold in the period is explained: its report is final."""

    month: str = Field(description="The month, YYYY-MM")
    explained_lines: int = Field(description="How many lines' variances were explained")


# Budget.MonthClosed, Books and InvoiceNumber stay inside: the close's and the invoice
# number's bookkeeping, which PeriodClosed and RevenueRecorded already tell.
CONTRACT = EventContract(
    "finance",
    {
        Budget.Opened: BudgetOpened,
        Budget.VersionOpened: BudgetVersionOpened,
        Budget.Approved: BudgetApproved,
        Budget.Revised: BudgetRevised,
        Budget.ExpenseCommitted: ExpenseCommitted,
        Budget.ExpensePosted: ExpensePosted,
        Budget.ExpenseHeld: ExpenseHeldForApproval,
        Budget.OverspendApproved: OverspendApproved,
        Budget.OverspendRefused: OverspendRefused,
        Budget.LineOverrun: BudgetLineOverrun,
        Receivable.Opened: ReceivableOpened,
        Receivable.Invoiced: RevenueRecorded,
        Receivable.PaymentReceived: PaymentReceived,
        Receivable.Overdue: ReceivableOverdue,
        Period.Closed: PeriodClosed,
        Period.VarianceExplained: VarianceExplained,
        Period.ReportFinalized: PeriodReportFinalized,
    },
)
