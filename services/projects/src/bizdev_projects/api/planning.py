"""The business plan and its reviews (REGULATIONS 3.1)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    MinVersion,
    ReadConsistency,
    RuntimeDep,
    one_of,
    page_of,
    rows_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Line, MoneyIn, Name, Note, PageParams, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_projects import published
from bizdev_projects.api.common import Change, Create, UserId, money_list
from bizdev_projects.domain import (
    BudgetCategory,
    BudgetLine,
    BusinessPlan,
    PlanContent,
    PlannedMilestone,
    PlanState,
    Verdict,
)
from bizdev_projects.projections import PENDING

router = APIRouter(route_class=CommandRoute)


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Title
    due_date: Day = Field(description="Due by the end of this company day")
    owner: UserId


class BudgetLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: UUID | None = Field(
        default=None,
        description="The id of a line of an earlier revision this one keeps (finance books "
        "against it); leave it out for a new line",
    )
    category: BudgetCategory
    amount: MoneyIn = Field(description="Positive amount")
    description: Line = ""


class PlanIn(BaseModel):
    """The whole plan: a revision replaces all of it."""

    model_config = ConfigDict(extra="forbid")
    goals: Text
    marketing_strategy: Text
    product_plan: Text = Field(description="The product or service plan")
    milestones: list[MilestoneIn] = Field(max_length=200, description="Implementation schedule")
    budget_lines: list[BudgetLineIn] = Field(max_length=200)
    review_departments: list[Title] = Field(
        max_length=20, description="Departments whose heads review the plan"
    )

    def content(self) -> PlanContent:
        return PlanContent(
            goals=self.goals,
            marketing_strategy=self.marketing_strategy,
            product_plan=self.product_plan,
            milestones=[PlannedMilestone(m.name, m.due_date, m.owner) for m in self.milestones],
            budget_lines=[
                BudgetLine(b.category.value, b.amount.to_money(), b.description, b.line_id)
                for b in self.budget_lines
            ],
            review_departments=self.review_departments,
        )


class PlanReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Verdict
    comments: Note = Field(default="", description="Required when asking for changes")


class PlanReviewView(BaseModel):
    """One department's review of one revision; `pending` until its head gives it."""

    id: UUID
    plan_id: UUID
    project_id: UUID
    project_name: str
    revision: int
    department: str
    verdict: str = Field(description="pending, passed or changes_requested")
    reviewer: str | None
    comments: str | None
    reviewed_at: datetime | None


class ApprovedRevision(BaseModel):
    """The revision in force: execution and the budget follow it."""

    revision: int
    milestones: list[published.Milestone]
    budget_lines: list[published.BudgetLine]
    budget_totals: list[MoneyModel] = Field(description="Total of the lines per currency")
    approved_at: datetime | None


class PlanView(BaseModel):
    """The plan's latest revision (the one in review while re-planning) with the reviews of
    it, and the approved revision in force beside it."""

    id: UUID
    version: int
    project_id: UUID
    project_name: str
    department: str
    state: PlanState = Field(description="The state of the latest revision")
    revision: int = Field(description="The latest revision")
    approved: ApprovedRevision | None = Field(
        description="The revision in force; null until one is approved"
    )
    replanning_deviation_id: UUID | None = Field(
        description="The deviation whose acknowledgement required the re-planning under way"
    )
    author: str
    goals: str
    marketing_strategy: str
    product_plan: str
    milestones: list[published.Milestone]
    budget_lines: list[published.BudgetLine]
    budget_totals: list[MoneyModel] = Field(description="Total of the lines per currency")
    review_departments: list[str]
    submitted_by: str | None
    reviews: list[PlanReviewView] = Field(description="The reviews of the current revision")
    approved_at: datetime | None
    created_at: datetime
    updated_at: datetime


PLANS = ListQuery(
    "plans",
    filters=["state", "department", "project_id", "author"],
    sorts=["created_at", "updated_at", "project_name", "state"],
    text=["project_name", "goals", "marketing_strategy", "product_plan"],
    default_sort="-updated_at",
)

PLAN_REVIEWS = ListQuery(
    "plan_reviews",
    filters=["department", "verdict", "plan_id", "project_id", "revision"],
    sorts=["created_at", "updated_at", "project_name", "revision"],
    text=["project_name", "comments"],
    default_sort="-created_at",
)


async def _current_reviews(
    rt: Runtime, plans: list[asyncpg.Record]
) -> dict[UUID, list[PlanReviewView]]:
    """The reviews of each plan's current revision, for any number of plans in one query."""
    rows = await rt.pool.fetch(
        f'SELECT r.* FROM "{rt.settings.schema_name}".plan_reviews r '
        "JOIN unnest($1::uuid[], $2::int[]) AS p(id, revision) "
        "ON r.plan_id = p.id AND r.revision = p.revision ORDER BY r.department",
        [p["id"] for p in plans],
        [p["revision"] for p in plans],
    )
    reviews: dict[UUID, list[PlanReviewView]] = {p["id"]: [] for p in plans}
    for r in rows:
        reviews[r["plan_id"]].append(PlanReviewView.model_validate(dict(r)))
    return reviews


