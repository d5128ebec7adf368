"""Communication (REGULATIONS §6): meetings with their minutes and action items, contacts
with outside parties."""

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
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, Note, PageParams, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_projects.api.common import Change, Create, UserId
from bizdev_projects.domain import Meeting, MeetingKind, MeetingState, PartyKind, PlannedActionItem

router = APIRouter(route_class=CommandRoute)


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: MeetingKind
    title: Title
    meeting_date: Day
    attendees: list[UserId] = Field(max_length=200, description="User ids invited")
    agenda: Note = ""


class ActionItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: Text
    owner: UserId
    due_date: Day


class MinutesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes: Text
    attendees: list[UserId] = Field(max_length=200, description="Who actually attended")
    action_items: list[ActionItemIn] = Field(default_factory=list, max_length=200)


class ActionItemView(BaseModel):
    id: UUID
    meeting_id: UUID
    meeting_title: str
    meeting_date: date
    project_id: UUID
    project_name: str
    description: str
    owner: str
    due_date: date
    done: bool
    done_by: str | None
    done_at: datetime | None


class MeetingView(BaseModel):
    id: UUID
    version: int
    project_id: UUID
    project_name: str
    department: str
    kind: MeetingKind
    title: str
    meeting_date: date
    organizer: str
    attendees: list[str]
    agenda: str
    state: MeetingState
    minutes: str | None
    minutes_by: str | None
    created_at: datetime
    updated_at: datetime


class MeetingDetail(MeetingView):
    action_items: list[ActionItemView]


MEETINGS = ListQuery(
    "meetings",
    filters=["project_id", "kind", "state", "department", "organizer"],
    sorts=["meeting_date", "created_at", "title"],
    text=["title", "agenda", "minutes", "project_name"],
    default_sort="-meeting_date",
)

ACTION_ITEMS = ListQuery(
    "action_item_list",
    filters=["owner", "done", "project_id", "meeting_id"],
    sorts=["due_date", "created_at", "meeting_date"],
    text=["description", "meeting_title", "project_name"],
    default_sort="due_date",
)


@router.post(
    "/projects/{project_id}/meetings",
    status_code=201,
    response_model=Accepted,
    tags=["communication"],
    summary="Call a meeting (the team lead or management)",
)
def schedule_meeting(
    project_id: UUID, body: MeetingIn, actor: CurrentActor, cmd: Create
) -> Accepted:
    result = cmd.app.schedule_meeting(
        actor,
        project_id,
        kind=body.kind.value,
        title=body.title,
        meeting_date=body.meeting_date,
        attendees=body.attendees,
        agenda=body.agenda,
    )
    return cmd.accepted(result)


@router.post(
    "/meetings/{meeting_id}/minutes",
    response_model=Accepted,
    tags=["communication"],
    summary="Record the minutes, attendance and action items (the team lead or management)",
)
def record_minutes(meeting_id: UUID, body: MinutesIn, actor: CurrentActor, cmd: Change) -> Accepted:
    result = cmd.app.record_minutes(
        actor,
        meeting_id,
        cmd.version,
        minutes=body.minutes,
        attendees=body.attendees,
        action_items=[
            PlannedActionItem(i.description, i.owner, i.due_date) for i in body.action_items
        ],
    )
    return cmd.accepted(result)


@router.post(
    "/meetings/{meeting_id}/action-items/{item_id}/done",
    response_model=Accepted,
    tags=["communication"],
    summary="Mark an action item done (its owner, the team lead or management)",
)
def complete_action_item(
    meeting_id: UUID, item_id: UUID, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.complete_action_item(actor, meeting_id, cmd.version, item_id)
    return cmd.accepted(result)


@router.get("/meetings", response_model=Page[MeetingView], tags=["communication"])
async def list_meetings(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(MEETINGS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    project_id: UUID | None = None,
    kind: MeetingKind | None = None,
    state: MeetingState | None = None,
    department: Name | None = None,
    organizer: Name | None = None,
) -> Page[MeetingView]:
    where = {
        "project_id": project_id,
        "kind": kind.value if kind else None,
        "state": state.value if state else None,
        "department": department,
        "organizer": organizer,
    }
    return await page_of(rt, MEETINGS, page, consistency, where, MeetingView)


async def _meeting_read(rt: Runtime, actor: Actor, row: asyncpg.Record) -> MeetingDetail:
    items = await rt.pool.fetch(
        f'SELECT * FROM "{rt.settings.schema_name}".action_item_list '
        "WHERE meeting_id = $1 ORDER BY due_date, id",
        row["id"],
    )
    return MeetingDetail.model_validate(
        {**dict(row), "action_items": [ActionItemView.model_validate(dict(i)) for i in items]}
    )


MEETING = RecordRoutes(router, "/meetings/{meeting_id}", "meeting", ["communication"])
MEETING.detail("meetings", MeetingDetail, read=_meeting_read)
MEETING.history(Meeting)


@router.get(
    "/action-items",
    response_model=Page[ActionItemView],
    tags=["communication"],
    summary="Action items; `owner=me&done=false` are your open ones",
)
async def list_action_items(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(ACTION_ITEMS.page_params)],
    consistency: Annotated[ReadConsistency, Query(description="wait_for takes a meeting id")],
    owner: Annotated[Name | None, Query(description="A user id, or `me`")] = None,
    done: bool | None = None,
    project_id: UUID | None = None,
    meeting_id: UUID | None = None,
) -> Page[ActionItemView]:
    where = {
        "owner": actor.user_id if owner == "me" else owner,
        "done": done,
        "project_id": project_id,
        "meeting_id": meeting_id,
    }
    return await page_of(
        rt, ACTION_ITEMS, page, consistency, where, ActionItemView, written="meetings"
    )


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party_kind: PartyKind
    party: Title = Field(description="Who was contacted")
    contact_date: Day
    summary: Text
    customer_id: UUID | None = Field(default=None, description="The crm customer, if the party is")


class ContactView(BaseModel):
    id: UUID
    version: int
    project_id: UUID
    project_name: str
    department: str
    party_kind: PartyKind
    party: str
    contact_date: date
    summary: str
    customer_id: UUID | None
    logged_by: str
    created_at: datetime


CONTACTS = ListQuery(
    "contacts",
    filters=["project_id", "party_kind", "customer_id", "department", "logged_by"],
    sorts=["contact_date", "created_at", "party"],
    text=["party", "summary", "project_name"],
    default_sort="-contact_date",
)


@router.post(
    "/projects/{project_id}/contacts",
    status_code=201,
    response_model=Accepted,
    tags=["communication"],
    summary="Log a contact with a customer, partner or supplier (team members, management)",
)
def log_contact(project_id: UUID, body: ContactIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.log_contact(
        actor,
        project_id,
        party_kind=body.party_kind.value,
        party=body.party,
        contact_date=body.contact_date,
        summary=body.summary,
        customer_id=body.customer_id,
    )
    return cmd.accepted(result)


@router.get("/contacts", response_model=Page[ContactView], tags=["communication"])
async def list_contacts(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(CONTACTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    project_id: UUID | None = None,
    party_kind: PartyKind | None = None,
    customer_id: UUID | None = None,
    department: Name | None = None,
    logged_by: Name | None = None,
) -> Page[ContactView]:
    where = {
        "project_id": project_id,
        "party_kind": party_kind.value if party_kind else None,
        "customer_id": customer_id,
        "department": department,
        "logged_by": logged_by,
    }
    return await page_of(rt, CONTACTS, page, consistency, where, ContactView)
