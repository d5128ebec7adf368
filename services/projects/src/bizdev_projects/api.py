"""HTTP API of the projects service: typed routes that translate to commands and queries.

Commands answer with the record's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ExpectedVersion,
    HistoryEvent,
    MinVersion,
    ReadConsistency,
    RuntimeDep,
    accepted,
    history_of,
    money_of,
    one_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import (
    Day,
    Line,
    Moment,
    MoneyIn,
    Name,
    Note,
    PageParams,
    Text,
    Title,
    Version,
)
from bizdev_common.contract import MoneyModel
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_projects import contract as c
from bizdev_projects.application import ProjectsApplication
from bizdev_projects.domain import (
    ApplicationState,
    BudgetCategory,
    BudgetLine,
    BusinessPlan,
    DeviationReport,
    DeviationState,
    HealthStatus,
    InsightKind,
    Meeting,
    MeetingKind,
    MeetingState,
    PartyKind,
    PlanContent,
    PlannedActionItem,
    PlannedMilestone,
    PlanState,
    Project,
    ProjectApplication,
    ProjectOutcome,
    ProjectState,
    Verdict,
)
from bizdev_projects.projections import PENDING

router = APIRouter()

UserId = Annotated[Name, Field(description="A user id")]


# --- plumbing ---------------------------------------------------------------------------------


def app_of(rt: Runtime[ProjectsApplication, Any]) -> ProjectsApplication:
    return rt.application


class ApprovalAccepted(Accepted):
    project_id: UUID = Field(description="The project the approval opened")


def _money(value: str) -> list[MoneyModel]:
    return [MoneyModel.model_validate(m) for m in json.loads(value)]


# --- leads and market insights (REGULATIONS 2.1) ---------------------------------------------


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: Title
    need: Text
    source: Title
    estimated_value: MoneyIn


class LeadView(BaseModel):
    id: UUID
    version: int
    finder: str
    department: str
    customer: str
    need: str
    source: str
    estimated_value: MoneyModel
    converted_project_id: UUID | None = Field(
        description="The first approved project the lead became: its finder is rewarded"
    )
    converted_at: datetime | None
    created_at: datetime


LEADS = ListQuery(
    "leads",
    filters=["department", "finder"],
    sorts=["created_at", "customer"],
    text=["customer", "need", "source"],
    default_sort="-created_at",
)


def _lead(r: asyncpg.Record) -> LeadView:
    return LeadView(
        **{
            k: r[k]
            for k in (
                "id",
                "version",
                "finder",
                "department",
                "customer",
                "need",
                "source",
                "converted_project_id",
                "converted_at",
                "created_at",
            )
        },
        estimated_value=money_of(r, "estimated_value"),
    )


@router.post(
    "/leads",
    status_code=201,
    response_model=Accepted,
    tags=["leads"],
    summary="Submit a lead (any employee)",
)
def submit_lead(body: LeadIn, actor: CurrentActor, rt: RuntimeDep, response: Response) -> Accepted:
    result = app_of(rt).submit_lead(
        actor, body.customer, body.need, body.source, body.estimated_value.to_money()
    )
    return accepted(result, response)


@router.get("/leads", response_model=Page[LeadView], tags=["leads"])
async def list_leads(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(LEADS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    department: Name | None = None,
    finder: Name | None = None,
) -> Page[LeadView]:
    rows, total = await page_of(
        rt, LEADS, page, consistency, {"department": department, "finder": finder}
    )
    return Page(items=[_lead(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/leads/{lead_id}", response_model=LeadView, tags=["leads"])
async def get_lead(
    lead_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> LeadView:
    row = await one_of(rt, "leads", lead_id, min_version, response)
    return _lead(row)


class InsightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: InsightKind
    title: Title
    content: Text


class InsightView(BaseModel):
    id: UUID
    version: int
    recorded_by: str
    department: str
    kind: InsightKind
    title: str
    content: str
    created_at: datetime


INSIGHTS = ListQuery(
    "market_insights",
    filters=["kind"],
    sorts=["created_at", "title"],
    text=["title", "content"],
    default_sort="-created_at",
)


@router.post(
    "/market-insights",
    status_code=201,
    response_model=Accepted,
    tags=["market insights"],
    summary="Record market information (market department)",
)
def record_insight(
    body: InsightIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    result = app_of(rt).record_market_insight(actor, body.kind.value, body.title, body.content)
    return accepted(result, response)


@router.get("/market-insights", response_model=Page[InsightView], tags=["market insights"])
async def list_insights(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(INSIGHTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    kind: InsightKind | None = None,
) -> Page[InsightView]:
    rows, total = await page_of(
        rt, INSIGHTS, page, consistency, {"kind": kind.value if kind else None}
    )
    items = [InsightView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


# --- initiation applications (REGULATIONS 2.2) -----------------------------------------------


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    background: Text
    target_customers: Text
    expected_revenue: MoneyIn
    preliminary_plan: Text
    lead_id: UUID | None = Field(default=None, description="The lead this proposal grew from")
    customer_id: UUID | None = Field(
        default=None, description="The crm customer this proposal is for"
    )


class ApplicationRevision(BaseModel):
    """Only the fields given change; a rejected application revised goes back to draft."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    background: Text | None = None
    target_customers: Text | None = None
    expected_revenue: MoneyIn | None = None
    preliminary_plan: Text | None = None


