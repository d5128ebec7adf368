"""Follow-up visits (REGULATIONS 4.2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from bizdev_common.api import (
    Accepted,
    ReadConsistency,
    RuntimeDep,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import (
    LIMIT_MAX,
    OFFSET_MAX,
    CursorQuery,
    Day,
    Name,
    PageParams,
    Text,
)
from bizdev_common.commands import CommandRoute
from bizdev_common.days import company_day
from bizdev_common.readmodel import Condition, ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_crm.api.common import Change, Create, ReasonIn, Score, sealed_history
from bizdev_crm.domain import FollowUp, FollowUpState

router = APIRouter(route_class=CommandRoute)


class FollowUpView(BaseModel):
    id: UUID
    version: int
    customer_id: UUID
    department: str
    visitor: str
    scheduled_by: str
    due_on: date
    purpose: str
    state: FollowUpState
    visited_on: date | None
    satisfaction: int | None
    notes: str | None
    cancel_reason: str | None
    recorded_at: datetime | None
    created_at: datetime
    updated_at: datetime


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID
    due_on: Day = Field(description="Date the visit is due by")
    purpose: Text
    visitor: Name | None = Field(default=None, description="User id of the visitor (default: you)")


class FollowUpOutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visited_on: Day
    satisfaction: Score
    notes: Text


class OverdueFollowUp(FollowUpView):
    days_overdue: int


FOLLOW_UPS = ListQuery(
    "follow_ups",
    filters=["customer_id", "visitor", "state", "department"],
    sorts=["due_on", "created_at", "updated_at"],
    text=["purpose", "notes"],
    default_sort="due_on",
)


@router.post(
    "/follow-ups",
    status_code=201,
    response_model=Accepted,
    tags=["follow-ups"],
    summary="Schedule a follow-up visit (any employee)",
)
def schedule_follow_up(body: FollowUpIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.schedule_follow_up(
        actor,
        customer_id=body.customer_id,
        due_on=body.due_on,
        purpose=body.purpose,
        visitor=body.visitor,
    )
    return cmd.accepted(result)


@router.post(
    "/follow-ups/{follow_up_id}/outcome",
    response_model=Accepted,
    tags=["follow-ups"],
    summary="Record the visit's outcome and the customer's satisfaction (the visitor)",
)
def record_follow_up(
    follow_up_id: UUID, body: FollowUpOutcomeIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.record_follow_up(
        actor,
        follow_up_id,
        cmd.version,
        visited_on=body.visited_on,
        satisfaction=body.satisfaction,
        notes=body.notes,
    )
    return cmd.accepted(result)


@router.post(
    "/follow-ups/{follow_up_id}/cancel",
    response_model=Accepted,
    tags=["follow-ups"],
    summary="Cancel a scheduled visit (the visitor or who scheduled it)",
)
def cancel_follow_up(
    follow_up_id: UUID, body: ReasonIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        FollowUp, follow_up_id, lambda follow_up: follow_up.cancel(actor, reason=body.reason)
    )


@router.get("/follow-ups", response_model=Page[FollowUpView], tags=["follow-ups"])
async def list_follow_ups(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(FOLLOW_UPS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    customer_id: UUID | None = None,
    visitor: Name | None = None,
    state: FollowUpState | None = None,
    department: Name | None = None,
) -> Page[FollowUpView]:
    where = {
        "customer_id": customer_id,
        "visitor": visitor,
        "state": state.value if state else None,
        "department": department,
    }
    return await page_of(rt, FOLLOW_UPS, page, consistency, where, FollowUpView)


@router.get(
    "/follow-ups/overdue",
    response_model=Page[OverdueFollowUp],
    tags=["follow-ups"],
    summary="Scheduled visits past their due date, most overdue first",
)
async def overdue_follow_ups(
    actor: CurrentActor,
    rt: RuntimeDep,
    visitor: Name | None = None,
    department: Name | None = None,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 20,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
    cursor: CursorQuery = None,
) -> Page[OverdueFollowUp]:
    today = company_day(rt.clock.now())
    where = {
        "state": FollowUpState.SCHEDULED.value,
        "visitor": visitor,
        "department": department,
        "overdue": Condition("due_on < {}", (today,)),
    }
    rows, total = await FOLLOW_UPS.page(
        rt.pool,
        rt.settings.schema_name,
        where=where,
        q=None,
        sort="due_on",
        limit=limit,
        offset=offset,
        cursor=cursor,
    )
    items = [
        OverdueFollowUp.model_validate({**dict(r), "days_overdue": (today - r["due_on"]).days})
        for r in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


FOLLOW_UP = RecordRoutes(router, "/follow-ups/{follow_up_id}", "follow_up", ["follow-ups"])
FOLLOW_UP.detail("follow_ups", FollowUpView, lambda row: FollowUpView.model_validate(dict(row)))
FOLLOW_UP.history(FollowUp, summary=EVERY_EVENT, events=sealed_history)
