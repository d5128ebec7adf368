"""Monthly accounting periods (REGULATIONS 7.3): once finance closes a month, no posting dated
inside it is accepted."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.domain import Actor, Role, RuleViolation, require_acting, require_role
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
