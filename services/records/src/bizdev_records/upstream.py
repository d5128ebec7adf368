"""The events records reads from other services' topics, as a tolerant reader: its own model of
just the event and the fields it uses, named like the upstream event. Its reactions
(reactions.py) read them from here."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from pydantic import Field


class ProjectOpened(PublicEvent):
    """bizdev.projects.ProjectOpened.v1, as far as records uses it."""

    application_id: UUID = Field(description="The approved application")
    name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")
    applicant: str = Field(description="User id of the applicant")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    customer_id: UUID | None = Field(description="The crm customer the project is for, if any")


class ProjectClosed(PublicEvent):
    """bizdev.projects.ProjectClosed.v1, as far as records uses it."""

    outcome: str = Field(description="One of achieved, partially_achieved, not_achieved, cancelled")
    summary: str = Field(description="What the project achieved, or why it stopped")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that ran the project")


class ApplicationReviewed(PublicEvent):
    """bizdev.projects.ApplicationReviewed.v1, as far as records uses it."""

    recommend: bool = Field(description="Whether the reviewer recommends approval")
    feasibility: str = Field(description="Opinion on feasibility")
    market_outlook: str = Field(description="Opinion on the market outlook")
    resource_needs: str = Field(description="Opinion on the resources the project needs")


class ApplicationApproved(PublicEvent):
    """bizdev.projects.ApplicationApproved.v1, as far as records uses it."""

    comments: str = Field(description="The approver's comments; may be empty")
    department: str = Field(description="The applicant's department")
    title: str = Field(description="Title of the approved project")
    applicant: str = Field(description="User id of the applicant")
    project_id: UUID = Field(description="The project this approval opens (see ProjectOpened)")


class ApplicationRejected(PublicEvent):
    """bizdev.projects.ApplicationRejected.v1, as far as records uses it."""

    reasons: str = Field(description="Why the application was rejected")
    department: str = Field(description="The applicant's department")
    title: str = Field(description="Title of the rejected proposal")
    applicant: str = Field(description="User id of the applicant")


class PlanApproved(PublicEvent):
    """bizdev.projects.PlanApproved.v1, as far as records uses it."""

    project_id: UUID = Field(description="The project the plan is for")
    project_name: str = Field(description="Name of that project")
    department: str = Field(description="Department that runs the project")
    revision: int = Field(description="The approved revision")
    goals: str = Field(description="Goals of the plan")
    replaces_revision: int | None = Field(
        default=None, description="The approved revision this one replaces"
    )


class MeetingMinutesRecorded(PublicEvent):
    """bizdev.projects.MeetingMinutesRecorded.v1, as far as records uses it."""

    project_id: UUID = Field(description="The project")
    attendees: list[str] = Field(description="Who attended")
    minutes: str = Field(description="The minutes")


PROJECTS = EventContract.reading(
    "projects",
    ProjectOpened,
    ProjectClosed,
    ApplicationReviewed,
    ApplicationApproved,
    ApplicationRejected,
    PlanApproved,
    MeetingMinutesRecorded,
)


class CustomerRegistered(PublicEvent):
    """bizdev.crm.CustomerRegistered.v1, as far as records uses it."""

    name: str = Field(description="The customer's (company) name")
    industry: str = Field(description="The customer's industry")
    channel: str = Field(description="marketing, trade_show, referral, online or other")
    owner: str = Field(description="User id of the employee who develops and keeps the customer")
    department: str = Field(description="Department the customer belongs to")


class CustomerStatusChanged(PublicEvent):
    """bizdev.crm.CustomerStatusChanged.v1, as far as records uses it."""

    status: str = Field(description="prospect, active, dormant or lost")
    previous: str = Field(description="The status before")
    reason: str = Field(description="Why; always given for dormant and lost")


class ContractSigned(PublicEvent):
    """bizdev.crm.ContractSigned.v1, as far as records uses it."""

    number: str = Field(description="The contract number, unique in crm")
    title: str = Field(description="What the contract is for")
    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the contract")
    salesperson: str = Field(description="User id of the salesperson credited with the sale")
    project_id: UUID | None = Field(description="The project it belongs to, if any")
    value: MoneyModel = Field(description="The contract's value")
    signed_on: date = Field(description="The day it was signed")


class ContractCompleted(PublicEvent):
    """bizdev.crm.ContractCompleted.v1, as far as records uses it."""

    number: str = Field(description="The contract number")
    completed_on: date = Field(description="The day it was completed")


class ContractTerminated(PublicEvent):
    """bizdev.crm.ContractTerminated.v1, as far as records uses it."""

    number: str = Field(description="The contract number")
    signed_on: date | None = Field(description="The day it was signed; null for a draft")
    terminated_on: date = Field(description="The day it was terminated")
    reason: str = Field(description="Why it was terminated")


class ComplaintClosed(PublicEvent):
    """bizdev.crm.ComplaintClosed.v1, as far as records uses it."""

    customer_id: UUID = Field(description="The complaining customer")
    department: str = Field(description="Department that handled the complaint")
    cause: str = Field(description="Root-cause category")
    root_cause: str = Field(description="What the cause was")
    corrective_action: str = Field(description="What is done so that it does not recur")
    satisfaction: int = Field(ge=1, le=5, description="The customer's satisfaction, 1 to 5")


CRM = EventContract.reading(
    "crm",
    CustomerRegistered,
    CustomerStatusChanged,
    ContractSigned,
    ContractCompleted,
    ContractTerminated,
    ComplaintClosed,
)
