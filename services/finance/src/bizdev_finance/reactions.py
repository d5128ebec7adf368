"""What finance does on other services' events, and on deadlines passing.

It reads the projects and crm services' topics as a tolerant reader: its own model of just the event
and the fields it uses, named like the upstream event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID, uuid5

from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.reactions import Reaction
from bizdev_common.scheduler import DeadlineCheck
from eventsourcing.domain import Aggregate
from pydantic import BaseModel, Field

from bizdev_finance.application import FinanceApplication
from bizdev_finance.domain import Budget, PlannedLine, ProjectTeam, Receivable


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

INVOICE_DUE = "invoice_due"
"""Deadline kind, armed by the views: an invoice's due date is over (item: the invoice id)."""


def _line_id(project_id: UUID, position: int) -> UUID:
    """A line published before lines had ids: its position in the plan names it."""
    return uuid5(project_id, f"budget-line/{position}")


class PlanBudgetReaction(Reaction):
    """An approved plan opens the project's budget, a draft, entered in the books (which
    give it the months already closed); a later revision opens its next version. A
    redelivered or older revision changes nothing."""

    name = "plan_budgets"
    upstream = (PROJECTS,)

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        if not isinstance(event, PlanApproved):
            return ()
        lines = [
            PlannedLine(
                line.line_id or _line_id(event.project_id, n),
                line.category,
                line.amount.to_money(),
            )
            for n, line in enumerate(event.budget_lines)
        ]
        budget = app.find(Budget, Budget.create_id(event.project_id))
        if budget is None:
            assert isinstance(app, FinanceApplication)
            books = app.books()
            budget = Budget.open_for_plan(
                event.project_id,
                event.project_name,
                event.department,
                event.revision,
                lines,
                closed_months=books.closed_months,
            )
            books.enter(budget.id)
            return (budget, books)
        return (budget,) if budget.plan_revised(event.revision, lines) else ()


class ProjectTeamReaction(Reaction):
    """Projects' team changes are recorded in finance's own record of the project's team,
    which decides who books expenses against its budget (REGULATIONS 7.2). A redelivered
    change changes nothing."""

    name = "project_teams"
    upstream = (TEAMS,)

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        team = app.find(ProjectTeam, ProjectTeam.create_id(event.aggregate_id))
        if team is None:
            team = ProjectTeam(project_id=event.aggregate_id)
        match event:
            case TeamLeadAppointed():
                changed = team.lead_appointed(event.version, event.team_lead)
            case TeamMemberAdded():
                changed = team.member_added(event.version, event.member)
            case TeamMemberRemoved():
                changed = team.member_removed(event.version, event.member)
            case _:
                return ()
        return (team,) if changed else ()


class ContractReceivableReaction(Reaction):
    """A contract signed in crm opens its receivable schedule, once, entered in the books
    (which give it the months already closed)."""

    name = "contract_receivables"
    upstream = (CRM,)

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        if not isinstance(event, ContractSigned):
            return ()
        if app.find(Receivable, Receivable.create_id(event.aggregate_id)) is not None:
            return ()
        assert isinstance(app, FinanceApplication)
        books = app.books()
        receivable = Receivable(
            contract_id=event.aggregate_id,
            contract_number=event.number,
            customer_id=event.customer_id,
            department=event.department,
            salesperson=event.salesperson,
            project_id=event.project_id,
            value=event.value.to_money(),
            signed_on=event.signed_on,
            closed_months=sorted(books.closed_months),
        )
        books.enter_receivable(receivable.id)
        return (receivable, books)


class InvoiceDueCheck(DeadlineCheck[FinanceApplication]):
    """An invoice unpaid when its due date is over is reported overdue, once."""

    kind = INVOICE_DUE

    def fire(self, app: FinanceApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.act(
            Receivable, aggregate_id, None, lambda receivable: receivable.overdue(UUID(item), now)
        )
