"""Project initiation applications (REGULATIONS 2.2): drafted, reviewed by the
department's head, approved or rejected by management."""

import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ExpectedVersion,
    ReadConsistency,
    RuntimeDep,
    money_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import MoneyIn, Name, Note, PageParams, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_projects.api.common import App, Change, Create
from bizdev_projects.domain import (
    ApplicationState,
    Assessment,
    Project,
    ProjectApplication,
    ReviewedAs,
)

router = APIRouter(route_class=CommandRoute)


class ApprovalAccepted(Accepted):
    project_id: UUID = Field(description="The project the approval opened")


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


class ApplicationFacts(BaseModel):
    """What the application view and the application as of a moment both show."""

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


class ApplicationView(ApplicationFacts):
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


class ApplicationAsOf(ApplicationFacts):
    """The application as it stood at a version or moment (from its events)."""

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
def draft_application(body: ApplicationIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.draft_application(
        actor,
        title=body.title,
        background=body.background,
        target_customers=body.target_customers,
        expected_revenue=body.expected_revenue.to_money(),
        preliminary_plan=body.preliminary_plan,
        lead_id=body.lead_id,
        customer_id=body.customer_id,
    )
    return cmd.accepted(result)


@router.patch(
    "/applications/{application_id}",
    response_model=Accepted,
    tags=["applications"],
    summary="Revise a draft or rejected application (the applicant)",
)
def revise_application(
    application_id: UUID, body: ApplicationRevision, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        ProjectApplication,
        application_id,
        lambda application: application.revise(
            actor,
            title=body.title,
            background=body.background,
            target_customers=body.target_customers,
            expected_revenue=(body.expected_revenue.to_money() if body.expected_revenue else None),
            preliminary_plan=body.preliminary_plan,
        ),
    )


@router.post(
    "/applications/{application_id}/submit",
    response_model=Accepted,
    tags=["applications"],
    summary="Submit for department review (the applicant)",
)
def submit_application(application_id: UUID, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        ProjectApplication, application_id, lambda application: application.submit(actor)
    )


@router.post(
    "/applications/{application_id}/review",
    response_model=Accepted,
    tags=["applications"],
    summary="Sign the opinion (head of the applicant's department; management when the "
    "applicant is that head; never the finder of its lead)",
)
def review_application(
    application_id: UUID, body: ReviewIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.review_application(
        actor,
        application_id,
        cmd.version,
        recommend=body.recommend,
        feasibility=body.feasibility,
        market_outlook=body.market_outlook,
        resource_needs=body.resource_needs,
    )
    return cmd.accepted(result)


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
    app: App,
    version: ExpectedVersion,
    response: Response,
) -> ApprovalAccepted:
    result = app.approve_application(
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
    application_id: UUID, body: RejectIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.reject_application(actor, application_id, cmd.version, body.reasons)
    return cmd.accepted(result)


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
    return await page_of(rt, APPLICATIONS, page, consistency, where, _application)


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
