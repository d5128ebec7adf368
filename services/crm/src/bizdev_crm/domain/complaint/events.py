"""The events of a complaint, as they are stored: their fields and the upcasters of their
earlier versions. `Complaint` names each one in its body, so it is defined there again as
`Complaint.<Event>`: the topic of every event stored stays what it was."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from bizdev_common.days import decided_in_utc
from bizdev_common.domain import Role
from eventsourcing.domain import Aggregate

from bizdev_crm.domain.values import Deadline


class Received(Aggregate.Created):
    class_version = 2
    by: str
    customer_id: UUID
    department: str
    contact_id: UUID | None
    channel: str
    severity: str
    subject: str
    description: str
    received_at: datetime
    response_due_at: datetime
    resolution_due_at: datetime | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Received before resolutions had a deadline: none is owed.
        state["resolution_due_at"] = None


class Assigned(Aggregate.Event):
    by: str
    owner: str
    department: str


class Responded(Aggregate.Event):
    by: str
    proposal: str


class Escalated(Aggregate.Event):
    class_version = 2
    by: str | None
    customer_id: UUID
    department: str
    owner: str | None
    severity: str
    response_due_at: datetime
    escalated_at: datetime
    deadline: str
    due_at: datetime
    level: int
    to_role: str
    to_department: str | None
    next_escalation_at: datetime | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Before levels, an escalation was the first one, of the response deadline, to
        # the head of the complaint's department; no second level was owed.
        state["deadline"] = Deadline.RESPONSE.value
        state["due_at"] = state["response_due_at"]
        state["level"] = 1
        state["to_role"] = Role.DEPARTMENT_HEAD.value
        state["to_department"] = state["department"]
        state["next_escalation_at"] = None


class Resolved(Aggregate.Event):
    by: str
    customer_id: UUID
    resolution: str


class Reopened(Aggregate.Event):
    class_version = 2
    by: str
    reason: str
    response_due_at: datetime | None
    resolution_escalation_at: datetime | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Reopened before a new answer had a deadline: none is owed.
        state["response_due_at"] = None
        state["resolution_escalation_at"] = None


class Closed(Aggregate.Event):
    class_version = 2
    by: str
    customer_id: UUID
    department: str
    cause: str
    root_cause: str
    corrective_action: str
    satisfaction: int
    confirmed_by: str | None
    confirmation_channel: str | None
    confirmed_on: date | None
    confirmed_with: UUID | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Closed before the confirmation was recorded: not known.
        for name in ("confirmed_by", "confirmation_channel", "confirmed_on", "confirmed_with"):
            state[name] = None


class CorrectiveActionAdded(Aggregate.Event):
    by: str
    action_id: UUID
    customer_id: UUID
    department: str
    description: str
    owner: str
    due_on: date


class CorrectiveActionCompleted(Aggregate.Event):
    by: str
    action_id: UUID
    done_on: date
    outcome: str


class CorrectiveActionOverdue(Aggregate.Event):
    class_version = 2
    by: str | None
    action_id: UUID
    customer_id: UUID
    department: str
    owner: str
    due_on: date
    time_zone: str

    upcast_v1_v2 = staticmethod(decided_in_utc)