class ReviewIn(BaseModel):
    """The department head's signed opinion."""

    model_config = ConfigDict(extra="forbid")
    recommend: bool
    feasibility: Text
    market_outlook: Text
    resource_needs: Text


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comments: Note = ""


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasons: Text = Field(description="Required: why the application is rejected")


class Opinion(BaseModel):
    by: str = Field(description="The reviewing department head")
    recommend: bool
    feasibility: str
    market_outlook: str
    resource_needs: str


class ApplicationView(BaseModel):
    id: UUID
    version: int
    state: ApplicationState
    title: str
    department: str
    applicant: str
    background: str
    target_customers: str
    expected_revenue: MoneyModel
    preliminary_plan: str
    lead_id: UUID | None
    customer_id: UUID | None
    opinion: Opinion | None
    decision_by: str | None
    decision_reasons: str | None
    project_id: UUID | None
    created_at: datetime
    updated_at: datetime


class ApplicationAsOf(BaseModel):
    """The application as it stood at a version or moment (from its events)."""

    id: UUID
    version: int
    state: ApplicationState
    title: str
    department: str
    applicant: str
    background: str
    target_customers: str
    expected_revenue: MoneyModel
    preliminary_plan: str
    lead_id: UUID | None
    customer_id: UUID | None
    opinion: dict[str, Any] | None
    decision_reasons: str | None
    approved_by: str | None
    modified_on: datetime


APPLICATIONS = ListQuery(
    "applications",
    filters=["state", "department", "applicant", "lead_id", "customer_id"],
    sorts=["created_at", "updated_at", "title", "state", "expected_revenue_amount"],
    text=["title", "background", "target_customers", "preliminary_plan"],
    default_sort="-updated_at",
)


def _application(r: asyncpg.Record) -> ApplicationView:
    d = dict(r)
    d["expected_revenue"] = money_of(d, "expected_revenue")
    d["opinion"] = json.loads(d["opinion"]) if d["opinion"] else None
    return ApplicationView.model_validate(d)


