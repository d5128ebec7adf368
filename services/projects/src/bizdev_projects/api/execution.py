"""Execution (REGULATIONS 3.3): progress against milestones, health, closing, deviation
reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from bizdev_common.api import (
    Accepted,
    ReadConsistency,
    RuntimeDep,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, Note, PageParams, Text
from bizdev_common.commands import CommandRoute
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_projects.api.common import Change, Create
from bizdev_projects.domain import (
    DeviationReport,
    DeviationState,
    HealthStatus,
    Project,
    ProjectOutcome,
)

router = APIRouter(route_class=CommandRoute)


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percent: int = Field(ge=0, le=100, description="100 completes the milestone")
    completed_on: Day | None = Field(default=None, description="Required at 100, only then")
    note: Note = ""


class HealthIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: HealthStatus
    note: Text = Field(description="Why the health changed")


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: ProjectOutcome
    summary: Text


class MilestoneView(BaseModel):
    id: UUID
    project_id: UUID
    project_name: str
    department: str
    name: str
    due_date: date
    owner: str
    percent: int
    status: str = Field(description="open, overdue (reported by the periodic check) or done")
    completed_on: date | None
    late: bool | None
    overdue_at: datetime | None
    updated_at: datetime


MILESTONES = ListQuery(
    "milestones",
    filters=["project_id", "owner", "status", "department"],
    sorts=["due_date", "updated_at", "name", "percent", "overdue_at"],
    text=["name", "project_name"],
    default_sort="due_date",
)


@router.post(
    "/projects/{project_id}/milestones/{milestone_id}/progress",
    response_model=Accepted,
    tags=["execution"],
    summary="Record progress on a milestone; 100% completes it (the team lead)",
)
def record_progress(
    project_id: UUID, milestone_id: UUID, body: ProgressIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Project,
        project_id,
        lambda project: project.record_progress(
            actor,
            milestone_id,
            percent=body.percent,
            completed_on=body.completed_on,
            note=body.note,
        ),
    )


@router.put(
    "/projects/{project_id}/health",
    response_model=Accepted,
    tags=["execution"],
    summary="Change the project's health, with a note (the team lead or management)",
)
def change_health(project_id: UUID, body: HealthIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Project,
        project_id,
        lambda project: project.change_health(actor, body.status.value, body.note),
    )


@router.post(
    "/projects/{project_id}/close",
    response_model=Accepted,
    tags=["execution"],
    summary="Close the project with its outcome (management); it changes no more",
)
def close_project(project_id: UUID, body: CloseIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Project, project_id, lambda project: project.close(actor, body.outcome.value, body.summary)
    )


async def _milestones(
    rt: Runtime,
    page: PageParams,
    consistency: ReadConsistency,
    where: dict[str, Any],
) -> Page[MilestoneView]:
    return await page_of(
        rt, MILESTONES, page, consistency, where, MilestoneView, written="projects"
    )


@router.get(
    "/milestones",
    response_model=Page[MilestoneView],
    tags=["execution"],
    summary="Milestones across projects; wait_for takes a project id",
)
async def list_milestones(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(MILESTONES.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    project_id: UUID | None = None,
    owner: Name | None = None,
    status: Annotated[str | None, Query(pattern="^(open|overdue|done)$")] = None,
    department: Name | None = None,
) -> Page[MilestoneView]:
    where = {"project_id": project_id, "owner": owner, "status": status, "department": department}
    return await _milestones(rt, page, consistency, where)


@router.get(
    "/milestones/overdue",
    response_model=Page[MilestoneView],
    tags=["execution"],
    summary="Milestones reported overdue and not completed, across projects",
)
async def list_overdue_milestones(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(MILESTONES.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    project_id: UUID | None = None,
    owner: Name | None = None,
    department: Name | None = None,
) -> Page[MilestoneView]:
    where = {
        "project_id": project_id,
        "owner": owner,
        "status": "overdue",
        "department": department,
    }
    return await _milestones(rt, page, consistency, where)


class DeviationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deviation: Text = Field(description="What deviates from the plan")
    cause: Text
    adjusted_strategy: Text
    milestone_id: UUID | None = Field(default=None, description="The milestone concerned")


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Text = Field(description="Management's decision on the report")
    replan: bool = Field(
        default=False,
        description="Require re-planning: the project's approved plan gets a new revision, "
        "reviewed like the first, which replaces its schedule and budget when it passes",
    )


class DeviationView(BaseModel):
    id: UUID
    version: int
    project_id: UUID
    project_name: str
    department: str
    milestone_id: UUID | None
    state: DeviationState
    reported_by: str
    deviation: str
    cause: str
    adjusted_strategy: str
    decision: str | None
    replan_required: bool = Field(description="Whether management required re-planning")
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    created_at: datetime
    updated_at: datetime


DEVIATIONS = ListQuery(
    "deviations",
    filters=["project_id", "state", "department", "reported_by"],
    sorts=["created_at", "updated_at", "project_name"],
    text=["deviation", "cause", "adjusted_strategy", "project_name"],
    default_sort="-created_at",
)


@router.post(
    "/projects/{project_id}/deviations",
    status_code=201,
    response_model=Accepted,
    tags=["execution"],
    summary="Report a deviation from the plan, escalated to management (the team lead)",
)
def report_deviation(
    project_id: UUID, body: DeviationIn, actor: CurrentActor, cmd: Create
) -> Accepted:
    result = cmd.app.report_deviation(
        actor,
        project_id,
        deviation=body.deviation,
        cause=body.cause,
        adjusted_strategy=body.adjusted_strategy,
        milestone_id=body.milestone_id,
    )
    return cmd.accepted(result)


@router.post(
    "/deviations/{report_id}/acknowledge",
    response_model=Accepted,
    tags=["execution"],
    summary="Acknowledge a deviation report with a decision, possibly requiring re-planning "
    "(management)",
)
def acknowledge_deviation(
    report_id: UUID, body: AcknowledgeIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.acknowledge_deviation(
        actor, report_id, cmd.version, body.decision, body.replan
    )
    return cmd.accepted(result)


@router.get("/deviations", response_model=Page[DeviationView], tags=["execution"])
async def list_deviations(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(DEVIATIONS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    project_id: UUID | None = None,
    state: DeviationState | None = None,
    department: Name | None = None,
    reported_by: Name | None = None,
) -> Page[DeviationView]:
    where = {
        "project_id": project_id,
        "state": state.value if state else None,
        "department": department,
        "reported_by": reported_by,
    }
    return await page_of(rt, DEVIATIONS, page, consistency, where, DeviationView)


DEVIATION = RecordRoutes(router, "/deviations/{report_id}", "deviation", ["execution"])
DEVIATION.detail("deviations", DeviationView, lambda row: DeviationView.model_validate(dict(row)))
DEVIATION.history(DeviationReport)
