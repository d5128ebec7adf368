"""The project at a glance, from every section's views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from bizdev_common.api import RuntimeDep, one_of
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Version
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from bizdev_projects.api.common import money_list
from bizdev_projects.api.communication import MeetingView
from bizdev_projects.api.execution import DeviationView, MilestoneView
from bizdev_projects.api.planning import PlanReviewView
from bizdev_projects.api.projects import ProjectView, project_view
from bizdev_projects.api.team import MemberView, team_of
from bizdev_projects.domain import DeviationState, PlanState

router = APIRouter(route_class=CommandRoute)


class PlanSummary(BaseModel):
    id: UUID
    version: int
    state: PlanState = Field(description="The state of the latest revision")
    revision: int = Field(description="The latest revision (in review while re-planning)")
    review_departments: list[str]
    reviews: list[PlanReviewView] = Field(description="The reviews of the latest revision")
    budget_totals: list[MoneyModel] = Field(
        description="Budget total per currency of the latest revision"
    )
    approved_revision: int | None = Field(
        description="The revision in force, which the milestones and the budget follow"
    )
    approved_budget_totals: list[MoneyModel] = Field(
        description="Budget total per currency of the revision in force; empty until approved"
    )
    approved_at: datetime | None


class Dashboard(BaseModel):
    project: ProjectView
    plan: PlanSummary | None = Field(description="Null until a plan is drafted")
    milestones: list[MilestoneView] = Field(description="By due date, with progress")
    team: list[MemberView] = Field(description="The lead first")
    open_deviations: list[DeviationView] = Field(description="Escalated, not yet acknowledged")
    next_meetings: list[MeetingView] = Field(description="From today on, the next five")


@router.get(
    "/projects/{project_id}/dashboard",
    response_model=Dashboard,
    tags=["projects"],
    summary="The project at a glance: plan and reviews, the budget and milestones of the "
    "revision in force, health, team, open deviations, next meetings",
)
async def project_dashboard(
    project_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: Annotated[Version | None, Query(description="The project's version")] = None,
) -> Dashboard:
    project = project_view(await one_of(rt, "projects", project_id, min_version, response))
    schema = f'"{rt.settings.schema_name}"'
    async with (
        rt.pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        plan = await conn.fetchrow(
            f"SELECT * FROM {schema}.plans WHERE project_id = $1", project_id
        )
        reviews = await conn.fetch(
            f"SELECT r.* FROM {schema}.plan_reviews r JOIN {schema}.plans p "
            "ON r.plan_id = p.id AND r.revision = p.revision WHERE p.project_id = $1 "
            "ORDER BY r.department",
            project_id,
        )
        milestones = await conn.fetch(
            f"SELECT * FROM {schema}.milestones WHERE project_id = $1 ORDER BY due_date, name",
            project_id,
        )
        team = await team_of(conn, rt.settings.schema_name, project_id)
        deviations = await conn.fetch(
            f"SELECT * FROM {schema}.deviations WHERE project_id = $1 AND state = $2 "
            "ORDER BY created_at",
            project_id,
            DeviationState.ESCALATED.value,
        )
        meetings = await conn.fetch(
            f"SELECT * FROM {schema}.meetings WHERE project_id = $1 "
            "AND meeting_date >= CURRENT_DATE ORDER BY meeting_date, id LIMIT 5",
            project_id,
        )
    return Dashboard(
        project=project,
        plan=None
        if plan is None
        else PlanSummary(
            id=plan["id"],
            version=plan["version"],
            state=plan["state"],
            revision=plan["revision"],
            review_departments=plan["review_departments"],
            reviews=[PlanReviewView.model_validate(dict(r)) for r in reviews],
            budget_totals=money_list(plan["budget_totals"]),
            approved_revision=plan["approved_revision"],
            approved_budget_totals=money_list(plan["approved_budget_totals"] or "[]"),
            approved_at=plan["approved_at"],
        ),
        milestones=[MilestoneView.model_validate(dict(m)) for m in milestones],
        team=team,
        open_deviations=[DeviationView.model_validate(dict(d)) for d in deviations],
        next_meetings=[MeetingView.model_validate(dict(m)) for m in meetings],
    )
