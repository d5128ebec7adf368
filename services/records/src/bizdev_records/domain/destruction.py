"""A destruction list (REGULATIONS 9.4): the archivist lists records whose retention is over,
management approves the list (never the one who drew it up), and the archivist destroys them
before a witness. The list and each record's destruction are kept for good."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from uuid import UUID

from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_not_self,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event


class ListState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    CARRIED_OUT = "carried_out"


class DestructionList(Aggregate):
    class Proposed(Aggregate.Created):
        by: str
        record_ids: list[UUID]
        reason: str
        listed_on: date

    @event(Proposed)
    def __init__(self, by: str, record_ids: list[UUID], reason: str, listed_on: date) -> None:
        self.proposed_by = by
        self.record_ids = list(record_ids)
        self.reason = reason
        self.state = ListState.PROPOSED
        self.approved_by: str | None = None

    @classmethod
    def propose(
        cls, actor: Actor, record_ids: Sequence[UUID], reason: str, today: date
    ) -> DestructionList:
        """`record_ids` are the records whose retention the application found over and that
        may be destroyed (no legal hold, not lent)."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        require_text("reason", reason)
        if not record_ids:
            raise RuleViolation("record_ids", "a destruction list lists at least one record")
        if len(set(record_ids)) != len(record_ids):
            raise RuleViolation("record_ids", "a record is listed once")
        return cls(by=actor.user_id, record_ids=list(record_ids), reason=reason, listed_on=today)

    class Approved(Aggregate.Event):
        by: str
        record_ids: list[UUID]

    def approve(self, actor: Actor) -> None:
        require_acting(actor)
        require_role(actor, Role.MANAGEMENT)
        require_not_self(actor, self.proposed_by, "approve")
        if self.state != ListState.PROPOSED:
            raise InvalidTransition(f"the list is {self.state}")
        self._approve(by=actor.user_id, record_ids=self.record_ids)

    @event(Approved)
    def _approve(self, by: str, record_ids: list[UUID]) -> None:
        self.approved_by = by
        self.state = ListState.APPROVED

    class CarriedOut(Aggregate.Event):
        by: str
        witness: str
        method: str
        destroyed: list[UUID]

    def carry_out(self, actor: Actor, witness: str, method: str) -> str:
        """The archivist destroys the listed records; returns who approved the list."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        if self.state == ListState.PROPOSED:
            raise InvalidTransition("destruction needs management's approval of the list")
        if self.state != ListState.APPROVED:
            raise InvalidTransition(f"the list is {self.state}")
        assert self.approved_by is not None
        self._carry_out(by=actor.user_id, witness=witness, method=method, destroyed=self.record_ids)
        return self.approved_by

    @event(CarriedOut)
    def _carry_out(self, by: str, witness: str, method: str, destroyed: list[UUID]) -> None:
        self.state = ListState.CARRIED_OUT
