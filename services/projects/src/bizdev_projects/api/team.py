"""The project's team (REGULATIONS 3.2)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from bizdev_common.api import Accepted, RuntimeDep, one_of
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Text, Version
from bizdev_common.commands import CommandRoute
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from bizdev_projects.api.common import Change, UserId
from bizdev_projects.domain import Project

router = APIRouter(route_class=CommandRoute)


class TeamLeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: UserId
    responsibilities: Text


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: UserId
    responsibilities: Text


class ResponsibilitiesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    responsibilities: Text


class MemberView(BaseModel):
    user_id: str
    responsibilities: str
    is_lead: bool
    joined_at: datetime


@router.put(
    "/projects/{project_id}/team-lead",
    response_model=Accepted,
    tags=["team"],
    summary="Appoint the team lead, replacing the current one (management)",
)
def appoint_team_lead(
    project_id: UUID, body: TeamLeadIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Project,
        project_id,
        lambda project: project.appoint_team_lead(actor, body.user_id, body.responsibilities),
    )


@router.post(
    "/projects/{project_id}/members",
    response_model=Accepted,
    tags=["team"],
    summary="Add a member with responsibilities (the team lead or management)",
)
def add_team_member(project_id: UUID, body: MemberIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Project,
        project_id,
        lambda project: project.add_member(actor, body.user_id, body.responsibilities),
    )


@router.put(
    "/projects/{project_id}/members/{user_id}",
    response_model=Accepted,
    tags=["team"],
    summary="Change a member's responsibilities (the team lead or management)",
)
def change_responsibilities(
    project_id: UUID, user_id: UserId, body: ResponsibilitiesIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Project,
        project_id,
        lambda project: project.change_responsibilities(actor, user_id, body.responsibilities),
    )


@router.delete(
    "/projects/{project_id}/members/{user_id}",
    response_model=Accepted,
    tags=["team"],
    summary="Remove a member other than the lead (the team lead or management)",
)
def remove_team_member(
    project_id: UUID, user_id: UserId, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(Project, project_id, lambda project: project.remove_member(actor, user_id))


@router.get(
    "/projects/{project_id}/team",
    response_model=list[MemberView],
    tags=["team"],
    summary="The team now; /projects/{id}/as-of shows it at any earlier time",
)
async def get_team(
    project_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: Annotated[Version | None, Query(description="The project's version")] = None,
) -> list[MemberView]:
    await one_of(rt, "projects", project_id, min_version, response)
    return await team_of(rt.pool, rt.settings.schema_name, project_id)


async def team_of(
    conn: asyncpg.Connection | asyncpg.Pool, schema: str, project_id: UUID
) -> list[MemberView]:
    rows = await conn.fetch(
        f'SELECT * FROM "{schema}".team_members WHERE project_id = $1 '
        "ORDER BY is_lead DESC, joined_at, user_id",
        project_id,
    )
    return [MemberView.model_validate(dict(r)) for r in rows]
