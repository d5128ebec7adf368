"""The organisation (owned by hr): people, departments with their heads, and the teams
projects form (from its TeamLeadAppointed / TeamMember* events). Rating relations come from
it; other services follow it by PersonJoined, PersonMoved, SupervisorAssigned, PersonLeft."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
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
from bizdev_common.boundary import Day, Name, PageParams, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_performance.api.access import guard_person
from bizdev_performance.api.common import Change, Create
from bizdev_performance.application import PerformanceApplication
from bizdev_performance.domain import Department, Person

router = APIRouter(route_class=CommandRoute)


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: Name = Field(description="The user id their tokens carry (`sub`)")
    name: Name = Field(description="Their name: shown over HTTP, never published")
    department: Name = Field(description="Their department, as tokens carry it")
    position: Title
    supervisor: Name | None = Field(default=None, description="User id of a person recorded")
    joined_on: Day


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: Name
    position: Title
    reason: Text


class SupervisorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supervisor: Name = Field(description="User id of a person recorded; never a chain back")


class LeaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    left_on: Day
    reason: Text


class HeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: Name
    head: Name = Field(description="User id of a person recorded")


class PersonView(BaseModel):
    id: UUID
    version: int
    user_id: str
    department: str
    position: str
    supervisor: str | None
    joined_on: date
    left_on: date | None
    active: bool
    created_at: datetime
    updated_at: datetime


class PersonDetail(PersonView):
    name: str = Field(description="From the record itself: never on the topic")
    supervisors: list[str] = Field(description="The chain above them, nearest first")


class DepartmentView(BaseModel):
    id: UUID
    version: int
    department: str
    head: str
    created_at: datetime
    updated_at: datetime


class TeamMember(BaseModel):
    member: str
    lead: bool


class TeamView(BaseModel):
    project_id: UUID = Field(description="A team is a project's: its id is the project's")
    name: str | None
    department: str
    members: list[TeamMember] = Field(description="Its active members, the lead first")


class PersonAsOf(BaseModel):
    id: UUID
    version: int
    user_id: str
    department: str
    position: str
    supervisor: str | None
    left_on: date | None


PEOPLE = ListQuery(
    "people",
    filters=["user_id", "department", "supervisor", "active"],
    sorts=["user_id", "department", "joined_on", "created_at", "updated_at"],
    text=["user_id", "department", "position"],
    default_sort="user_id",
)


@router.post(
    "/people",
    status_code=201,
    response_model=Accepted,
    tags=["organisation"],
    summary="Record a person of the organisation (hr)",
    description="Publishes PersonJoined (ids, department, position, supervisor; no name).",
)
def join(body: PersonIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.join(
        actor,
        user_id=body.user_id,
        name=body.name,
        department=body.department,
        position=body.position,
        supervisor=body.supervisor,
        joined_on=body.joined_on,
    )
    return cmd.accepted(result)


@router.post(
    "/people/{person_id}/move",
    response_model=Accepted,
    tags=["organisation"],
    summary="Move a person to another department or position (hr)",
)
def move(person_id: UUID, body: MoveIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Person,
        person_id,
        lambda person: person.move(
            actor, department=body.department, position=body.position, reason=body.reason
        ),
    )


@router.post(
    "/people/{person_id}/supervisor",
    response_model=Accepted,
    tags=["organisation"],
    summary="Assign a person's supervisor (hr)",
)
def assign_supervisor(
    person_id: UUID, body: SupervisorIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.accepted(cmd.app.assign_supervisor(actor, person_id, cmd.version, body.supervisor))


@router.post(
    "/people/{person_id}/leave",
    response_model=Accepted,
    tags=["organisation"],
    summary="Record that a person left (hr)",
)
def leave(person_id: UUID, body: LeaveIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Person,
        person_id,
        lambda person: person.leave(actor, left_on=body.left_on, reason=body.reason),
    )


@router.get(
    "/people",
    response_model=Page[PersonView],
    tags=["organisation"],
    summary="The organisation's people (ids, departments, positions, supervisors: everyone's)",
)
async def list_people(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(PEOPLE.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    user_id: Name | None = None,
    department: Name | None = None,
    supervisor: Name | None = None,
    active: bool | None = None,
) -> Page[PersonView]:
    where = {
        "user_id": user_id,
        "department": department,
        "supervisor": supervisor,
        "active": active,
    }
    return await page_of(rt, PEOPLE, page, consistency, where, PersonView)


async def _person_detail(
    rt: Runtime[PerformanceApplication, Any], actor: Actor, row: asyncpg.Record
) -> PersonDetail:
    person = await run_in_threadpool(rt.application.person, row["user_id"])
    chain = await run_in_threadpool(rt.application.chain_of, row["user_id"])
    return PersonDetail(
        **PersonView.model_validate(dict(row)).model_dump(),
        name=person.name if person is not None else "",
        supervisors=chain,
    )


def _person_as_of(p: Person) -> PersonAsOf:
    return PersonAsOf(
        id=p.id,
        version=p.version,
        user_id=p.user_id,
        department=p.department,
        position=p.position,
        supervisor=p.supervisor,
        left_on=p.left_on,
    )


PERSON = RecordRoutes(router, "/people/{person_id}", "person", ["organisation"])
PERSON.detail("people", PersonDetail, read=_person_detail)
PERSON.as_of(Person, PersonAsOf, _person_as_of, summary="The person's record as of a version")
# Their file's history holds the reasons of their moves: who needs to know.
PERSON_FILE = RecordRoutes(
    router, "/people/{person_id}", "person", ["organisation"], guard=guard_person
)
PERSON_FILE.history(Person, summary=EVERY_EVENT + " (who needs to know the person's performance)")


@router.post(
    "/departments",
    response_model=Accepted,
    tags=["organisation"],
    summary="Record a department's head (hr): establishes the department, or appoints anew",
)
def appoint_head(body: HeadIn, actor: CurrentActor, cmd: Create) -> Accepted:
    return cmd.accepted(cmd.app.appoint_head(actor, body.department, body.head))


DEPARTMENTS = ListQuery(
    "departments",
    filters=["head"],
    sorts=["department", "created_at", "updated_at"],
    text=["department"],
    default_sort="department",
)


@router.get("/departments", response_model=Page[DepartmentView], tags=["organisation"])
async def list_departments(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(DEPARTMENTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    head: Name | None = None,
) -> Page[DepartmentView]:
    return await page_of(rt, DEPARTMENTS, page, consistency, {"head": head}, DepartmentView)


DEPARTMENT = RecordRoutes(router, "/departments/{department_id}", "department", ["organisation"])
DEPARTMENT.detail("departments", DepartmentView, lambda r: DepartmentView.model_validate(dict(r)))
DEPARTMENT.history(Department, summary=EVERY_EVENT)


@router.get(
    "/teams",
    response_model=list[TeamView],
    tags=["organisation"],
    summary="Teams as projects form them (a project's team: its lead and members)",
)
async def list_teams(
    actor: CurrentActor,
    rt: RuntimeDep,
    project_id: UUID | None = None,
    member: Name | None = None,
    department: Name | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[TeamView]:
    s = schema_of(rt)
    clauses, args = [], []
    for column, value in (("p.id", project_id), ("p.department", department)):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if member is not None:
        args.append(member)
        clauses.append(
            f"p.id IN (SELECT project_id FROM {s}.team_members WHERE member = ${len(args)} "
            "AND active)"
        )
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    projects = await rt.pool.fetch(
        f"SELECT p.* FROM {s}.projects p {where} ORDER BY p.name, p.id "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        *args,
    )
    members = await rt.pool.fetch(
        f"SELECT * FROM {s}.team_members WHERE project_id = ANY($1::uuid[]) AND active "
        "ORDER BY lead DESC, member",
        [p["id"] for p in projects],
    )
    return [
        TeamView(
            project_id=p["id"],
            name=p["name"],
            department=p["department"],
            members=[
                TeamMember(member=m["member"], lead=m["lead"])
                for m in members
                if m["project_id"] == p["id"]
            ],
        )
        for p in projects
    ]
