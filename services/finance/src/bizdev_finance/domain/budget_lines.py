"""The lines of a budget and what is reckoned from them: each line as the plan (or
finance's revision) gives it, the checks every version's lines pass, the difference between
two versions, and a line's figures as of a day (REGULATIONS 7.1, 7.3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from bizdev_common.domain import Money, RuleViolation, decimal_places, require_text

CONTINGENCY_MAX = Decimal(100)


class BudgetState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class ExpenseState(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    COMMITTED = "committed"
    POSTED = "posted"
    REFUSED = "refused"


@dataclass(frozen=True)
class LineFigures:
    """A line as of a day: its budget, committed (approved, unpaid then) and actual (paid by
    then). Variance is budget minus actual (REGULATIONS 7.3: budget versus actual); its
    percent of the budget is rounded to 2 places the way every report shows it."""

    category: str
    budget: Money
    committed: Money
    actual: Money

    @property
    def variance(self) -> Money:
        return self.budget - self.actual

    @property
    def variance_percent(self) -> Decimal | None:
        return variance_percent(self.budget.amount, self.actual.amount)


def variance_percent(budget: Decimal, actual: Decimal) -> Decimal | None:
    if not budget:
        return None
    return ((budget - actual) * 100 / budget).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class PlannedLine:
    """A budget line as the plan (or finance's revision) gives it."""

    line_id: UUID
    category: str
    amount: Money

    def as_event(self) -> dict[str, Any]:
        return {"line_id": self.line_id, "category": self.category, "amount": self.amount}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> PlannedLine:
        return cls(UUID(str(data["line_id"])), str(data["category"]), data["amount"])


def changes_between(
    before: Mapping[UUID, PlannedLine], after: Mapping[UUID, PlannedLine]
) -> list[dict]:
    """The line-by-line difference between two versions: added, changed, removed."""
    changes: list[dict[str, Any]] = []
    for line_id, line in after.items():
        old = before.get(line_id)
        if old is None:
            changes.append(
                {"line_id": line_id, "change": "added", "before": None, "after": line.amount}
            )
        elif old.amount != line.amount or old.category != line.category:
            changes.append(
                {
                    "line_id": line_id,
                    "change": "changed",
                    "before": old.amount,
                    "after": line.amount,
                }
            )
    for line_id, old in before.items():
        if line_id not in after:
            changes.append(
                {"line_id": line_id, "change": "removed", "before": old.amount, "after": None}
            )
    return changes


def lines_of(lines: Iterable[Mapping[str, Any]]) -> dict[UUID, PlannedLine]:
    return {p.line_id: p for p in (PlannedLine.of(d) for d in lines)}


def check_lines(lines: Iterable[PlannedLine]) -> list[PlannedLine]:
    checked = list(lines)
    if not checked:
        raise RuleViolation("lines", "a budget has at least one line")
    if len({p.line_id for p in checked}) != len(checked):
        raise RuleViolation("lines", "a line id appears twice")
    for p in checked:
        require_text("category", p.category)
        if p.amount.amount <= 0:
            raise RuleViolation("lines", "a line's amount is more than zero")
    return checked


def check_contingency(percent: Decimal) -> None:
    if not Decimal(0) <= percent <= CONTINGENCY_MAX or decimal_places(percent) > 2:
        raise RuleViolation(
            "contingency_percent", "the contingency is 0 to 100 percent, two decimals at most"
        )


def zero_of(amount: Money) -> Money:
    return Money(Decimal(0), amount.currency)


def month_of(day: date) -> str:
    """The accounting period a day falls in, YYYY-MM."""
    return f"{day.year:04d}-{day.month:02d}"
