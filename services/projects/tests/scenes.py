"""Projects' aggregates, and who acts on them, in the states the rules are tested from: no
database, no Kafka."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from bizdev_common.domain import (
    Actor,
    Money,
    Role,
)
from bizdev_projects.domain import (
    Assessment,
    BudgetLine,
    BusinessPlan,
    DeviationReport,
    ExternalContact,
    Lead,
    Meeting,
    PlanContent,
    PlannedActionItem,
    PlannedMilestone,
    Project,
    ProjectApplication,
)
from eventsourcing.domain import Aggregate

CNY = "CNY"
FIRST_DUE = date(2027, 3, 31)
SECOND_DUE = date(2027, 6, 30)

ASSESSMENT = Assessment("Core business", "Growing demand", "20% margin")


def person(user_id: str, department: str, *roles: Role) -> Actor:
    return Actor(user_id, department, frozenset(roles))


def employee(user_id: str = "alice", department: str = "sales") -> Actor:
    return person(user_id, department, Role.EMPLOYEE)


def head(user_id: str, department: str) -> Actor:
    return person(user_id, department, Role.EMPLOYEE, Role.DEPARTMENT_HEAD)


def manager(user_id: str = "carol") -> Actor:
    return person(user_id, "board", Role.EMPLOYEE, Role.MANAGEMENT)


def auditor() -> Actor:
    return person("audrey", "audit", Role.AUDITOR)


LEAD = person("tina", "engineering", Role.EMPLOYEE, Role.TEAM_LEAD)
AUTHOR = employee()
SALES_HEAD = head("hank", "sales")
FINANCE_HEAD = head("fiona", "finance")


def approved_application(lead: Lead | None = None) -> ProjectApplication:
    application = ProjectApplication.draft(
        employee("ann"),
        title="Smart warehouse",
        background="Clients ask for automated storage",
        target_customers="Mid-size logistics firms",
        expected_revenue=Money(Decimal("500000"), CNY),
        preliminary_plan="Pilot with two clients",
        lead=lead,
    )
    application.submit(employee("ann"))
    application.review(
        SALES_HEAD,
        recommend=True,
        feasibility="Feasible",
        market_outlook="Growing",
        resource_needs="Two engineers",
        lead=lead,
    )
    application.approve(manager(), ASSESSMENT, comments="Go ahead", lead=lead)
    return application


def opened() -> Project:
    return Project.open(approved_application())


def led() -> Project:
    project = opened()
    project.appoint_team_lead(manager(), LEAD.user_id, "Runs the team")
    return project


def content(**overrides: Any) -> PlanContent:
    fields: dict[str, Any] = {
        "goals": "Win three logistics customers",
        "marketing_strategy": "Trade shows and referrals",
        "product_plan": "Warehouse sensors as a service",
        "milestones": [
            PlannedMilestone("Rollout", SECOND_DUE, "tina"),
            PlannedMilestone("Pilot live", FIRST_DUE, "bo"),
        ],
        "budget_lines": [
            BudgetLine("marketing", Money(Decimal("100000.50"), CNY), "Trade shows"),
            BudgetLine("personnel", Money(Decimal("250000"), CNY)),
            BudgetLine("procurement", Money(Decimal("20000"), "USD"), "Sensors"),
        ],
        "review_departments": ["sales", "finance"],
    }
    fields.update(overrides)
    return PlanContent(**fields)


def drafted(project: Project, actor: Actor = AUTHOR, **overrides: Any) -> BusinessPlan:
    return BusinessPlan.draft(actor, project, existing=None, content=content(**overrides))


def in_review(project: Project) -> BusinessPlan:
    plan = drafted(project)
    plan.submit(AUTHOR, project)
    return plan


def passed(plan: BusinessPlan, project: Project, reviewer: Actor) -> None:
    plan.review(reviewer, project, verdict="passed", comments="")


def approved(project: Project) -> BusinessPlan:
    plan = in_review(project)
    passed(plan, project, SALES_HEAD)
    passed(plan, project, FINANCE_HEAD)
    project.schedule_milestones(plan)
    return plan


def executing() -> Project:
    project = led()
    approved(project)
    return project


def first_milestone(project: Project) -> UUID:
    return next(m.id for m in project.milestones.values() if m.name == "Pilot live")


def closed(project: Project) -> Project:
    project.close(manager(), "cancelled", "Customer withdrew")
    return project


def names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def deviation(project: Project, **overrides: Any) -> DeviationReport:
    fields: dict[str, Any] = {
        "deviation": "Pilot slips",
        "cause": "Supplier late",
        "adjusted_strategy": "Second supplier",
    }
    fields.update(overrides)
    return DeviationReport.report(LEAD, project, **fields)


def replanning(project: Project, plan: BusinessPlan) -> DeviationReport:
    report = deviation(project)
    report.acknowledge(manager(), project, "Re-plan the rollout", replan=True, plan=plan)
    plan.require_replanning(manager(), project, report)
    return report


def line_ids(lines: list[dict[str, Any]]) -> list[UUID]:
    return [b["line_id"] for b in lines]


def meeting(project: Project, actor: Actor = LEAD, **overrides: Any) -> Meeting:
    fields: dict[str, Any] = {
        "kind": "weekly",
        "title": "Week 12",
        "meeting_date": date(2027, 3, 22),
        "attendees": ["tina", "bo"],
        "agenda": "Pilot status",
    }
    fields.update(overrides)
    return Meeting.schedule(actor, project, **fields)


ITEMS = [PlannedActionItem("Call the supplier", "bo", date(2027, 3, 25))]


def contact(project: Project, actor: Actor, **overrides: Any) -> ExternalContact:
    fields: dict[str, Any] = {
        "party_kind": "supplier",
        "party": "SensorCo",
        "contact_date": date(2027, 3, 1),
        "summary": "Delivery dates agreed",
    }
    fields.update(overrides)
    return ExternalContact.log(actor, project, **fields)


def minuted(project: Project) -> Meeting:
    m = meeting(project)
    m.record_minutes(LEAD, project, minutes="x", attendees=["tina"], action_items=ITEMS)
    return m
