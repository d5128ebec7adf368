"""The events finance reads from other services' topics (projects', crm's), as a tolerant
reader: its own model of just the event and the fields it uses, named like the upstream
event. The reactions (reactions.py) and the views (projections/) read them from here."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from pydantic import BaseModel, Field


class BudgetLine(BaseModel):
    """A line of the approved plan's budget, as far as finance uses it."""

    line_id: UUID | None = Field(default=None, description="Stable id of the line across revisions")
    category: str = Field(description="marketing, personnel, operations or procurement")
    amount: MoneyModel = Field(description="Amount budgeted")
    # Not used, but the catalog's check compares nested models field by field.
    description: str = Field(default="", description="What the line pays for")


class PlanApproved(PublicEvent):
    """bizdev.projects.PlanApproved.v1, as far as finance uses it."""

    project_id: UUID = Field(description="The project the plan is for")
    project_name: str = Field(description="Name of that project")
    department: str = Field(description="Department that runs the project")
    revision: int = Field(description="The approved revision")
    budget_lines: list[BudgetLine] = Field(description="The budget lines to budget")


PROJECTS = EventContract.reading("projects", PlanApproved)


class TeamLeadAppointed(PublicEvent):
    """bizdev.projects.TeamLeadAppointed.v1, as far as finance uses it: who leads a project
    (the record is the project), and so books against and reads its budget."""

    team_lead: str = Field(description="User id of the new team lead")


class TeamMemberAdded(PublicEvent):
    """bizdev.projects.TeamMemberAdded.v1, as far as finance uses it."""

    member: str = Field(description="User id of the member")


class TeamMemberRemoved(PublicEvent):
    """bizdev.projects.TeamMemberRemoved.v1, as far as finance uses it."""

    member: str = Field(description="User id of the member")


TEAMS = EventContract.reading("projects", TeamLeadAppointed, TeamMemberAdded, TeamMemberRemoved)


class ContractSigned(PublicEvent):
    """bizdev.crm.ContractSigned.v1, as far as finance uses it."""

    number: str = Field(description="The contract number")
    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the contract")
    salesperson: str = Field(description="User id of the salesperson credited with the sale")
    project_id: UUID | None = Field(description="The project it belongs to, if any")
    value: MoneyModel = Field(description="The contract's value")
    signed_on: date = Field(description="The day it was signed")


CRM = EventContract.reading("crm", ContractSigned)
