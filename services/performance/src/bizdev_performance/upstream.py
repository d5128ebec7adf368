"""What performance reads of other services' topics: its own models of just the events and
fields it uses (tolerant readers), named like the upstream events (contracts/CATALOG.md)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from pydantic import Field

# --- projects ---------------------------------------------------------------------------------


class LeadConverted(PublicEvent):
    """bizdev.projects.LeadConverted.v1, as far as performance uses it."""

    finder: str = Field(description="User id of who submitted the lead: the one to reward")
    department: str = Field(description="The finder's department")
    application_id: UUID = Field(description="The approved application that followed the lead")
    project_id: UUID = Field(description="The project the approval opened")


class ProjectOpened(PublicEvent):
    """bizdev.projects.ProjectOpened.v1, as far as performance uses it."""

    department: str = Field(description="Department that runs the project")
    name: str = Field(description="Name of the project (the application's title)")
    expected_revenue: MoneyModel = Field(description="Revenue the project is expected to earn")
    lead_id: UUID | None = Field(description="The lead the project grew from, if any")


class TeamLeadAppointed(PublicEvent):
    """bizdev.projects.TeamLeadAppointed.v1, as far as performance uses it."""

    team_lead: str = Field(description="User id of the new team lead")
    previous_team_lead: str | None = Field(description="User id of the lead replaced, if any")
    project_name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")


class TeamMemberAdded(PublicEvent):
    """bizdev.projects.TeamMemberAdded.v1, as far as performance uses it."""

    member: str = Field(description="User id of the member")


class TeamMemberRemoved(PublicEvent):
    """bizdev.projects.TeamMemberRemoved.v1, as far as performance uses it."""

    member: str = Field(description="User id of the member")


LEADS = EventContract.reading("projects", LeadConverted, ProjectOpened)
TEAMS = EventContract.reading(
    "projects", ProjectOpened, TeamLeadAppointed, TeamMemberAdded, TeamMemberRemoved
)

# --- crm --------------------------------------------------------------------------------------


class ContractSigned(PublicEvent):
    """bizdev.crm.ContractSigned.v1, as far as performance uses it."""

    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the contract")
    salesperson: str = Field(description="User id of the salesperson credited with the sale")
    project_id: UUID | None = Field(description="The project it belongs to, if any")
    value: MoneyModel = Field(description="The contract's value")
    signed_on: date = Field(description="The day it was signed")


class ContractTerminated(PublicEvent):
    """bizdev.crm.ContractTerminated.v1, as far as performance uses it."""

    signed_on: date | None = Field(description="The day it was signed; null for a draft")


class ComplaintAssigned(PublicEvent):
    """bizdev.crm.ComplaintAssigned.v1, as far as performance uses it."""

    owner: str = Field(description="User id of the owner, who answers and resolves it")
    department: str = Field(description="Department that handles the complaint")


class ComplaintClosed(PublicEvent):
    """bizdev.crm.ComplaintClosed.v1, as far as performance uses it."""

    customer_id: UUID = Field(description="The complaining customer")
    department: str = Field(description="Department that handled the complaint")
    satisfaction: int = Field(ge=1, le=5, description="The customer's satisfaction, 1 to 5")
    confirmed_on: date | None = Field(default=None, description="The day it was confirmed")


class FollowUpRecorded(PublicEvent):
    """bizdev.crm.FollowUpRecorded.v1, as far as performance uses it."""

    customer_id: UUID = Field(description="The customer visited")
    visited_on: date = Field(description="Date of the visit")
    satisfaction: int = Field(ge=1, le=5, description="The customer's satisfaction, 1 to 5")


CRM = EventContract.reading(
    "crm", ContractSigned, ContractTerminated, ComplaintAssigned, ComplaintClosed, FollowUpRecorded
)

# --- finance ----------------------------------------------------------------------------------


class RevenueRecorded(PublicEvent):
    """bizdev.finance.RevenueRecorded.v1, as far as performance uses it."""

    invoice_id: UUID = Field(description="The invoice")
    amount: MoneyModel = Field(description="The amount invoiced: the revenue recorded")
    issued_on: date = Field(description="The day it was issued")
    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the contract")
    salesperson: str = Field(description="User id of the salesperson credited")
    project_id: UUID | None = Field(description="The project, if any")


class ExpensePosted(PublicEvent):
    """bizdev.finance.ExpensePosted.v1, as far as performance uses it."""

    project_id: UUID = Field(description="The project")
    expense_id: UUID = Field(description="The expense")
    amount: MoneyModel = Field(description="The amount")
    spent_on: date = Field(description="The day it was spent")
    paid_on: date | None = Field(
        default=None,
        description="The day it was paid: the date its actual cost counts from (null on "
        "expenses posted before payments were recorded: then `spent_on`)",
    )


FINANCE = EventContract.reading("finance", RevenueRecorded, ExpensePosted)
