"""Monthly accounting periods (REGULATIONS 7.3): once finance closes a month, no posting dated
inside it is accepted."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

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

_PERIODS = uuid5(NAMESPACE_URL, "urn:bizdev:finance:period")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


class Period(Aggregate):
    """A closed month. The record exists only once closed: its id derives from the month, so
    closing it twice makes a second record with the same id, which the event store refuses."""

    @staticmethod
    def create_id(month: str) -> UUID:
        return uuid5(_PERIODS, month)

    class Closed(Aggregate.Created):
        by: str
        month: str
        first_day: date
        last_day: date

    @event(Closed)
    def __init__(self, by: str, month: str, first_day: date, last_day: date) -> None:
        self.closed_by = by
        self.month = month
        self.first_day = first_day
        self.last_day = last_day
        self.explained: dict[tuple[UUID, UUID], dict[str, str]] = {}
        self.final = False

    @classmethod
    def close(cls, actor: Actor, year: int, month: int, today: date) -> Period:
        """Finance closes a month that is over."""
        require_acting(actor)
        require_role(actor, Role.FINANCE)
        if not 1 <= month <= 12:
            raise RuleViolation("month", "a month is 1 to 12")
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        if following > today:
            raise RuleViolation("month", f"{month_of(first)} is not over yet")
        return cls(
            by=actor.user_id,
            month=month_of(first),
            first_day=first,
            last_day=date.fromordinal(following.toordinal() - 1),
        )

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

    def finalize(self, actor: Actor, over_threshold: set[tuple[UUID, UUID]]) -> None:
        """Finance makes the period's report final once every line whose variance passes the
        threshold (`over_threshold`, from the period's figures) is explained."""
        require_acting(actor)
        require_role(actor, Role.FINANCE)
        if self.final:
            raise InvalidTransition(f"the report of {self.month} is final")
        missing = over_threshold - self.explained.keys()
        if missing:
            lines = ", ".join(sorted(str(line) for _, line in missing))
            raise RuleViolation("explanations", f"explain the variance of lines {lines} first")
        self._finalize(by=actor.user_id, month=self.month, explained_lines=len(self.explained))

    @event(ReportFinalized)
    def _finalize(self, by: str, month: str, explained_lines: int) -> None:
        self.final = True
