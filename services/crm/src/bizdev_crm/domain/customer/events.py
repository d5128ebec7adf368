"""The events of a customer, as they are stored: their fields and the upcasters of their
earlier versions. `Customer` names each one in its body, so it is defined there again as
`Customer.<Event>`: the topic of every event stored stays what it was."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from bizdev_common.days import decided_in_utc
from bizdev_common.domain import Money
from eventsourcing.domain import Aggregate

from bizdev_crm.domain.customer.contacts import Sealed
from bizdev_crm.domain.values import CustomerStatus


class Registered(Aggregate.Created):
    class_version = 2
    by: str
    name: str
    industry: str
    channel: str
    owner: str
    department: str
    address: str
    needs: str
    preferences: str
    status: str
    next_visit_due_on: date | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Registered before statuses and visit cycles: a prospect with no visit owed
        # until its status is set or a visit is recorded.
        state["status"] = CustomerStatus.PROSPECT.value
        state["next_visit_due_on"] = None


class FileUpdated(Aggregate.Event):
    by: str
    name: str
    industry: str
    address: str
    needs: str
    preferences: str


class ContactPersonAdded(Aggregate.Event):
    by: str
    contact_id: UUID
    position: str
    name: Sealed
    phone: Sealed | None
    email: Sealed | None


class ContactPersonChanged(Aggregate.Event):
    by: str
    contact_id: UUID
    position: str
    name: Sealed
    phone: Sealed | None
    email: Sealed | None


class ProposalOffered(Aggregate.Event):
    by: str
    proposal_id: UUID
    title: str
    description: str
    value: Money


class ProposalOutcomeRecorded(Aggregate.Event):
    by: str
    proposal_id: UUID
    outcome: str
    notes: str


class DealingRecorded(Aggregate.Event):
    by: str
    project_id: UUID
    project_name: str
    department: str
    application_id: UUID


class PersonalDataErased(Aggregate.Event):
    by: str
    reason: str
    contact_ids: list[UUID]


class StatusChanged(Aggregate.Event):
    by: str
    status: str
    previous: str
    reason: str
    next_visit_due_on: date | None


class OwnerReassigned(Aggregate.Event):
    by: str
    owner: str
    previous_owner: str
    department: str
    reason: str


class Visited(Aggregate.Event):
    by: str
    follow_up_id: UUID
    visited_on: date
    next_visit_due_on: date | None


class FollowUpOverdue(Aggregate.Event):
    class_version = 2
    by: str | None
    owner: str
    department: str
    status: str
    due_on: date
    last_visited_on: date | None
    next_visit_due_on: date | None
    time_zone: str

    upcast_v1_v2 = staticmethod(decided_in_utc)
