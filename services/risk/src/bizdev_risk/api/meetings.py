"""Risk review meetings (REGULATIONS 5.3): date, attendees, risks discussed, conclusions and
actions."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from bizdev_common.api import (
    Accepted,
    MinVersion,
    ReadConsistency,
    RuntimeDep,
    one_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, PageParams, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Forbidden
from bizdev_common.readmodel import Condition, ListQuery, Page
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_risk.api.common import Create, reads_all

router = APIRouter(route_class=CommandRoute)


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Text
    owner: Name = Field(description="User id of who does it")
    due_on: Day


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: Day = Field(description="Today or before")
    title: Title
    attendees: list[Name] = Field(min_length=1, max_length=100, description="User ids")
    risk_ids: list[UUID] = Field(default_factory=list, max_length=500)
    conclusions: Text
    actions: list[ActionIn] = Field(default_factory=list, max_length=100)


class ActionView(BaseModel):
    action: str
    owner: str
    due_on: date


class MeetingView(BaseModel):
    id: UUID
    version: int
    held_on: date
    title: str
    attendees: list[str]
    risk_ids: list[UUID]
    conclusions: str
    actions: list[ActionView]
    recorded_by: str
    created_at: datetime
    updated_at: datetime


MEETINGS = ListQuery(
    "meetings",
    filters=[],
    sorts=["held_on", "created_at"],
    text=["title", "conclusions"],
    default_sort="-held_on",
)


def _view(row: object) -> MeetingView:
    data = dict(row)  # type: ignore[call-overload]
    return MeetingView.model_validate({**data, "actions": json.loads(data["actions"])})


@router.post(
    "/review-meetings",
    status_code=201,
    response_model=Accepted,
    tags=["review meetings"],
    summary="Record a risk review meeting (risk officer)",
    description="Publishes ReviewMeetingRecorded.",
)
def record(body: MeetingIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.record_meeting(
        actor,
        held_on=body.held_on,
        title=body.title,
        attendees=body.attendees,
        risk_ids=body.risk_ids,
        conclusions=body.conclusions,
        actions=[a.model_dump(mode="json") for a in body.actions],
    )
    return cmd.accepted(result)


@router.get(
    "/review-meetings",
    response_model=Page[MeetingView],
    tags=["review meetings"],
    summary="Review meetings (risk officer, management, auditor; attendees theirs)",
)
async def list_meetings(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(MEETINGS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
) -> Page[MeetingView]:
    condition = None
    if not reads_all(actor):
        condition = Condition("{} = ANY(attendees)", (actor.user_id,))
    return await page_of(rt, MEETINGS, page, consistency, {"visible": condition}, _view)


@router.get("/review-meetings/{meeting_id}", response_model=MeetingView, tags=["review meetings"])
async def get_meeting(
    meeting_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> MeetingView:
    row = await one_of(rt, "meetings", meeting_id, min_version, response)
    if not reads_all(actor) and actor.user_id not in row["attendees"]:
        raise Forbidden("a meeting is read by its attendees, the risk officer, management, audit")
    return _view(row)
