"""Initiation (REGULATIONS §2): leads and market insights (2.1), initiation applications
(2.2) and the projects their approval opens (2.3)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ExpectedVersion,
    ReadConsistency,
    RuntimeDep,
    accepted,
    money_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import MoneyIn, Name, Note, PageParams, Text, Title
from bizdev_common.contract import MoneyModel
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_projects.api.common import app_of
from bizdev_projects.domain import (
    ApplicationState,
    Assessment,
    HealthStatus,
    InsightKind,
    LeadState,
    Project,
    ProjectApplication,
    ProjectOutcome,
    ProjectState,
    ReviewedAs,
)

router = APIRouter()


class ApprovalAccepted(Accepted):
    project_id: UUID = Field(description="The project the approval opened")


# --- leads and market insights (REGULATIONS 2.1) ---------------------------------------------


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: Title
    need: Text
    source: Title
    estimated_value: MoneyIn
    customer_id: UUID | None = Field(
        default=None,
        description="The crm customer, when one is known: one crm announced (else 422)",
    )


class QualifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = Field(default="", description="Why the lead is worth pursuing")
    customer_id: UUID | None = Field(
        default=None,
        description="The crm customer, when known by now: one crm announced (else 422)",
    )


class DiscardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasons: Text = Field(description="Required: why the lead is not pursued")


class LeadView(BaseModel):
    id: UUID
    version: int
    state: LeadState
    finder: str
    department: str
    customer: str
    customer_id: UUID | None = Field(description="The crm customer, when one is known")
    need: str
    source: str
    estimated_value: MoneyModel
    judged_by: str | None = Field(description="Who qualified or discarded it last")
    judgement: str | None = Field(description="The note of a qualification, the discard reasons")
    converted_project_id: UUID | None = Field(
        description="The first approved project the lead became: its finder is rewarded"
    )
    converted_at: datetime | None
    created_at: datetime


LEADS = ListQuery(
    "leads",
    filters=["department", "finder", "state", "customer_id"],
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
                "state",
                "finder",
                "department",
                "customer",
                "customer_id",
                "need",
                "source",
                "judged_by",
                "judgement",
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
        actor,
        body.customer,
        body.need,
        body.source,
        body.estimated_value.to_money(),
        body.customer_id,
    )
    return accepted(result, response)


@router.post(
    "/leads/{lead_id}/qualify",
    response_model=Accepted,
    tags=["leads"],
    summary="Qualify a lead, naming its crm customer if known (head of the finder's "
    "department or management; never the finder)",
)
def qualify_lead(
    lead_id: UUID,
    body: QualifyIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).qualify_lead(
        actor, lead_id, version, note=body.note, customer_id=body.customer_id
    )
    return accepted(result, response)


@router.post(
    "/leads/{lead_id}/discard",
    response_model=Accepted,
    tags=["leads"],
    summary="Discard a lead with reasons (head of the finder's department or management; "
    "never the finder)",
)
def discard_lead(
    lead_id: UUID,
    body: DiscardIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    return accepted(app_of(rt).discard_lead(actor, lead_id, version, body.reasons), response)


@router.get("/leads", response_model=Page[LeadView], tags=["leads"])
async def list_leads(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(LEADS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    department: Name | None = None,
    finder: Name | None = None,
    state: LeadState | None = None,
    customer_id: UUID | None = None,
) -> Page[LeadView]:
    where = {
        "department": department,
        "finder": finder,
        "state": state.value if state else None,
        "customer_id": customer_id,
    }
    rows, total = await page_of(rt, LEADS, page, consistency, where)
    return Page(items=[_lead(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


RecordRoutes(router, "/leads/{lead_id}", "lead", ["leads"]).detail("leads", LeadView, _lead)


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
    """The signed opinion of the head of the applicant's department (of management when the
    applicant is that head)."""

    model_config = ConfigDict(extra="forbid")
    recommend: bool
    feasibility: Text
    market_outlook: Text
    resource_needs: Text


class ApproveIn(BaseModel):
    """Management's assessment (REGULATIONS 2.3), required as a rejection's reasons are."""

    model_config = ConfigDict(extra="forbid")
    strategic_fit: Text = Field(description="How the project fits the company's strategy")
    market_outlook: Text = Field(description="Management's view of its market")
    economic_benefit: Text = Field(description="What the company gains from it")
    comments: Note = ""

    def assessment(self) -> Assessment:
        return Assessment(self.strategic_fit, self.market_outlook, self.economic_benefit)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasons: Text = Field(description="Required: why the application is rejected")


class Opinion(BaseModel):
    by: str = Field(description="The reviewer")
    recommend: bool
    feasibility: str
    market_outlook: str
    resource_needs: str
    reviewed_as: str = Field(
        default="department_head",
        description="department_head, or management because the applicant heads the department",
    )
    by_management_because_applicant_is_head: bool = Field(
        default=False, description="Whether management reviewed it in its head's place"
    )


class ApprovalAssessment(BaseModel):
    strategic_fit: str
    market_outlook: str
    economic_benefit: str


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
    applicant_is_head: bool = Field(
        description="The applicant heads the department: management reviews it instead"
    )
    opinion: Opinion | None
    decision_by: str | None
    decision_reasons: str | None
    assessment: ApprovalAssessment | None = Field(
        description="Management's assessment, recorded with the approval"
    )
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
    applicant_is_head: bool
    opinion: dict[str, Any] | None
    decision_reasons: str | None
    approved_by: str | None
    assessment: dict[str, str] | None
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
    opinion = json.loads(d["opinion"]) if d["opinion"] else None
    if opinion is not None:
        opinion["by_management_because_applicant_is_head"] = (
            opinion.get("reviewed_as") == ReviewedAs.MANAGEMENT
        )
    d["opinion"] = opinion
    d["assessment"] = json.loads(d["assessment"]) if d["assessment"] else None
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
    summary="Sign the opinion (head of the applicant's department; management when the "
    "applicant is that head; never the finder of its lead)",
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
    summary="Approve with management's assessment and open the project (management; not "
    "the applicant, the reviewer or the finder of its lead)",
)
def approve_application(
    application_id: UUID,
    body: ApproveIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> ApprovalAccepted:
    result = app_of(rt).approve_application(
        actor, application_id, version, body.assessment(), body.comments
    )
    response.headers["ETag"] = f'"{result.version}"'
    return ApprovalAccepted(
        id=result.id, version=result.version, project_id=Project.project_id_for(result.id)
    )


@router.post(
    "/applications/{application_id}/reject",
    response_model=Accepted,
    tags=["applications"],
    summary="Reject with reasons (management; not the applicant, the reviewer or the finder "
    "of its lead)",
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


def _application_as_of(a: ProjectApplication) -> ApplicationAsOf:
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
        applicant_is_head=a.applicant_is_head,
        opinion=a.opinion,
        decision_reasons=a.decision_reasons,
        approved_by=a.approved_by,
        assessment=a.assessment,
        modified_on=a.modified_on,
    )


APPLICATION = RecordRoutes(
    router, "/applications/{application_id}", "application", ["applications"]
)
APPLICATION.detail("applications", ApplicationView, _application)
APPLICATION.history(ProjectApplication, summary=EVERY_EVENT)
APPLICATION.as_of(
    ProjectApplication,
    ApplicationAsOf,
    _application_as_of,
    summary="The application as of a version or a time",
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
    rows, total = await page_of(rt, PROJECTS, page, consistency, where)
    return Page(
        items=[project_view(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


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
