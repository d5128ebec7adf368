"""The events risk reads from other services' topics, as a tolerant reader: its own model of
just the event and the fields it uses, named like the upstream event. Its reactions
(reactions.py) read them from here."""

from __future__ import annotations

from uuid import UUID

from bizdev_common.contract import EventContract, PublicEvent
from pydantic import Field


class ComplaintReceived(PublicEvent):
    """bizdev.crm.ComplaintReceived.v1, as far as risk uses it."""

    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the customer")


class ComplaintEscalated(PublicEvent):
    """bizdev.crm.ComplaintEscalated.v1, as far as risk uses it."""

    customer_id: UUID = Field(description="The customer")
    department: str = Field(description="Department that keeps the customer")


class CustomerRegistered(PublicEvent):
    """bizdev.crm.CustomerRegistered.v1: only the department the customer belongs to."""

    department: str = Field(description="Department the customer belongs to")


class FollowUpOverdue(PublicEvent):
    """bizdev.crm.FollowUpOverdue.v1 (of a customer: `aggregate_id`), as far as risk uses it."""

    department: str = Field(description="Department the customer belongs to")


class ReceivableOverdue(PublicEvent):
    """bizdev.finance.ReceivableOverdue.v1, as far as risk uses it."""

    customer_id: UUID = Field(description="The customer")


class BudgetLineOverrun(PublicEvent):
    """bizdev.finance.BudgetLineOverrun.v1, as far as risk uses it."""

    project_id: UUID = Field(description="The project")


class ProjectOpened(PublicEvent):
    """bizdev.projects.ProjectOpened.v1: only the department that runs the project."""

    department: str = Field(description="Department that runs the project")


class MilestoneOverdue(PublicEvent):
    """bizdev.projects.MilestoneOverdue.v1 (of a project: `aggregate_id`), as far as risk
    uses it."""

    department: str = Field(description="Department that runs the project")


class DeviationReported(PublicEvent):
    """bizdev.projects.DeviationReported.v1, as far as risk uses it."""

    project_id: UUID = Field(description="The project")
    department: str = Field(description="Department that runs the project")


CRM = EventContract.reading(
    "crm", CustomerRegistered, ComplaintReceived, ComplaintEscalated, FollowUpOverdue
)


FINANCE = EventContract.reading("finance", ReceivableOverdue, BudgetLineOverrun)


PROJECTS = EventContract.reading("projects", ProjectOpened, MilestoneOverdue, DeviationReported)
