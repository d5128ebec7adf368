"""A file (卷宗): what the records of one customer, project, contract or marketing matter are
filed under. The other services' events open it and end its active life; the retention of its
records counts from that end (REGULATIONS 9.2, 9.4)."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.days import decided_in_utc
from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_role,
)
from eventsourcing.domain import Aggregate, event

from bizdev_records.domain.scheme import Category, years_after

_FILES = uuid5(NAMESPACE_URL, "urn:bizdev:records:file")


class File(Aggregate):
    """Keyed by its category and subject (the project, customer, contract or application it
    is about), so that every event about one subject finds the same file."""

    @staticmethod
    def create_id(category: str, subject_id: UUID) -> UUID:
        return uuid5(_FILES, f"{category}/{subject_id}")

    class Opened(Aggregate.Created):
        category: str
        subject_id: UUID
        title: str
        department: str
        source: str
        opened_by: str | None

    @event(Opened)
    def __init__(
        self,
        category: str,
        subject_id: UUID,
        title: str,
        department: str,
        source: str,
        opened_by: str | None,
    ) -> None:
        self.category = Category(category)
        self.subject_id = subject_id
        self.title = title
        self.department = department
        self.source = source
        self.ended_on: date | None = None
        self.retention_ends_on: date | None = None
        self.retention_expiry_raised = False

    @classmethod
    def open_marketing(cls, actor: Actor, subject_id: UUID, title: str) -> File:
        """Teams open marketing files themselves (campaigns, material); the other categories
        are opened by the events of the services that own their subjects."""
        require_acting(actor)
        return cls(
            category=Category.MARKETING.value,
            subject_id=subject_id,
            title=title,
            department=actor.department,
            source="team",
            opened_by=actor.user_id,
        )

    class ActiveLifeEnded(Aggregate.Event):
        ended_on: date
        reason: str
        retention_years: int
        retention_ends_on: date

    def end_active_life(self, ended_on: date, reason: str, retention_years: int) -> bool:
        """The event that ends the subject's active life (project closed, contract completed
        or terminated, customer lost): retention counts from here. Once; False when ended."""
        if self.ended_on is not None:
            return False
        self._end(
            ended_on=ended_on,
            reason=reason,
            retention_years=retention_years,
            retention_ends_on=years_after(ended_on, retention_years),
        )
        return True

    @event(ActiveLifeEnded)
    def _end(
        self, ended_on: date, reason: str, retention_years: int, retention_ends_on: date
    ) -> None:
        self.ended_on = ended_on
        self.retention_ends_on = retention_ends_on
        self.retention_expiry_raised = False

    def close(
        self, actor: Actor, today: date, reason: str, retention_years: int, ended_on: date
    ) -> None:
        """The archivist ends a marketing file's active life (no other service does) on the
        day it actually ended: material taken in long after its campaign (a backfile) counts
        its retention from then, so it may be before the file was opened here."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        if self.category != Category.MARKETING:
            raise InvalidTransition(
                f"a {self.category} file's active life ends with its subject, in its service"
            )
        if ended_on > today:
            raise RuleViolation("ended_on", f"ended_on {ended_on} is after today ({today})")
        if not self.end_active_life(ended_on, reason, retention_years):
            raise InvalidTransition("the file's active life has already ended")

    class ActiveLifeResumed(Aggregate.Event):
        reason: str

    def resume_active_life(self, reason: str) -> bool:
        """The subject came back (a lost customer active again): no retention runs."""
        if self.ended_on is None:
            return False
        self._resume(reason=reason)
        return True

    @event(ActiveLifeResumed)
    def _resume(self, reason: str) -> None:
        self.ended_on = None
        self.retention_ends_on = None

    def retention_over(self, today: date) -> bool:
        return self.retention_ends_on is not None and self.retention_ends_on <= today

    class RetentionExpired(Aggregate.Event):
        class_version = 2
        retention_ends_on: date
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    def retention_expired(self, today: date, time_zone: str) -> None:
        """The periodic check: the file's retention is over, its records are due for review
        for destruction; raised once per end of active life. `today` is the company's day in
        `time_zone`, which the event names."""
        if self.retention_ends_on is None or not self.retention_over(today):
            raise InvalidTransition("the file's retention is not over")
        if self.retention_expiry_raised:
            raise InvalidTransition("the file's retention expiry is already raised")
        self._expired(retention_ends_on=self.retention_ends_on, time_zone=time_zone)

    @event(RetentionExpired)
    def _expired(self, retention_ends_on: date, time_zone: str) -> None:
        self.retention_expiry_raised = True
