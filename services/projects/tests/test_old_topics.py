"""Events stored before the domain became a package (issue 8) name their classes in the module
`bizdev_projects.domain` (`bizdev_projects.domain:Lead.Submitted`), and a record's first event
names its aggregate's class there too (`originator_topic`). Such events are written here the way
the old code stored them, through the service application's own mapper and transcoder, and
every record is read back with today's code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import bizdev_projects.domain
from bizdev_common.domain import Actor, Money, Role
from bizdev_common.stored_topics import aggregates_in, event_classes_of, reload_stored_in
from bizdev_projects.application import ProjectsApplication
from bizdev_projects.domain import (
    MARKET_DEPARTMENT,
    Assessment,
    BudgetLine,
    BusinessPlan,
    DeviationReport,
    ExternalContact,
    KnownCustomer,
    Lead,
    MarketInsight,
    Meeting,
    PlanContent,
    PlannedActionItem,
    PlannedMilestone,
    Project,
    ProjectApplication,
    milestone_due_at,
)
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic

OLD_MODULE = "bizdev_projects.domain"
CNY = "CNY"
DUE = date(2027, 3, 31)

STORED_BEFORE_THE_SPLIT = aggregates_in(bizdev_projects.domain) - {KnownCustomer}
"""KnownCustomer came after the split: its events were only ever stored under its own module."""

ASSESSMENT = Assessment("Core business", "Growing demand", "20% margin")


def person(user_id: str, department: str, *roles: Role) -> Actor:
    return Actor(user_id, department, frozenset(roles))


APPLICANT = person("ann", "sales", Role.EMPLOYEE)
HEAD = person("hank", "sales", Role.EMPLOYEE, Role.DEPARTMENT_HEAD)
FINANCE_HEAD = person("fiona", "finance", Role.EMPLOYEE, Role.DEPARTMENT_HEAD)
MANAGER = person("carol", "board", Role.EMPLOYEE, Role.MANAGEMENT)
TEAM_LEAD = person("tina", "engineering", Role.EMPLOYEE, Role.TEAM_LEAD)


class InMemoryProjects(ProjectsApplication):
    """The service's application (its mapper, transcoder and transcodings) on the library's
    in-memory recorder instead of PostgreSQL."""

    def __init__(self) -> None:
        Application.__init__(self, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def every_record() -> list[Aggregate]:
    """Every kind of record, through every event it has."""
    insight = MarketInsight.record(
        person("mia", MARKET_DEPARTMENT, Role.EMPLOYEE), "competitor", "Price cut", "10% off"
    )
    lead = Lead.submit(APPLICANT, "ACME", "Cold storage", "fair", Money(Decimal(1), CNY))
    lead.discard(HEAD, reasons="No budget this year")
    lead.qualify(HEAD, note="Budget found", customer_id=uuid4())
    rejected = ProjectApplication.draft(
        APPLICANT,
        title="Warehouse",
        background="Clients ask",
        target_customers="Logistics firms",
        expected_revenue=Money(Decimal("500000"), CNY),
        preliminary_plan="Pilot",
        lead=lead,
    )
    opinion = {"feasibility": "Feasible", "market_outlook": "Growing", "resource_needs": "Two"}
    rejected.submit(APPLICANT)
    rejected.review(HEAD, recommend=False, lead=lead, **opinion)
    rejected.reject(MANAGER, reasons="Too early", lead=lead)
    application = rejected
    application.revise(APPLICANT, title="Smart warehouse")
    application.submit(APPLICANT)
    application.review(HEAD, recommend=True, lead=lead, **opinion)
    application.approve(MANAGER, ASSESSMENT, comments="Go ahead", lead=lead)
    lead.convert(application)
    project = Project.open(application)
    project.appoint_team_lead(MANAGER, TEAM_LEAD.user_id, "Runs the team")
    project.add_member(TEAM_LEAD, "bo", "Sensors")
    project.change_responsibilities(TEAM_LEAD, "bo", "Sensors and installation")
    project.add_member(TEAM_LEAD, "cy", "Sales")
    project.remove_member(MANAGER, "cy")
    content = PlanContent(
        goals="Three customers",
        marketing_strategy="Trade shows",
        product_plan="Sensors as a service",
        milestones=[PlannedMilestone("Pilot live", DUE, "bo")],
        budget_lines=[BudgetLine("marketing", Money(Decimal("100000.50"), CNY), "Shows")],
        review_departments=["sales", "finance"],
    )
    plan = BusinessPlan.draft(APPLICANT, project, existing=None, content=content)
    plan.submit(APPLICANT, project)
    plan.review(HEAD, project, verdict="changes_requested", comments="More detail")
    plan.revise(APPLICANT, project, content)
    plan.submit(APPLICANT, project)
    plan.review(HEAD, project, verdict="passed", comments="")
    plan.review(FINANCE_HEAD, project, verdict="passed", comments="")
    project.schedule_milestones(plan)
    [milestone] = project.milestones
    project.record_progress(TEAM_LEAD, milestone, percent=60, completed_on=None, note="Half")
    project.mark_milestone_overdue(milestone, milestone_due_at(DUE))
    project.record_progress(TEAM_LEAD, milestone, percent=100, completed_on=date(2027, 4, 3))
    project.change_health(TEAM_LEAD, "at_risk", "Rollout at risk")
    report = DeviationReport.report(
        TEAM_LEAD,
        project,
        deviation="Pilot slips",
        cause="Supplier late",
        adjusted_strategy="Second supplier",
        milestone_id=milestone,
    )
    report.acknowledge(MANAGER, project, "Re-plan the rollout", replan=True, plan=plan)
    plan.require_replanning(MANAGER, project, report)
    plan.revise(TEAM_LEAD, project, content)
    plan.submit(TEAM_LEAD, project)
    plan.review(HEAD, project, verdict="passed", comments="")
    plan.review(FINANCE_HEAD, project, verdict="passed", comments="")
    project.schedule_milestones(plan)
    meeting = Meeting.schedule(
        TEAM_LEAD,
        project,
        kind="weekly",
        title="Week 12",
        meeting_date=date(2027, 3, 22),
        attendees=["tina", "bo"],
        agenda="Pilot status",
    )
    meeting.record_minutes(
        TEAM_LEAD,
        project,
        minutes="On track",
        attendees=["tina"],
        action_items=[PlannedActionItem("Call the supplier", "bo", date(2027, 3, 25))],
    )
    meeting.mark_action_item_overdue(
        project, next(iter(meeting.action_items)), milestone_due_at(date(2027, 3, 25))
    )
    meeting.complete_action_item(
        person("bo", "engineering", Role.EMPLOYEE), project, next(iter(meeting.action_items))
    )
    contact = ExternalContact.log(
        TEAM_LEAD,
        project,
        party_kind="customer",
        party="ACME",
        contact_date=date(2027, 3, 1),
        summary="Dates agreed",
        customer_id=uuid4(),
    )
    project.close(MANAGER, "achieved", "Delivered")
    return [insight, lead, application, project, plan, report, meeting, contact]


def test_every_record_stored_under_the_old_module_loads() -> None:
    records = every_record()
    aggregates = STORED_BEFORE_THE_SPLIT
    assert {type(r) for r in records} == aggregates
    app = InMemoryProjects()
    stored_types = reload_stored_in(OLD_MODULE, app, records)
    every_kind = set().union(*(event_classes_of(a) for a in aggregates))
    assert stored_types == every_kind - {c for a in aggregates for c in (a.Event, a.Created)}


def test_every_aggregate_and_event_class_answers_to_its_old_topic() -> None:
    for cls in STORED_BEFORE_THE_SPLIT:
        for moved in {cls} | event_classes_of(cls):
            assert resolve_topic(f"{OLD_MODULE}:{moved.__qualname__}") is moved
