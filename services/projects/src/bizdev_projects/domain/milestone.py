"""A milestone of a project (REGULATIONS 3.3): the approved plan's, with how far the team has
got with it and the deadline its due date arms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from bizdev_common.days import end_of

MILESTONE_OVERDUE = "milestone_overdue"
"""The kind of deadline a milestone's due date arms (see application.MilestoneOverdueCheck)."""


def milestone_due_at(due_date: date) -> datetime:
    """A milestone is due by the end of its due date, the company's day."""
    return end_of(due_date)


@dataclass
class Milestone:
    """A milestone of the approved plan and how far the team has got with it."""

    id: UUID
    name: str
    due_date: date
    owner: str
    percent: int = 0
    completed_on: date | None = None
    overdue_since: datetime | None = None

    @property
    def done(self) -> bool:
        return self.completed_on is not None
