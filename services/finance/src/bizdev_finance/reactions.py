"""What finance does on other services' events (their models: upstream.py), and on deadlines
passing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid5

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.reactions import Reaction
from bizdev_common.scheduler import DeadlineCheck
from eventsourcing.domain import Aggregate

from bizdev_finance.application import FinanceApplication
from bizdev_finance.domain import Budget, PlannedLine, ProjectTeam, Receivable
from bizdev_finance.projections.receivables import INVOICE_DUE
from bizdev_finance.upstream import (
    CRM,
    PROJECTS,
    TEAMS,
    ContractSigned,
    PlanApproved,
    TeamLeadAppointed,
    TeamMemberAdded,
    TeamMemberRemoved,
)


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
