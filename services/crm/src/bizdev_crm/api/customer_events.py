"""Customer events: appreciation events, industry seminars (REGULATIONS 4.2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ReadConsistency,
    RuntimeDep,
    page_of,
    schema_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, PageParams, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_crm.api.common import Change, Create, ReasonIn, sealed_history
from bizdev_crm.domain import CustomerEvent, CustomerEventKind, CustomerEventState

router = APIRouter(route_class=CommandRoute)


class CustomerEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: CustomerEventKind
    title: Title
    held_on: Day
    venue: Title


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID
    attended: bool


class Invitee(BaseModel):
    customer_id: UUID
    customer_name: str | None
    attended: bool | None = Field(description="Null until attendance is recorded")
    invited_at: datetime


class CustomerEventView(BaseModel):
    id: UUID
    version: int
    kind: CustomerEventKind
    title: str
    held_on: date
    venue: str
    organiser: str
    department: str
    state: CustomerEventState
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime


class CustomerEventDetail(CustomerEventView):
    invitations: list[Invitee]
    attended: int = Field(description="How many invited customers came")


CUSTOMER_EVENTS = ListQuery(
    "customer_events",
    filters=["kind", "state", "department", "organiser"],
    sorts=["held_on", "created_at", "title"],
    text=["title", "venue"],
    default_sort="-held_on",
)


@router.post(
    "/customer-events",
    status_code=201,
    response_model=Accepted,
    tags=["customer events"],
    summary="Plan an appreciation event or industry seminar (any employee)",
)
def plan_customer_event(body: CustomerEventIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.plan_customer_event(
        actor, kind=body.kind.value, title=body.title, held_on=body.held_on, venue=body.venue
    )
    return cmd.accepted(result)


@router.post(
    "/customer-events/{event_id}/invitations",
    response_model=Accepted,
    tags=["customer events"],
    summary="Invite a customer (the organiser or their department head)",
)
def invite_customer(
    event_id: UUID, body: InvitationIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.invite_customer(actor, event_id, cmd.version, body.customer_id)
    return cmd.accepted(result)


@router.post(
    "/customer-events/{event_id}/attendance",
    response_model=Accepted,
    tags=["customer events"],
    summary="Record whether an invited customer attended (the organiser or their head)",
)
def record_attendance(
    event_id: UUID, body: AttendanceIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        CustomerEvent,
        event_id,
        lambda customer_event: customer_event.record_attendance(
            actor, customer_id=body.customer_id, attended=body.attended
        ),
    )


@router.post(
    "/customer-events/{event_id}/cancel",
    response_model=Accepted,
    tags=["customer events"],
    summary="Cancel a planned event (the organiser or their department head)",
)
def cancel_customer_event(
    event_id: UUID, body: ReasonIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        CustomerEvent,
        event_id,
        lambda customer_event: customer_event.cancel(actor, reason=body.reason),
    )


@router.get("/customer-events", response_model=Page[CustomerEventView], tags=["customer events"])
async def list_customer_events(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(CUSTOMER_EVENTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    kind: CustomerEventKind | None = None,
    state: CustomerEventState | None = None,
    department: Name | None = None,
    organiser: Name | None = None,
) -> Page[CustomerEventView]:
    where = {
        "kind": kind.value if kind else None,
        "state": state.value if state else None,
        "department": department,
        "organiser": organiser,
    }
    return await page_of(rt, CUSTOMER_EVENTS, page, consistency, where, CustomerEventView)


async def _customer_event_read(
    rt: Runtime, actor: Actor, row: asyncpg.Record
) -> CustomerEventDetail:
    s = schema_of(rt)
    invitations = await rt.pool.fetch(
        f"SELECT i.customer_id, c.name AS customer_name, i.attended, i.invited_at "
        f"FROM {s}.event_invitations i LEFT JOIN {s}.customers c ON c.id = i.customer_id "
        "WHERE i.event_id = $1 ORDER BY i.invited_at, i.customer_id",
        row["id"],
    )
    invitees = [Invitee.model_validate(dict(i)) for i in invitations]
    return CustomerEventDetail.model_validate(
        {
            **dict(row),
            "invitations": invitees,
            "attended": sum(1 for i in invitees if i.attended),
        }
    )


CUSTOMER_EVENT = RecordRoutes(
    router, "/customer-events/{event_id}", "customer_event", ["customer events"]
)
CUSTOMER_EVENT.detail(
    "customer_events",
    CustomerEventDetail,
    read=_customer_event_read,
    summary="The event with its invitations and attendance",
)
CUSTOMER_EVENT.history(CustomerEvent, summary=EVERY_EVENT, events=sealed_history)
