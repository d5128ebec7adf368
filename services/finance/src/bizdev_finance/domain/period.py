"""Monthly accounting periods (REGULATIONS 7.3): once finance closes a month, no posting dated
inside it is accepted, and the lines whose variance passes the threshold then need finance's
explanation before the period's report is final.

The close is one decision over the books, every budget and the new period, saved in one
transaction: it stamps the month on every budget (Budget.close_month), so a posting that
read a budget before the close and saves after it finds the budget's version moved and is
refused (the event store's optimistic concurrency), and the lines to explain are computed
from the budgets themselves, never from a read model that may lag."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.days import decided_in_utc
from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_finance.domain.books import Books
from bizdev_finance.domain.budget import Budget
from bizdev_finance.domain.budget_lines import month_of
from bizdev_finance.domain.receivable import Receivable

_PERIODS = uuid5(NAMESPACE_URL, "urn:bizdev:finance:period")


class Period(Aggregate):
    """A closed month. The record exists only once closed: its id derives from the month, so
    closing it twice makes a second record with the same id, which the event store refuses."""

    @staticmethod
    def create_id(month: str) -> UUID:
        return uuid5(_PERIODS, month)

    class Closed(Aggregate.Created):
        class_version = 2
        by: str
        month: str
        first_day: date
        last_day: date
        threshold_percent: Decimal | None
        flagged_lines: list[dict[str, Any]] | None
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    @event(Closed)
    def __init__(
        self,
        by: str,
        month: str,
        first_day: date,
        last_day: date,
        time_zone: str,
        threshold_percent: Decimal | None = None,
        flagged_lines: list[dict[str, Any]] | None = None,
    ) -> None:
        self.closed_by = by
        self.month = month
        self.first_day = first_day
        self.last_day = last_day
        self.threshold_percent = threshold_percent
        self.flagged: set[tuple[UUID, UUID]] = {
            (UUID(str(f["budget_id"])), UUID(str(f["line_id"]))) for f in flagged_lines or ()
        }
        self.explained: dict[tuple[UUID, UUID], dict[str, str]] = {}
        self.final = False

    class VarianceExplained(Aggregate.Event):
        by: str
        budget_id: UUID
        line_id: UUID
        reason: str
        improvement: str

    def explain(
        self, actor: Actor, budget_id: UUID, line_id: UUID, *, reason: str, improvement: str
    ) -> None:
        """Finance explains a line's variance in this period: its reason and the improvement
        proposed (REGULATIONS 7.3). A later explanation replaces the earlier one."""
        require_acting(actor)
        require_role(actor, Role.FINANCE)
        if self.final:
            raise InvalidTransition(f"the report of {self.month} is final")
        require_text("reason", reason)
        require_text("improvement", improvement)
        self._explain(
            by=actor.user_id,
            budget_id=budget_id,
            line_id=line_id,
            reason=reason,
            improvement=improvement,
        )

    @event(VarianceExplained)
    def _explain(
        self, by: str, budget_id: UUID, line_id: UUID, reason: str, improvement: str
    ) -> None:
        self.explained[(budget_id, line_id)] = {"reason": reason, "improvement": improvement}

    class ReportFinalized(Aggregate.Event):
        by: str
        month: str
        explained_lines: int

    def finalize(self, actor: Actor) -> None:
        """Finance makes the period's report final once every line the close found past the
        threshold is explained."""
        require_acting(actor)
        require_role(actor, Role.FINANCE)
        if self.final:
            raise InvalidTransition(f"the report of {self.month} is final")
        missing = self.flagged - self.explained.keys()
        if missing:
            lines = ", ".join(sorted(str(line) for _, line in missing))
            raise RuleViolation("explanations", f"explain the variance of lines {lines} first")
        self._finalize(by=actor.user_id, month=self.month, explained_lines=len(self.explained))

    @event(ReportFinalized)
    def _finalize(self, by: str, month: str, explained_lines: int) -> None:
        self.final = True


def close_month(
    actor: Actor,
    year: int,
    month: int,
    *,
    today: date,
    time_zone: str,
    threshold_percent: Decimal,
    books: Books,
    budgets: Iterable[Budget],
    receivables: Iterable[Receivable] = (),
) -> Period:
    """Finance closes a month that is over: `today`, the company's day in `time_zone`, is
    past it, and the period names that zone. `budgets` and `receivables` are every one the
    books list: each is stamped closed for the month (no expense, payment or receipt dated
    inside it from then), and each line whose actual passes its budget by more
    than `threshold_percent` (variance % below minus it) as of the month's last day is
    recorded in the period as needing an explanation, with its figures, together with the
    threshold used, so the report stays explainable when the setting changes later."""
    require_acting(actor)
    require_role(actor, Role.FINANCE)
    if not 1 <= month <= 12:
        raise RuleViolation("month", "a month is 1 to 12")
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    if following > today:
        raise RuleViolation("month", f"{month_of(first)} is not over yet")
    name = month_of(first)
    if name in books.closed_months:
        raise InvalidTransition(f"{name} is already closed")
    last = date.fromordinal(following.toordinal() - 1)
    flagged: list[dict[str, Any]] = []
    for budget in budgets:
        for line_id, f in budget.figures(last).items():
            percent = f.variance_percent
            if percent is not None and percent < -threshold_percent:
                flagged.append(
                    {
                        "budget_id": budget.id,
                        "project_id": budget.project_id,
                        "line_id": line_id,
                        "category": f.category,
                        "budget": f.budget,
                        "actual": f.actual,
                        "variance_percent": percent,
                    }
                )
        budget.close_month(name)
    for receivable in receivables:
        receivable.close_month(name)
    books.close_month(name)
    return Period(
        by=actor.user_id,
        month=name,
        first_day=first,
        last_day=last,
        threshold_percent=threshold_percent,
        flagged_lines=flagged,
        time_zone=time_zone,
    )