@router.post(
    "/applications",
    status_code=201,
    response_model=Accepted,
    tags=["applications"],
    summary="Draft an initiation application (any employee)",
)
def draft_application(
    body: ApplicationIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    result = app_of(rt).draft_application(
        actor,
        title=body.title,
        background=body.background,
        target_customers=body.target_customers,
        expected_revenue=body.expected_revenue.to_money(),
        preliminary_plan=body.preliminary_plan,
        lead_id=body.lead_id,
        customer_id=body.customer_id,
    )
    return accepted(result, response)


@router.patch(
    "/applications/{application_id}",
    response_model=Accepted,
    tags=["applications"],
    summary="Revise a draft or rejected application (the applicant)",
)
def revise_application(
    application_id: UUID,
    body: ApplicationRevision,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).revise_application(
        actor,
        application_id,
        version,
        title=body.title,
        background=body.background,
        target_customers=body.target_customers,
        expected_revenue=body.expected_revenue.to_money() if body.expected_revenue else None,
        preliminary_plan=body.preliminary_plan,
    )
    return accepted(result, response)


@router.post(
    "/applications/{application_id}/submit",
    response_model=Accepted,
    tags=["applications"],
    summary="Submit for department review (the applicant)",
)
def submit_application(
    application_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    return accepted(app_of(rt).submit_application(actor, application_id, version), response)


@router.post(
    "/applications/{application_id}/review",
    response_model=Accepted,
    tags=["applications"],
    summary="Sign the department opinion (head of the applicant's department)",
)
def review_application(
    application_id: UUID,
    body: ReviewIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).review_application(
        actor,
        application_id,
        version,
        recommend=body.recommend,
        feasibility=body.feasibility,
        market_outlook=body.market_outlook,
        resource_needs=body.resource_needs,
    )
    return accepted(result, response)


@router.post(
    "/applications/{application_id}/approve",
    response_model=ApprovalAccepted,
    tags=["applications"],
    summary="Approve and open the project (management)",
)
def approve_application(
    application_id: UUID,
    body: ApproveIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> ApprovalAccepted:
    result = app_of(rt).approve_application(actor, application_id, version, body.comments)
    response.headers["ETag"] = f'"{result.version}"'
    return ApprovalAccepted(
        id=result.id, version=result.version, project_id=Project.project_id_for(result.id)
    )


@router.post(
    "/applications/{application_id}/reject",
    response_model=Accepted,
    tags=["applications"],
    summary="Reject with reasons (management)",
)
def reject_application(
    application_id: UUID,
    body: RejectIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).reject_application(actor, application_id, version, body.reasons)
    return accepted(result, response)


@router.get("/applications", response_model=Page[ApplicationView], tags=["applications"])
async def list_applications(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(APPLICATIONS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    state: ApplicationState | None = None,
    department: Name | None = None,
    applicant: Name | None = None,
    lead_id: UUID | None = None,
) -> Page[ApplicationView]:
    where = {
        "state": state.value if state else None,
        "department": department,
        "applicant": applicant,
        "lead_id": lead_id,
    }
    rows, total = await page_of(rt, APPLICATIONS, page, consistency, where)
    return Page(
        items=[_application(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/applications/{application_id}", response_model=ApplicationView, tags=["applications"])
async def get_application(
    application_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> ApplicationView:
    return _application(await one_of(rt, "applications", application_id, min_version, response))


@router.get(
    "/applications/{application_id}/history",
    response_model=list[HistoryEvent],
    tags=["applications"],
    summary="Every event: who, when and why",
)
async def application_history(
    application_id: UUID, actor: CurrentActor, rt: RuntimeDep
) -> list[HistoryEvent]:
    return await history_of(rt, ProjectApplication, application_id)


@router.get(
    "/applications/{application_id}/as-of",
    response_model=ApplicationAsOf,
    tags=["applications"],
    summary="The application as of a version or a time",
)
def application_as_of(
    application_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: Annotated[Version | None, Query()] = None,
    at: Annotated[Moment | None, Query()] = None,
) -> ApplicationAsOf:
    a = app_of(rt).as_of(ProjectApplication, application_id, version=version, at=at)
    return ApplicationAsOf(
        id=a.id,
        version=a.version,
        state=a.state,
        title=a.title,
        department=a.department,
        applicant=a.applicant,
        background=a.background,
        target_customers=a.target_customers,
        expected_revenue=MoneyModel.model_validate(a.expected_revenue),
        preliminary_plan=a.preliminary_plan,
        lead_id=a.lead_id,
        customer_id=a.customer_id,
        opinion=a.opinion,
        decision_reasons=a.decision_reasons,
        approved_by=a.approved_by,
        modified_on=a.modified_on,
    )


# --- projects (REGULATIONS 2.3) ---------------------------------------------------------------


class ProjectView(BaseModel):
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


def _project(r: asyncpg.Record) -> ProjectView:
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
    rows, total = await page_of(rt, PROJECTS, page, consistency, where)
    return Page(
        items=[_project(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/projects/{project_id}", response_model=ProjectView, tags=["projects"])
async def get_project(
    project_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> ProjectView:
    return _project(await one_of(rt, "projects", project_id, min_version, response))


@router.get(
    "/projects/{project_id}/history",
    response_model=list[HistoryEvent],
    tags=["projects"],
    summary="Every event: who, when and why",
)
async def project_history(
    project_id: UUID, actor: CurrentActor, rt: RuntimeDep
) -> list[HistoryEvent]:
    return await history_of(rt, Project, project_id)


class MilestoneAsOf(BaseModel):
    id: UUID
    name: str
    due_date: date
    owner: str
    percent: int
    completed_on: date | None
    overdue_since: datetime | None


class ProjectAsOf(BaseModel):
    """The project as it stood at a version or moment (from its events): who was on the team
    and who led it then, how far each milestone was."""

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
    team_lead: str | None
    members: dict[str, str] = Field(description="User id → responsibilities")
    milestones: list[MilestoneAsOf]
    health: HealthStatus
    health_note: str
    outcome: ProjectOutcome | None
    modified_on: datetime


@router.get(
    "/projects/{project_id}/as-of",
    response_model=ProjectAsOf,
    tags=["projects"],
    summary="The project as of a version or a time",
)
def project_as_of(
    project_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: Annotated[Version | None, Query()] = None,
    at: Annotated[Moment | None, Query()] = None,
) -> ProjectAsOf:
    p = app_of(rt).as_of(Project, project_id, version=version, at=at)
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


# --- the business plan (REGULATIONS 3.1) ------------------------------------------------------


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Title
    due_date: Day = Field(description="Due by the end of this day (UTC)")
    owner: UserId


class BudgetLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
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
                BudgetLine(b.category.value, b.amount.to_money(), b.description)
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


class PlanView(BaseModel):
    id: UUID
    version: int
    project_id: UUID
    project_name: str
    department: str
    state: PlanState
    revision: int
    author: str
    goals: str
    marketing_strategy: str
    product_plan: str
    milestones: list[c.Milestone]
    budget_lines: list[c.BudgetLine]
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
    d["budget_totals"] = _money(d["budget_totals"])
    return PlanView.model_validate({**d, "reviews": reviews})


@router.post(
    "/projects/{project_id}/plan",
    status_code=201,
    response_model=Accepted,
    tags=["plans"],
    summary="Draft the project's business plan (its team lead or its department's employees)",
)
def draft_plan(
    project_id: UUID, body: PlanIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    return accepted(app_of(rt).draft_plan(actor, project_id, body.content()), response)


@router.put(
    "/plans/{plan_id}",
    response_model=Accepted,
    tags=["plans"],
    summary="Revise a draft or sent-back plan: a new revision (its author or the team lead)",
)
def revise_plan(
    plan_id: UUID,
    body: PlanIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    return accepted(app_of(rt).revise_plan(actor, plan_id, version, body.content()), response)


@router.post(
    "/plans/{plan_id}/submit",
    response_model=Accepted,
    tags=["plans"],
    summary="Submit the revision for review (its author or the team lead)",
)
def submit_plan(
    plan_id: UUID, actor: CurrentActor, rt: RuntimeDep, version: ExpectedVersion, response: Response
) -> Accepted:
    return accepted(app_of(rt).submit_plan(actor, plan_id, version), response)


@router.post(
    "/plans/{plan_id}/review",
    response_model=Accepted,
    tags=["plans"],
    summary="Pass the revision or ask for changes (head of a department the plan names)",
)
def review_plan(
    plan_id: UUID,
    body: PlanReviewIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).review_plan(
        actor, plan_id, version, verdict=body.verdict.value, comments=body.comments
    )
    return accepted(result, response)


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
    rows, total = await page_of(rt, PLANS, page, consistency, where)
    reviews = await _current_reviews(rt, rows)
    items = [_plan(r, reviews[r["id"]]) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/plans/{plan_id}", response_model=PlanView, tags=["plans"])
async def get_plan(
    plan_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> PlanView:
    row = await one_of(rt, "plans", plan_id, min_version, response)
    return _plan(row, (await _current_reviews(rt, [row]))[plan_id])


@router.get("/projects/{project_id}/plan", response_model=PlanView, tags=["plans"])
async def get_project_plan(
    project_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> PlanView:
    """The project's plan; `min_version` is the plan's version."""
    return await get_plan(BusinessPlan.plan_id_for(project_id), actor, rt, response, min_version)


@router.get(
    "/plans/{plan_id}/history",
    response_model=list[HistoryEvent],
    tags=["plans"],
    summary="Every revision, submission and review: who, when and why",
)
async def plan_history(plan_id: UUID, actor: CurrentActor, rt: RuntimeDep) -> list[HistoryEvent]:
    return await history_of(rt, BusinessPlan, plan_id)


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
    rows, total = await page_of(rt, PLAN_REVIEWS, page, consistency, where, written="plans")
    items = [PlanReviewView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


# --- team (REGULATIONS 3.2) -------------------------------------------------------------------


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
    project_id: UUID,
    body: TeamLeadIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).appoint_team_lead(
        actor, project_id, version, body.user_id, body.responsibilities
    )
    return accepted(result, response)


@router.post(
    "/projects/{project_id}/members",
    response_model=Accepted,
    tags=["team"],
    summary="Add a member with responsibilities (the team lead or management)",
)
def add_team_member(
    project_id: UUID,
    body: MemberIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).add_team_member(
        actor, project_id, version, body.user_id, body.responsibilities
    )
    return accepted(result, response)


@router.put(
    "/projects/{project_id}/members/{user_id}",
    response_model=Accepted,
    tags=["team"],
    summary="Change a member's responsibilities (the team lead or management)",
)
def change_responsibilities(
    project_id: UUID,
    user_id: UserId,
    body: ResponsibilitiesIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).change_responsibilities(
        actor, project_id, version, user_id, body.responsibilities
    )
    return accepted(result, response)


@router.delete(
    "/projects/{project_id}/members/{user_id}",
    response_model=Accepted,
    tags=["team"],
    summary="Remove a member other than the lead (the team lead or management)",
)
def remove_team_member(
    project_id: UUID,
    user_id: UserId,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    return accepted(app_of(rt).remove_team_member(actor, project_id, version, user_id), response)


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
    return await _team(rt.pool, rt.settings.schema_name, project_id)


async def _team(
    conn: asyncpg.Connection | asyncpg.Pool, schema: str, project_id: UUID
) -> list[MemberView]:
    rows = await conn.fetch(
        f'SELECT * FROM "{schema}".team_members WHERE project_id = $1 '
        "ORDER BY is_lead DESC, joined_at, user_id",
        project_id,
    )
    return [MemberView.model_validate(dict(r)) for r in rows]


# --- execution (REGULATIONS 3.3) --------------------------------------------------------------


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
    project_id: UUID,
    milestone_id: UUID,
    body: ProgressIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).record_progress(
        actor,
        project_id,
        version,
        milestone_id,
        percent=body.percent,
        completed_on=body.completed_on,
        note=body.note,
    )
    return accepted(result, response)


@router.put(
    "/projects/{project_id}/health",
    response_model=Accepted,
    tags=["execution"],
    summary="Change the project's health, with a note (the team lead or management)",
)
def change_health(
    project_id: UUID,
    body: HealthIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).change_health(actor, project_id, version, body.status.value, body.note)
    return accepted(result, response)


@router.post(
    "/projects/{project_id}/close",
    response_model=Accepted,
    tags=["execution"],
    summary="Close the project with its outcome (management); it changes no more",
)
def close_project(
    project_id: UUID,
    body: CloseIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).close_project(actor, project_id, version, body.outcome.value, body.summary)
    return accepted(result, response)


async def _milestones(
    rt: Runtime,
    page: PageParams,
    consistency: ReadConsistency,
    where: dict[str, Any],
) -> Page[MilestoneView]:
    rows, total = await page_of(rt, MILESTONES, page, consistency, where, written="projects")
    items = [MilestoneView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


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
    project_id: UUID, body: DeviationIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    result = app_of(rt).report_deviation(
        actor,
        project_id,
        deviation=body.deviation,
        cause=body.cause,
        adjusted_strategy=body.adjusted_strategy,
        milestone_id=body.milestone_id,
    )
    return accepted(result, response)


@router.post(
    "/deviations/{report_id}/acknowledge",
    response_model=Accepted,
    tags=["execution"],
    summary="Acknowledge a deviation report with a decision (management)",
)
def acknowledge_deviation(
    report_id: UUID,
    body: AcknowledgeIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).acknowledge_deviation(actor, report_id, version, body.decision)
    return accepted(result, response)


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
    rows, total = await page_of(rt, DEVIATIONS, page, consistency, where)
    items = [DeviationView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/deviations/{report_id}", response_model=DeviationView, tags=["execution"])
async def get_deviation(
    report_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> DeviationView:
    row = await one_of(rt, "deviations", report_id, min_version, response)
    return DeviationView.model_validate(dict(row))


@router.get(
    "/deviations/{report_id}/history", response_model=list[HistoryEvent], tags=["execution"]
)
async def deviation_history(
    report_id: UUID, actor: CurrentActor, rt: RuntimeDep
) -> list[HistoryEvent]:
    return await history_of(rt, DeviationReport, report_id)


# --- communication (REGULATIONS §6) -----------------------------------------------------------


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
    project_id: UUID, body: MeetingIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    result = app_of(rt).schedule_meeting(
        actor,
        project_id,
        kind=body.kind.value,
        title=body.title,
        meeting_date=body.meeting_date,
        attendees=body.attendees,
        agenda=body.agenda,
    )
    return accepted(result, response)


@router.post(
    "/meetings/{meeting_id}/minutes",
    response_model=Accepted,
    tags=["communication"],
    summary="Record the minutes, attendance and action items (the team lead or management)",
)
def record_minutes(
    meeting_id: UUID,
    body: MinutesIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).record_minutes(
        actor,
        meeting_id,
        version,
        minutes=body.minutes,
        attendees=body.attendees,
        action_items=[
            PlannedActionItem(i.description, i.owner, i.due_date) for i in body.action_items
        ],
    )
    return accepted(result, response)


@router.post(
    "/meetings/{meeting_id}/action-items/{item_id}/done",
    response_model=Accepted,
    tags=["communication"],
    summary="Mark an action item done (its owner, the team lead or management)",
)
def complete_action_item(
    meeting_id: UUID,
    item_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).complete_action_item(actor, meeting_id, version, item_id)
    return accepted(result, response)


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
    rows, total = await page_of(rt, MEETINGS, page, consistency, where)
    items = [MeetingView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/meetings/{meeting_id}", response_model=MeetingDetail, tags=["communication"])
async def get_meeting(
    meeting_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> MeetingDetail:
    row = await one_of(rt, "meetings", meeting_id, min_version, response)
    items = await rt.pool.fetch(
        f'SELECT * FROM "{rt.settings.schema_name}".action_item_list '
        "WHERE meeting_id = $1 ORDER BY due_date, id",
        meeting_id,
    )
    return MeetingDetail.model_validate(
        {**dict(row), "action_items": [ActionItemView.model_validate(dict(i)) for i in items]}
    )


@router.get(
    "/meetings/{meeting_id}/history", response_model=list[HistoryEvent], tags=["communication"]
)
async def meeting_history(
    meeting_id: UUID, actor: CurrentActor, rt: RuntimeDep
) -> list[HistoryEvent]:
    return await history_of(rt, Meeting, meeting_id)


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
    rows, total = await page_of(rt, ACTION_ITEMS, page, consistency, where, written="meetings")
    items = [ActionItemView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


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
def log_contact(
    project_id: UUID, body: ContactIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    result = app_of(rt).log_contact(
        actor,
        project_id,
        party_kind=body.party_kind.value,
        party=body.party,
        contact_date=body.contact_date,
        summary=body.summary,
        customer_id=body.customer_id,
    )
    return accepted(result, response)


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
    rows, total = await page_of(rt, CONTACTS, page, consistency, where)
    items = [ContactView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


# --- the project dashboard --------------------------------------------------------------------


class PlanSummary(BaseModel):
    id: UUID
    version: int
    state: PlanState
    revision: int
    review_departments: list[str]
    reviews: list[PlanReviewView] = Field(description="The reviews of the current revision")
    budget_totals: list[MoneyModel] = Field(description="Budget total per currency")
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
    summary="The project at a glance: plan and reviews, budget, milestones, health, team, "
    "open deviations, next meetings",
)
async def project_dashboard(
    project_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: Annotated[Version | None, Query(description="The project's version")] = None,
) -> Dashboard:
    project = _project(await one_of(rt, "projects", project_id, min_version, response))
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
        team = await _team(conn, rt.settings.schema_name, project_id)
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
            budget_totals=_money(plan["budget_totals"]),
            approved_at=plan["approved_at"],
        ),
        milestones=[MilestoneView.model_validate(dict(m)) for m in milestones],
        team=team,
        open_deviations=[DeviationView.model_validate(dict(d)) for d in deviations],
        next_meetings=[MeetingView.model_validate(dict(m)) for m in meetings],
    )
