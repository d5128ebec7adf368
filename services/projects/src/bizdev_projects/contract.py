"""The projects service's published events (topic `bizdev.projects.events.v1`)."""

from __future__ import annotations

from uuid import UUID

from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from pydantic import Field

from bizdev_projects.domain import Lead, MarketInsight, Project, ProjectApplication


class MarketInsightRecorded(PublicEvent):
    """The market department recorded a piece of market information (REGULATIONS 2.1)."""

    department: str = Field(description="Department of the recorder (always `market`)")
    kind: str = Field(description="One of industry_trend, competitor, customer_need")
    title: str = Field(description="Short title of the insight")
    content: str = Field(description="The insight itself")


class LeadSubmitted(PublicEvent):
    """An employee submitted a business lead; `by` is its finder, who is rewarded if the
    lead becomes an approved project (REGULATIONS 2.1)."""

    department: str = Field(description="Department of the finder")
    customer: str = Field(description="The prospective customer")
    need: str = Field(description="What the customer needs")
    source: str = Field(description="Where the lead came from")
    estimated_value: MoneyModel = Field(description="Estimated value of the business")


class ApplicationDrafted(PublicEvent):
    """An employee drafted a project initiation application (REGULATIONS 2.2); `by` is the
    applicant."""

    department: str = Field(description="The applicant's department, whose head reviews it")
    title: str = Field(description="Title of the proposed project")
    background: str = Field(description="Background of the proposal")
    target_customers: str = Field(description="Customers the project targets")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    preliminary_plan: str = Field(description="Preliminary plan of the project")
    lead_id: UUID | None = Field(description="The lead the application follows up, if any")
    customer_id: UUID | None = Field(description="The crm customer the proposal is for, if any")


class ApplicationRevised(PublicEvent):
    """The applicant revised a draft or rejected application; a rejected one returns to
    draft. Carries the whole form after the revision."""

    title: str = Field(description="Title of the proposed project")
    background: str = Field(description="Background of the proposal")
    target_customers: str = Field(description="Customers the project targets")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    preliminary_plan: str = Field(description="Preliminary plan of the project")


class ApplicationSubmitted(PublicEvent):
    """The applicant submitted the application for review by the head of department."""

    department: str = Field(description="Department whose head is to review it")
    title: str = Field(description="Title of the proposed project")
    applicant: str = Field(description="User id of the applicant")


class ApplicationReviewed(PublicEvent):
    """The head of the applicant's department signed an opinion on the application;
    `by` is the reviewer. Management decides next."""

    recommend: bool = Field(description="Whether the head recommends approval")
    feasibility: str = Field(description="Opinion on feasibility")
    market_outlook: str = Field(description="Opinion on the market outlook")
    resource_needs: str = Field(description="Opinion on the resources the project needs")


class ApplicationApproved(PublicEvent):
    """Management approved the application; a project is opened for it (REGULATIONS 2.3).
    `by` is the approver."""

    comments: str = Field(description="The approver's comments; may be empty")
    department: str = Field(description="The applicant's department")
    title: str = Field(description="Title of the approved project")
    applicant: str = Field(description="User id of the applicant")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    lead_id: UUID | None = Field(
        description="The lead the project grew from, if any; its finder earns a reward"
    )
    customer_id: UUID | None = Field(description="The crm customer the project is for, if any")
    project_id: UUID = Field(description="The project this approval opens (see ProjectOpened)")


class ApplicationRejected(PublicEvent):
    """Management rejected the application with reasons; the applicant may revise and
    resubmit it. `by` is the decision maker."""

    reasons: str = Field(description="Why the application was rejected")
    department: str = Field(description="The applicant's department")
    title: str = Field(description="Title of the rejected proposal")
    applicant: str = Field(description="User id of the applicant")


class ProjectOpened(PublicEvent):
    """A project was opened for an approved application; `by` is the approver."""

    application_id: UUID = Field(description="The approved application")
    name: str = Field(description="Name of the project (the application's title)")
    department: str = Field(description="Department that runs the project")
    applicant: str = Field(description="User id of the applicant")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    lead_id: UUID | None = Field(description="The lead the project grew from, if any")
    customer_id: UUID | None = Field(
        description="The crm customer the project is for, if any: crm lists it in its dealings"
    )


CONTRACT = EventContract(
    "projects",
    {
        MarketInsight.Recorded: MarketInsightRecorded,
        Lead.Submitted: LeadSubmitted,
        ProjectApplication.Drafted: ApplicationDrafted,
        ProjectApplication.Revised: ApplicationRevised,
        ProjectApplication.Submitted: ApplicationSubmitted,
        ProjectApplication.DepartmentReviewed: ApplicationReviewed,
        ProjectApplication.Approved: ApplicationApproved,
        ProjectApplication.Rejected: ApplicationRejected,
        Project.Opened: ProjectOpened,
    },
)
