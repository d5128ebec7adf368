"""Key risk indicators as their definitions say (REGULATIONS 5.3): what each can count, from
which service, per what, over which window, against which thresholds; and the ones the
service comes with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bizdev_risk.domain.values import Category, Scope

COUNTABLE: dict[str, tuple[str, frozenset[Scope]]] = {
    "ComplaintReceived": ("crm", frozenset({Scope.CUSTOMER, Scope.COMPANY})),
    "ComplaintEscalated": ("crm", frozenset({Scope.CUSTOMER, Scope.COMPANY})),
    "FollowUpOverdue": ("crm", frozenset({Scope.CUSTOMER, Scope.COMPANY})),
    "ReceivableOverdue": ("finance", frozenset({Scope.CUSTOMER, Scope.COMPANY})),
    "BudgetLineOverrun": ("finance", frozenset({Scope.PROJECT, Scope.COMPANY})),
    "MilestoneOverdue": ("projects", frozenset({Scope.PROJECT, Scope.COMPANY})),
    "DeviationReported": ("projects", frozenset({Scope.PROJECT, Scope.COMPANY})),
}
"""What an indicator can count: the upstream events risk reads (reactions.py), the service
that publishes each, and what each names to be counted against (every one counts for the
company)."""

NAME = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
WINDOW_DAYS_MAX = 3660


class Band(StrEnum):
    """Where a value stands against its indicator's thresholds."""

    NORMAL = "normal"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Band).index(self)


@dataclass(frozen=True)
class Indicator:
    """One KRI as one version of its definition says: what it counts (`source` service and
    `events`), per what (`scope`), over how many days, and its thresholds (a value at or
    above one is past it)."""

    name: str
    version: int
    title: str
    source: str
    events: tuple[str, ...]
    scope: Scope
    category: Category
    window_days: int
    warning: int
    critical: int

    def __post_init__(self) -> None:
        if not 0 < self.warning < self.critical:
            raise ValueError(f"{self.name}: thresholds must rise: 0 < warning < critical")
        if self.window_days < 1:
            raise ValueError(f"{self.name}: a window is a day or more")

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)

    def band(self, value: int) -> Band:
        if value >= self.critical:
            return Band.CRITICAL
        if value >= self.warning:
            return Band.WARNING
        return Band.NORMAL

    def threshold(self, band: Band) -> int:
        return self.critical if band == Band.CRITICAL else self.warning


def _built_in(
    name: str, title: str, event: str, scope: Scope, category: Category, days: int, w: int, c: int
) -> Indicator:
    return Indicator(name, 1, title, COUNTABLE[event][0], (event,), scope, category, days, w, c)


BUILT_IN: tuple[Indicator, ...] = (
    _built_in(
        "complaints_per_customer",
        "Complaints received from a customer",
        "ComplaintReceived",
        Scope.CUSTOMER,
        Category.MARKET,
        90,
        2,
        4,
    ),
    _built_in(
        "escalated_complaints_per_customer",
        "Complaints of a customer escalated for want of an answer in time",
        "ComplaintEscalated",
        Scope.CUSTOMER,
        Category.MARKET,
        90,
        1,
        3,
    ),
    _built_in(
        "overdue_follow_ups_per_customer",
        "Follow-up visits of a customer missed",
        "FollowUpOverdue",
        Scope.CUSTOMER,
        Category.MARKET,
        180,
        1,
        3,
    ),
    _built_in(
        "overdue_receivables_per_customer",
        "Invoices of a customer unpaid past their due date",
        "ReceivableOverdue",
        Scope.CUSTOMER,
        Category.CREDIT,
        180,
        1,
        3,
    ),
    _built_in(
        "overdue_receivables",
        "Invoices unpaid past their due date, company-wide",
        "ReceivableOverdue",
        Scope.COMPANY,
        Category.CREDIT,
        30,
        10,
        25,
    ),
    _built_in(
        "budget_overruns_per_project",
        "Budget lines of a project overspent",
        "BudgetLineOverrun",
        Scope.PROJECT,
        Category.OPERATIONAL,
        365,
        1,
        3,
    ),
    _built_in(
        "overdue_milestones_per_project",
        "Milestones of a project overdue",
        "MilestoneOverdue",
        Scope.PROJECT,
        Category.OPERATIONAL,
        180,
        1,
        3,
    ),
    _built_in(
        "deviations_per_project",
        "Deviations from a project's plan reported",
        "DeviationReported",
        Scope.PROJECT,
        Category.OPERATIONAL,
        180,
        2,
        4,
    ),
)
"""The indicators the service comes with: each one's definition at version 1."""
