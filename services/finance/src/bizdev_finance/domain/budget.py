"""A project's budget (REGULATIONS 7.1) and the spending booked against its lines (7.2).

The spending lives in the budget's own record because the overspend check compares an
expense with what its line has already taken: one record, one consistent answer, however
many people book against the line at the same time.

An expense goes `pending_approval` (beyond the ceiling, held for management) → `committed`
(approved, not yet paid) → `posted` (paid: the actual cost), or `refused`. The months closed
are stamped on every budget by the close itself (period.close_month), so that a posting and
a close write the same record and cannot both succeed on a stale view of each other.

This module holds the record and its events; the rules of spending are in spending.py (mixed
in), the lines and what is reckoned from them in budget_lines.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

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

from bizdev_finance.domain.budget_lines import (
    BudgetState,
    ExpenseState,
    LineFigures,
    PlannedLine,
    changes_between,
    check_contingency,
    check_lines,
    lines_of,
    month_of,
    zero_of,
)
from bizdev_finance.domain.spending import Spending

_BUDGETS = uuid5(NAMESPACE_URL, "urn:bizdev:finance:budget")


class Budget(Spending, Aggregate):
    """The budget of one project. Projects' approved plan opens it as a `draft` (version 1);
    finance approves it (`approved`), with a contingency in percent for price swings. A later
    approved plan revision opens the next version, a draft again, with the changes line by
    line; finance may also revise it with a reason. Every version is kept.

    Expenses are recorded against a line of the version in force by the project's people
    (the requester): its team, the head of its department, or finance. Within budget plus
    contingency (counting what the line has committed and actually spent) it is committed;
    beyond, it is held `pending_approval` with the requester's reason and necessity until
    management, never the requester, approves (then it is committed) or refuses it with a
    reason. Finance's record of its payment posts it: an actual cost."""

    @staticmethod
    def create_id(project_id: UUID) -> UUID:
        return uuid5(_BUDGETS, str(project_id))

    class Opened(Aggregate.Created):
        project_id: UUID
        project_name: str
        department: str
        plan_revision: int
        lines: list[dict[str, Any]]
        closed_months: list[str]

    @event(Opened)
    def __init__(
        self,
        project_id: UUID,
        project_name: str,
        department: str,
        plan_revision: int,
        lines: list[dict[str, Any]],
        closed_months: list[str] | None = None,
    ) -> None:
        self.project_id = project_id
        self.project_name = project_name
        self.department = department
        self.plan_revision = plan_revision
        self.budget_version = 1
        self.state = BudgetState.DRAFT
        self.contingency_percent = Decimal(0)
        self.lines = lines_of(lines)
        self.versions: list[dict[str, Any]] = [self._version_record(None, [])]
        self.expenses: dict[UUID, dict[str, Any]] = {}
        self.committed: dict[UUID, Money] = {}
        self.actual: dict[UUID, Money] = {}
        self.pending: dict[UUID, Money] = {}
        self.closed_months: set[str] = set(closed_months or ())

    def _version_record(self, reason: str | None, changes: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "budget_version": self.budget_version,
            "plan_revision": self.plan_revision,
            "lines": [p.as_event() for p in self.lines.values()],
            "reason": reason,
            "changes": changes,
            "approved_by": None,
        }

    @classmethod
    def open_for_plan(
        cls,
        project_id: UUID,
        project_name: str,
        department: str,
        plan_revision: int,
        lines: Iterable[PlannedLine],
        closed_months: Iterable[str] = (),
    ) -> Budget:
        """`closed_months`: the months the books have closed, which it refuses postings in."""
        checked = check_lines(lines)
        return cls(
            project_id=project_id,
            project_name=project_name,
            department=department,
            plan_revision=plan_revision,
            lines=[p.as_event() for p in checked],
            closed_months=sorted(closed_months),
        )

    # --- versions ---------------------------------------------------------------------------

    class VersionOpened(Aggregate.Event):
        plan_revision: int
        budget_version: int
        lines: list[dict[str, Any]]
        changes: list[dict[str, Any]]

    def plan_revised(self, plan_revision: int, lines: Iterable[PlannedLine]) -> bool:
        """A later approved plan revision opens the next version, a draft; an earlier or the
        same revision (a redelivery) changes nothing. Returns whether it opened one."""
        if plan_revision <= self.plan_revision:
            return False
        after = {p.line_id: p for p in check_lines(lines)}
        self._open_version(
            plan_revision=plan_revision,
            budget_version=self.budget_version + 1,
            lines=[p.as_event() for p in after.values()],
            changes=changes_between(self.lines, after),
        )
        return True

    @event(VersionOpened)
    def _open_version(
        self,
        plan_revision: int,
        budget_version: int,
        lines: list[dict[str, Any]],
        changes: list[dict[str, Any]],
    ) -> None:
        self.plan_revision = plan_revision
        self.budget_version = budget_version
        self.lines = lines_of(lines)
        self.state = BudgetState.DRAFT
        self.versions.append(self._version_record(None, changes))

    class Approved(Aggregate.Event):
        by: str
        project_id: UUID
        budget_version: int
        lines: list[dict[str, Any]]
        contingency_percent: Decimal

    def approve(self, actor: Actor, contingency_percent: Decimal) -> None:
        """Finance reviews the draft version and approves it, with its contingency."""
        require_acting(actor)
        require_role(actor, Role.FINANCE)
        if self.state is not BudgetState.DRAFT:
            raise InvalidTransition(f"cannot approve a budget that is {self.state}")
        check_contingency(contingency_percent)
        self._approve(
            by=actor.user_id,
            project_id=self.project_id,
            lines=[p.as_event() for p in self.lines.values()],
            budget_version=self.budget_version,
            contingency_percent=contingency_percent,
        )

    @event(Approved)
    def _approve(
        self,
        by: str,
        project_id: UUID,
        budget_version: int,
        lines: list[dict[str, Any]],
        contingency_percent: Decimal,
    ) -> None:
        self.state = BudgetState.APPROVED
        self.contingency_percent = contingency_percent
        self.versions[-1]["approved_by"] = by

    class Revised(Aggregate.Event):
        by: str
        project_id: UUID
        reason: str
        budget_version: int
        lines: list[dict[str, Any]]
        changes: list[dict[str, Any]]
        contingency_percent: Decimal

    def revise(
        self,
        actor: Actor,
        *,
        reason: str,
        lines: Iterable[PlannedLine],
        contingency_percent: Decimal,
    ) -> None:
        """Finance revises an approved budget with a reason: the next version, in force at
        once. A line spent on stays (its id), so what was booked keeps its line."""
        require_acting(actor)
        require_role(actor, Role.FINANCE)
        if self.state is not BudgetState.APPROVED:
            raise InvalidTransition(f"cannot revise a budget that is {self.state}")
        require_text("reason", reason)
        check_contingency(contingency_percent)
        after = {p.line_id: p for p in check_lines(lines)}
        for line_id in self.actual.keys() | self.committed.keys() | self.pending.keys():
            if line_id not in after:
                raise RuleViolation("lines", f"line {line_id} has spending and cannot go")
        for line_id, p in after.items():
            if line_id in self.lines and p.amount.currency != self.lines[line_id].amount.currency:
                raise RuleViolation("lines", f"line {line_id} keeps its currency")
        self._revise(
            by=actor.user_id,
            project_id=self.project_id,
            reason=reason,
            budget_version=self.budget_version + 1,
            lines=[p.as_event() for p in after.values()],
            changes=changes_between(self.lines, after),
            contingency_percent=contingency_percent,
        )

    @event(Revised)
    def _revise(
        self,
        by: str,
        project_id: UUID,
        reason: str,
        budget_version: int,
        lines: list[dict[str, Any]],
        changes: list[dict[str, Any]],
        contingency_percent: Decimal,
    ) -> None:
        self.budget_version = budget_version
        self.lines = lines_of(lines)
        self.contingency_percent = contingency_percent
        self.versions.append(self._version_record(reason, changes))
        self.versions[-1]["approved_by"] = by

    # --- spending (7.2) ---------------------------------------------------------------------

    def ceiling(self, line_id: UUID) -> Decimal:
        """What a line may take without management's approval: its budget plus the
        contingency (exact: no rounding)."""
        budget = self.lines[line_id].amount.amount
        return budget + budget * self.contingency_percent / 100

    def _zero(self, line_id: UUID) -> Money:
        return Money(Decimal(0), self.lines[line_id].amount.currency)

    def actual_of(self, line_id: UUID) -> Money:
        return self.actual.get(line_id, self._zero(line_id))

    def committed_of(self, line_id: UUID) -> Money:
        return self.committed.get(line_id, self._zero(line_id))

    def taken(self, line_id: UUID) -> Money:
        """What the overspend check counts against the ceiling: committed plus actual."""
        return self.committed_of(line_id) + self.actual_of(line_id)

    def _refuse_closed(self, field: str, day: date) -> None:
        if month_of(day) in self.closed_months:
            raise RuleViolation(field, f"the period of {day} is closed")

    class ExpenseCommitted(Aggregate.Event):
        project_id: UUID
        expense_id: UUID
        line_id: UUID
        category: str
        amount: Money
        spent_on: date
        vendor: str
        description: str
        requester: str
        approved_by: str | None
        line_committed: Money

    class ExpensePosted(Aggregate.Event):
        project_id: UUID
        expense_id: UUID
        line_id: UUID
        category: str
        amount: Money
        spent_on: date
        vendor: str
        description: str
        requester: str
        approved_by: str | None
        line_actual: Money
        paid_on: date | None
        by: str | None

    class ExpenseHeld(Aggregate.Event):
        project_id: UUID
        expense_id: UUID
        line_id: UUID
        category: str
        amount: Money
        spent_on: date
        vendor: str
        description: str
        requester: str
        reason: str
        necessity: str
        ceiling: Decimal
        line_actual: Money
        line_committed: Money

    class LineOverrun(Aggregate.Event):
        project_id: UUID
        line_id: UUID
        category: str
        budgeted: Money
        line_actual: Money

    def _record(self, expense_id: UUID, state: ExpenseState, **fields: Any) -> None:
        self.expenses[expense_id] = {
            k: fields[k]
            for k in ("line_id", "amount", "spent_on", "vendor", "description", "requester")
        } | {"state": state, "approved_by": fields.get("approved_by"), "paid_on": None}

    @event(ExpenseCommitted)
    def _commit(
        self,
        project_id: UUID,
        expense_id: UUID,
        line_id: UUID,
        category: str,
        amount: Money,
        spent_on: date,
        vendor: str,
        description: str,
        requester: str,
        approved_by: str | None,
        line_committed: Money,
    ) -> None:
        self._record(
            expense_id,
            ExpenseState.COMMITTED,
            line_id=line_id,
            amount=amount,
            spent_on=spent_on,
            vendor=vendor,
            description=description,
            requester=requester,
            approved_by=approved_by,
        )
        self.committed[line_id] = self.committed.get(line_id, zero_of(amount)) + amount

    @event(ExpensePosted)
    def _post(
        self,
        project_id: UUID,
        expense_id: UUID,
        line_id: UUID,
        category: str,
        amount: Money,
        spent_on: date,
        vendor: str,
        description: str,
        requester: str,
        approved_by: str | None,
        line_actual: Money,
        paid_on: date | None = None,
        by: str | None = None,
    ) -> None:
        # Before committed expenses existed, an expense was posted when recorded (and an
        # approved overspend at once): such a history has no commitment to take back.
        if self.expenses.get(expense_id, {}).get("state") is ExpenseState.COMMITTED:
            self.committed[line_id] = self.committed[line_id] - amount
        self._record(
            expense_id,
            ExpenseState.POSTED,
            line_id=line_id,
            amount=amount,
            spent_on=spent_on,
            vendor=vendor,
            description=description,
            requester=requester,
            approved_by=approved_by,
        )
        self.expenses[expense_id]["paid_on"] = paid_on or spent_on
        self.actual[line_id] = self.actual.get(line_id, zero_of(amount)) + amount

    @event(ExpenseHeld)
    def _hold(
        self,
        project_id: UUID,
        expense_id: UUID,
        line_id: UUID,
        category: str,
        amount: Money,
        spent_on: date,
        vendor: str,
        description: str,
        requester: str,
        reason: str,
        necessity: str,
        ceiling: Decimal,
        line_actual: Money,
        line_committed: Money | None = None,
    ) -> None:
        self._record(
            expense_id,
            ExpenseState.PENDING_APPROVAL,
            line_id=line_id,
            amount=amount,
            spent_on=spent_on,
            vendor=vendor,
            description=description,
            requester=requester,
        )
        self.pending[line_id] = self.pending.get(line_id, zero_of(amount)) + amount

    @event(LineOverrun)
    def _overrun(
        self, project_id: UUID, line_id: UUID, category: str, budgeted: Money, line_actual: Money
    ) -> None:
        pass

    class OverspendApproved(Aggregate.Event):
        by: str
        expense_id: UUID
        line_id: UUID
        amount: Money
        requester: str

    @event(OverspendApproved)
    def _approve_overspend(
        self, by: str, expense_id: UUID, line_id: UUID, amount: Money, requester: str
    ) -> None:
        self.pending[line_id] = self.pending[line_id] - amount

    class OverspendRefused(Aggregate.Event):
        by: str
        expense_id: UUID
        line_id: UUID
        amount: Money
        requester: str
        reason: str

    @event(OverspendRefused)
    def _refuse_overspend(
        self,
        by: str,
        expense_id: UUID,
        line_id: UUID,
        amount: Money,
        requester: str,
        reason: str,
    ) -> None:
        self.expenses[expense_id]["state"] = ExpenseState.REFUSED
        self.pending[line_id] = self.pending[line_id] - amount

    # --- cost accounting (7.3) --------------------------------------------------------------

    def figures(self, through: date) -> dict[UUID, LineFigures]:
        """Each line in force as of the end of `through`: committed counts what was spent by
        then and not yet paid by then; actual what was paid by then."""
        out: dict[UUID, LineFigures] = {}
        for line_id, line in self.lines.items():
            committed = actual = Decimal(0)
            for e in self.expenses.values():
                if e["line_id"] != line_id:
                    continue
                paid = e["state"] is ExpenseState.POSTED and e["paid_on"] <= through
                if paid:
                    actual += e["amount"].amount
                elif e["state"] in (ExpenseState.COMMITTED, ExpenseState.POSTED):
                    committed += e["amount"].amount if e["spent_on"] <= through else 0
            currency = line.amount.currency
            out[line_id] = LineFigures(
                line.category, line.amount, Money(committed, currency), Money(actual, currency)
            )
        return out

    class MonthClosed(Aggregate.Event):
        month: str

    def close_month(self, month: str) -> None:
        """The books closed `month`: postings dated inside it are refused from now on. Only
        the close calls it, saving every budget with the period in one transaction."""
        self._close_month(month=month)

    @event(MonthClosed)
    def _close_month(self, month: str) -> None:
        self.closed_months.add(month)


def line_totals(events: Iterable[Aggregate.Event]) -> dict[UUID, tuple[Decimal, ...]]:
    """(committed, actual, pending) per line recomputed from a budget's events alone: a
    committed expense adds to committed until it is paid (posted), which moves it to actual;
    a held one adds to pending until approved (then committed) or refused."""
    totals: dict[UUID, list[Decimal]] = {}
    committed_ids: set[UUID] = set()

    def add(line_id: UUID, column: int, amount: Decimal) -> None:
        totals.setdefault(line_id, [Decimal(0)] * 3)[column] += amount

    for e in events:
        if isinstance(e, Budget.ExpenseCommitted):
            committed_ids.add(e.expense_id)
            add(e.line_id, 0, e.amount.amount)
        elif isinstance(e, Budget.ExpensePosted):
            if e.expense_id in committed_ids:
                add(e.line_id, 0, -e.amount.amount)
            add(e.line_id, 1, e.amount.amount)
        elif isinstance(e, Budget.ExpenseHeld):
            add(e.line_id, 2, e.amount.amount)
        elif isinstance(e, Budget.OverspendApproved | Budget.OverspendRefused):
            add(e.line_id, 2, -e.amount.amount)
    return {k: tuple(v) for k, v in totals.items()}
