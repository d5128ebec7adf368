"""The spending booked against a budget's lines (REGULATIONS 7.2): the rules of recording an
expense, paying it, and management's decision on one held beyond the budget. The budget's
own record (budget.Budget) applies the events these trigger; the rules live here, beside
it, so that each module stays readable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID, uuid4

from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    Role,
    RuleViolation,
    require_acting,
    require_not_self,
    require_role,
    require_text,
)

from bizdev_finance.domain.budget_lines import BudgetState, ExpenseState, PlannedLine, month_of
from bizdev_finance.domain.team import ProjectTeam


class _Budget(Protocol):
    """What the spending rules read of the budget, and the events they trigger on it."""

    project_id: UUID
    project_name: str
    department: str
    state: BudgetState
    lines: dict[UUID, PlannedLine]
    expenses: dict[UUID, dict[str, Any]]
    closed_months: set[str]

    def ceiling(self, line_id: UUID) -> Decimal: ...
    def actual_of(self, line_id: UUID) -> Money: ...
    def committed_of(self, line_id: UUID) -> Money: ...
    def taken(self, line_id: UUID) -> Money: ...
    def _refuse_closed(self, field: str, day: date) -> None: ...
    # The events' methods, each with its own keywords.
    @property
    def _commit(self) -> Callable[..., None]: ...
    @property
    def _hold(self) -> Callable[..., None]: ...
    @property
    def _post(self) -> Callable[..., None]: ...
    @property
    def _overrun(self) -> Callable[..., None]: ...
    @property
    def _approve_overspend(self) -> Callable[..., None]: ...
    @property
    def _refuse_overspend(self) -> Callable[..., None]: ...


class Spending:
    """The budget's spending commands (mixed into budget.Budget)."""

    def record_expense(
        self: _Budget,
        actor: Actor,
        team: ProjectTeam | None,
        *,
        line_id: UUID,
        amount: Money,
        spent_on: date,
        vendor: str,
        description: str,
        reason: str | None = None,
        necessity: str | None = None,
    ) -> UUID:
        """Records an expense against a line of the approved budget. While the line's
        committed plus actual stays within budget plus contingency it is committed; beyond,
        it is held for management with the requester's reason and necessity (both required
        then). Returns the expense's id."""
        _require_booker(self, actor, team)
        if self.state is not BudgetState.APPROVED:
            raise InvalidTransition("expenses are booked against an approved budget")
        line = self.lines.get(line_id)
        if line is None:
            raise RuleViolation("line_id", f"the budget has no line {line_id}")
        if amount.currency != line.amount.currency:
            raise RuleViolation(
                "amount", f"line {line_id} is in {line.amount.currency}, not {amount.currency}"
            )
        if amount.amount <= 0:
            raise RuleViolation("amount", "an expense is more than zero")
        require_text("vendor", vendor)
        require_text("description", description)
        self._refuse_closed("spent_on", spent_on)
        expense_id = uuid4()
        common: dict[str, Any] = {
            "project_id": self.project_id,
            "expense_id": expense_id,
            "line_id": line_id,
            "category": line.category,
            "amount": amount,
            "spent_on": spent_on,
            "vendor": vendor,
            "description": description,
            "requester": actor.user_id,
        }
        if (self.taken(line_id) + amount).amount <= self.ceiling(line_id):
            self._commit(
                **common, approved_by=None, line_committed=self.committed_of(line_id) + amount
            )
            return expense_id
        if reason is None or not reason.strip():
            raise RuleViolation("reason", "an expense beyond the budget needs its reason")
        if necessity is None or not necessity.strip():
            raise RuleViolation("necessity", "an expense beyond the budget needs its necessity")
        self._hold(
            **common,
            reason=reason,
            necessity=necessity,
            ceiling=self.ceiling(line_id),
            line_actual=self.actual_of(line_id),
            line_committed=self.committed_of(line_id),
        )
        return expense_id

    def pay_expense(
        self: _Budget, actor: Actor, expense_id: UUID, *, paid_on: date, today: date
    ) -> None:
        """Finance records the payment of a committed expense: it is posted, an actual cost
        dated `paid_on` (on or after the day it was spent, not after today, in a period
        still open)."""
        require_acting(actor)
        require_role(actor, Role.FINANCE)
        expense = _expense(self, expense_id, ExpenseState.COMMITTED)
        if not expense["spent_on"] <= paid_on <= today:
            raise RuleViolation(
                "paid_on", f"a payment is dated from {expense['spent_on']} to today ({today})"
            )
        self._refuse_closed("paid_on", paid_on)
        line_id: UUID = expense["line_id"]
        if line_id not in self.lines:
            raise InvalidTransition(f"line {line_id} is no longer in the budget")
        after = self.actual_of(line_id) + expense["amount"]
        self._post(
            project_id=self.project_id,
            expense_id=expense_id,
            line_id=line_id,
            category=self.lines[line_id].category,
            amount=expense["amount"],
            spent_on=expense["spent_on"],
            vendor=expense["vendor"],
            description=expense["description"],
            requester=expense["requester"],
            approved_by=expense["approved_by"],
            line_actual=after,
            paid_on=paid_on,
            by=actor.user_id,
        )
        line = self.lines[line_id]
        if after.amount - expense["amount"].amount <= line.amount.amount < after.amount:
            self._overrun(
                project_id=self.project_id,
                line_id=line_id,
                category=line.category,
                budgeted=line.amount,
                line_actual=after,
            )

    def approve_overspend(self: _Budget, actor: Actor, expense_id: UUID) -> None:
        """Management approves a held expense, never its requester: it is committed, unless
        the period of its date was closed meanwhile."""
        require_acting(actor)
        require_role(actor, Role.MANAGEMENT)
        expense = _expense(self, expense_id, ExpenseState.PENDING_APPROVAL)
        require_not_self(actor, expense["requester"], "approve the overspend of")
        if month_of(expense["spent_on"]) in self.closed_months:
            raise InvalidTransition(f"the period of {expense['spent_on']} is closed")
        line_id: UUID = expense["line_id"]
        if line_id not in self.lines:
            raise InvalidTransition(f"line {line_id} is no longer in the budget")
        self._approve_overspend(
            by=actor.user_id,
            expense_id=expense_id,
            line_id=line_id,
            amount=expense["amount"],
            requester=expense["requester"],
        )
        self._commit(
            project_id=self.project_id,
            expense_id=expense_id,
            line_id=line_id,
            category=self.lines[line_id].category,
            amount=expense["amount"],
            spent_on=expense["spent_on"],
            vendor=expense["vendor"],
            description=expense["description"],
            requester=expense["requester"],
            approved_by=actor.user_id,
            line_committed=self.committed_of(line_id) + expense["amount"],
        )

    def refuse_overspend(self: _Budget, actor: Actor, expense_id: UUID, reason: str) -> None:
        """Management refuses a held expense with a reason, never its requester."""
        require_acting(actor)
        require_role(actor, Role.MANAGEMENT)
        expense = _expense(self, expense_id, ExpenseState.PENDING_APPROVAL)
        require_not_self(actor, expense["requester"], "refuse the overspend of")
        require_text("reason", reason)
        self._refuse_overspend(
            by=actor.user_id,
            expense_id=expense_id,
            line_id=expense["line_id"],
            amount=expense["amount"],
            requester=expense["requester"],
            reason=reason,
        )


def _require_booker(budget: _Budget, actor: Actor, team: ProjectTeam | None) -> None:
    """Who books an expense against the project (REGULATIONS 7.2): its team (the lead is a
    member), the head of its department, finance; `team` is None while finance knows none."""
    require_acting(actor)
    if actor.has(Role.FINANCE) or actor.is_head_of(budget.department):
        return
    if team is not None and team.acts_for(actor):
        return
    raise Forbidden(
        f"expenses against the budget of {budget.project_name} are booked by its team, the "
        f"head of department {budget.department} and finance"
    )


def _expense(budget: _Budget, expense_id: UUID, state: ExpenseState) -> dict[str, Any]:
    expense = budget.expenses.get(expense_id)
    if expense is None:
        raise RuleViolation("expense_id", f"the budget has no expense {expense_id}")
    if expense["state"] is not state:
        raise InvalidTransition(f"the expense is {expense['state']}, not {state}")
    return expense