def _plan(r: asyncpg.Record, reviews: list[PlanReviewView]) -> PlanView:
    d = dict(r)
    d["milestones"] = json.loads(d["milestones"])
    d["budget_lines"] = json.loads(d["budget_lines"])
    d["budget_totals"] = money_list(d["budget_totals"])
    d["approved"] = (
        None
        if d["approved_revision"] is None
        else ApprovedRevision(
            revision=d["approved_revision"],
            milestones=json.loads(d["approved_milestones"]),
            budget_lines=json.loads(d["approved_budget_lines"]),
            budget_totals=money_list(d["approved_budget_totals"]),
            approved_at=d["approved_at"],
        )
    )
    return PlanView.model_validate({**d, "reviews": reviews})


@router.post(
    "/projects/{project_id}/plan",
    status_code=201,
    response_model=Accepted,
    tags=["plans"],
    summary="Draft the project's business plan (its team lead or its department's employees)",
)
def draft_plan(project_id: UUID, body: PlanIn, actor: CurrentActor, cmd: Create) -> Accepted:
    return cmd.accepted(cmd.app.draft_plan(actor, project_id, body.content()))


@router.put(
    "/plans/{plan_id}",
    response_model=Accepted,
    tags=["plans"],
    summary="Revise a draft or sent-back plan, or re-plan an approved one when management "
    "required it: a new revision (its author or the team lead)",
)
def revise_plan(plan_id: UUID, body: PlanIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.accepted(cmd.app.revise_plan(actor, plan_id, cmd.version, body.content()))


@router.post(
    "/plans/{plan_id}/submit",
    response_model=Accepted,
    tags=["plans"],
    summary="Submit the revision for review (its author or the team lead)",
)
def submit_plan(plan_id: UUID, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.accepted(cmd.app.submit_plan(actor, plan_id, cmd.version))


@router.post(
    "/plans/{plan_id}/review",
    response_model=Accepted,
    tags=["plans"],
    summary="Pass the revision or ask for changes (head of a department the plan names)",
)
def review_plan(plan_id: UUID, body: PlanReviewIn, actor: CurrentActor, cmd: Change) -> Accepted:
    result = cmd.app.review_plan(
        actor, plan_id, cmd.version, verdict=body.verdict.value, comments=body.comments
    )
    return cmd.accepted(result)


@router.get("/plans", response_model=Page[PlanView], tags=["plans"])
async def list_plans(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(PLANS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    state: PlanState | None = None,
    department: Name | None = None,
    project_id: UUID | None = None,
    author: Name | None = None,
) -> Page[PlanView]:
    where = {
        "state": state.value if state else None,
        "department": department,
        "project_id": project_id,
        "author": author,
    }
    rows, total = await rows_of(rt, PLANS, page, consistency, where)
    reviews = await _current_reviews(rt, rows)
    items = [_plan(r, reviews[r["id"]]) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


async def _plan_read(rt: Runtime, actor: Actor, row: asyncpg.Record) -> PlanView:
    return _plan(row, (await _current_reviews(rt, [row]))[row["id"]])


PLAN = RecordRoutes(router, "/plans/{plan_id}", "plan", ["plans"])
PLAN.detail("plans", PlanView, read=_plan_read)


@router.get("/projects/{project_id}/plan", response_model=PlanView, tags=["plans"])
async def get_project_plan(
    project_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> PlanView:
    """The project's plan; `min_version` is the plan's version."""
    plan_id = BusinessPlan.plan_id_for(project_id)
    return await _plan_read(rt, actor, await one_of(rt, "plans", plan_id, min_version, response))


PLAN.history(BusinessPlan, summary="Every revision, submission and review: who, when and why")


@router.get(
    "/plan-reviews",
    response_model=Page[PlanReviewView],
    tags=["plans"],
    summary="Reviews by department and revision: `verdict=pending` is a head's inbox",
)
async def list_plan_reviews(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(PLAN_REVIEWS.page_params)],
    consistency: Annotated[ReadConsistency, Query(description="wait_for takes a plan id")],
    department: Name | None = None,
    verdict: Annotated[str | None, Query(pattern=f"^({PENDING}|passed|changes_requested)$")] = None,
    plan_id: UUID | None = None,
    project_id: UUID | None = None,
) -> Page[PlanReviewView]:
    where = {
        "department": department,
        "verdict": verdict,
        "plan_id": plan_id,
        "project_id": project_id,
    }
    return await page_of(
        rt, PLAN_REVIEWS, page, consistency, where, PlanReviewView, written="plans"
    )
