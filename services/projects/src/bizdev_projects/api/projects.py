"""The projects an approved initiation application opens (REGULATIONS 2.3)."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    ReadConsistency,
    RuntimeDep,
    money_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Name, PageParams
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from bizdev_projects.domain import (
    HealthStatus,
    Project,
    ProjectOutcome,
    ProjectState,
)

router = APIRouter(route_class=CommandRoute)


class ProjectFacts(BaseModel):
    """What the project view and the project as of a moment both show."""

    id: UUID
    version: int
    state: ProjectState
    name: str
    department: str
    applicant: str
    application_id: UUID
    expected_revenue: MoneyModel
    lead_id: UUID | None
    customer_id: UUID | None


class ProjectView(ProjectFacts):
    opened_by: str
    team_lead: str | None
    health: HealthStatus
    health_note: str
    outcome: ProjectOutcome | None
    outcome_summary: str | None
    closed_by: str | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


PROJECTS = ListQuery(
    "projects",
    filters=["state", "department", "applicant", "customer_id", "team_lead", "health"],
    sorts=["created_at", "updated_at", "name", "expected_revenue_amount"],
    text=["name"],
    default_sort="-created_at",
)


def project_view(r: asyncpg.Record) -> ProjectView:
    d = dict(r)
    d["expected_revenue"] = money_of(d, "expected_revenue")
    return ProjectView.model_validate(d)


@router.get("/projects", response_model=Page[ProjectView], tags=["projects"])
async def list_projects(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(PROJECTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    state: ProjectState | None = None,
    department: Name | None = None,
    applicant: Name | None = None,
    customer_id: UUID | None = None,
    team_lead: Name | None = None,
    health: HealthStatus | None = None,
) -> Page[ProjectView]:
    where = {
        "state": state.value if state else None,
        "department": department,
        "applicant": applicant,
        "customer_id": customer_id,
        "team_lead": team_lead,
        "health": health.value if health else None,
    }
    return await page_of(rt, PROJECTS, page, consistency, where, project_view)


class MilestoneAsOf(BaseModel):
    id: UUID
    name: str
    due_date: date
    owner: str
    percent: int
    completed_on: date | None
    overdue_since: datetime | None


class ProjectAsOf(ProjectFacts):
    """The project as it stood at a version or moment (from its events): who was on the team
    and who led it then, how far each milestone was."""

    team_lead: str | None
    members: dict[str, str] = Field(description="User id → responsibilities")
    milestones: list[MilestoneAsOf]
    health: HealthStatus
    health_note: str
    outcome: ProjectOutcome | None
    modified_on: datetime


def _project_as_of(p: Project) -> ProjectAsOf:
    return ProjectAsOf(
        id=p.id,
        version=p.version,
        state=p.state,
        name=p.name,
        department=p.department,
        applicant=p.applicant,
        application_id=p.application_id,
        expected_revenue=MoneyModel.model_validate(p.expected_revenue),
        lead_id=p.lead_id,
        customer_id=p.customer_id,
        team_lead=p.team_lead,
        members=dict(p.members),
        milestones=[
            MilestoneAsOf.model_validate(m, from_attributes=True) for m in p.milestones.values()
        ],
        health=p.health,
        health_note=p.health_note,
        outcome=p.outcome,
        modified_on=p.modified_on,
    )


PROJECT = RecordRoutes(router, "/projects/{project_id}", "project", ["projects"])
PROJECT.detail("projects", ProjectView, project_view)
PROJECT.history(Project, summary=EVERY_EVENT)
PROJECT.as_of(Project, ProjectAsOf, _project_as_of, summary="The project as of a version or a time")
