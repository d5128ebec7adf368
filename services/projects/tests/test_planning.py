"""Planning, team, execution and communication rules (REGULATIONS §2.1, §3, §6) on the
aggregates alone: no database, no Kafka."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from bizdev_common.contract import PublicEvent
from bizdev_common.days import company_time_zone, decided_in_utc, end_of
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    NotFound,
    Role,
    RuleViolation,
)
from bizdev_common.eventstore import DateAsISO, MoneyAsDict
from bizdev_projects.contract import CONTRACT
from bizdev_projects.domain import (
    Assessment,
    BudgetLine,
    BusinessPlan,
    DeviationReport,
    DeviationState,
    ExternalContact,
    HealthStatus,
    Lead,
    Meeting,
    MeetingState,
    PlanContent,
    PlannedActionItem,
    PlannedMilestone,
    PlanState,
    Project,
    ProjectApplication,
    ProjectOutcome,
    ProjectState,
    milestone_due_at,
)
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder
from pydantic import TypeAdapter

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


# --- the business plan (REGULATIONS 3.1) ------------------------------------------------------


def test_plan_goes_through_two_reviews_with_a_round_of_changes_to_approval() -> None:
    project = led()
    plan = drafted(project)
    assert plan.id == BusinessPlan.plan_id_for(project.id)
    assert (plan.state, plan.revision, plan.author) == (PlanState.DRAFT, 1, "alice")
    assert [m["name"] for m in plan.milestones] == ["Pilot live", "Rollout"]

    plan.submit(AUTHOR, project)
    passed(plan, project, SALES_HEAD)
    assert plan.state == PlanState.IN_REVIEW
    plan.review(FINANCE_HEAD, project, verdict="changes_requested", comments="Budget too high")
    assert plan.state == PlanState.CHANGES_REQUESTED
    assert plan.reviews["finance"] == {
        "by": "fiona",
        "verdict": "changes_requested",
        "comments": "Budget too high",
    }

    plan.revise(
        AUTHOR, project, content(budget_lines=[BudgetLine("marketing", Money(Decimal(1), CNY))])
    )
    assert (plan.state, plan.revision, plan.reviews) == (PlanState.DRAFT, 2, {})
    plan.submit(AUTHOR, project)
    passed(plan, project, FINANCE_HEAD)
    # Sales passed revision 1, not this one: the plan waits for it again.
    assert plan.state == PlanState.IN_REVIEW
    passed(plan, project, SALES_HEAD)
    assert plan.state == PlanState.APPROVED
    assert plan.approved_by == "hank"
    assert names(plan) == [
        "Drafted",
        "Submitted",
        "Reviewed",
        "Reviewed",
        "Revised",
        "Submitted",
        "Reviewed",
        "Reviewed",
        "Approved",
    ]


def test_approval_carries_the_milestones_budget_lines_and_totals_per_currency() -> None:
    project = led()
    plan = in_review(project)
    plan.collect_events()
    passed(plan, project, SALES_HEAD)
    passed(plan, project, FINANCE_HEAD)
    *_, approval = plan.collect_events()
    assert isinstance(approval, BusinessPlan.Approved)
    assert approval.project_id == project.id
    assert [m["name"] for m in approval.milestones] == ["Pilot live", "Rollout"]
    assert [b["category"] for b in approval.budget_lines] == [
        "marketing",
        "personnel",
        "procurement",
    ]
    assert approval.budget_totals == [
        Money(Decimal("350000.50"), CNY),
        Money(Decimal("20000"), "USD"),
    ]


def test_plan_is_not_approved_while_a_requested_review_is_missing() -> None:
    project = led()
    plan = in_review(project)
    passed(plan, project, SALES_HEAD)
    assert plan.state == PlanState.IN_REVIEW
    assert "Approved" not in names(plan)
    with pytest.raises(InvalidTransition):
        project.schedule_milestones(plan)


def test_a_plan_sent_back_takes_no_review_until_it_is_revised() -> None:
    project = led()
    plan = in_review(project)
    plan.review(FINANCE_HEAD, project, verdict="changes_requested", comments="Too vague")
    for verdict, comments in (("passed", ""), ("changes_requested", "And more")):
        with pytest.raises(InvalidTransition, match="changes_requested"):
            plan.review(SALES_HEAD, project, verdict=verdict, comments=comments)
    assert plan.state == PlanState.CHANGES_REQUESTED
    assert "Approved" not in names(plan)
    with pytest.raises(InvalidTransition):
        project.schedule_milestones(plan)


def test_approved_plan_gives_the_project_its_milestones_once() -> None:
    project = led()
    plan = approved(project)
    assert sorted(m.name for m in project.milestones.values()) == ["Pilot live", "Rollout"]
    assert {m.id for m in project.milestones.values()} == {m["id"] for m in plan.milestones}
    assert all(m.percent == 0 and not m.done for m in project.milestones.values())
    *_, scheduled = project.collect_events()
    assert isinstance(scheduled, Project.MilestonesScheduled)
    assert scheduled.by == "fiona"
    with pytest.raises(InvalidTransition):
        project.schedule_milestones(plan)


def test_plan_of_another_project_does_not_schedule_milestones() -> None:
    project = led()
    plan = approved(project)
    with pytest.raises(InvalidTransition):
        led().schedule_milestones(plan)


def test_team_lead_from_another_department_may_draft_and_submit() -> None:
    project = led()
    plan = drafted(project, LEAD)
    plan.submit(LEAD, project)
    assert plan.submitted_by == "tina"


def test_team_lead_may_revise_and_submit_the_authors_plan() -> None:
    project = led()
    plan = drafted(project)
    plan.revise(LEAD, project, content(goals="Win five customers"))
    plan.submit(LEAD, project)
    assert (plan.goals, plan.state) == ("Win five customers", PlanState.IN_REVIEW)


@pytest.mark.parametrize(
    "actor",
    [employee("erin", "marketing"), auditor(), head("hank", "finance"), manager()],
    ids=["other-department", "auditor", "other-head", "management"],
)
def test_plan_drafted_only_by_the_team_lead_or_the_projects_department(actor: Actor) -> None:
    with pytest.raises(Forbidden):
        drafted(led(), actor)


def test_appointed_lead_without_the_team_lead_role_does_not_act_as_lead() -> None:
    project = led()
    with pytest.raises(Forbidden):
        drafted(project, employee("tina", "engineering"))


def test_a_project_has_one_plan() -> None:
    project = led()
    plan = drafted(project)
    with pytest.raises(InvalidTransition, match="already has a plan"):
        BusinessPlan.draft(AUTHOR, project, existing=plan, content=content())


def test_stranger_may_not_revise_or_submit() -> None:
    project = led()
    plan = drafted(project)
    with pytest.raises(Forbidden):
        plan.submit(employee("dave"), project)
    with pytest.raises(Forbidden):
        plan.revise(employee("dave"), project, content())


def test_submit_twice_is_an_invalid_transition() -> None:
    project = led()
    plan = in_review(project)
    with pytest.raises(InvalidTransition):
        plan.submit(AUTHOR, project)


def test_plan_sent_back_is_revised_before_it_is_resubmitted() -> None:
    project = led()
    plan = in_review(project)
    plan.review(SALES_HEAD, project, verdict="changes_requested", comments="Add a pilot")
    with pytest.raises(InvalidTransition):
        plan.submit(AUTHOR, project)


@pytest.mark.parametrize("make", [in_review, approved], ids=["in_review", "approved"])
def test_plan_under_review_or_approved_is_not_revised(make: Callable[[Project], Any]) -> None:
    project = led()
    plan = make(project)
    with pytest.raises(InvalidTransition):
        plan.revise(AUTHOR, project, content())


@pytest.mark.parametrize(
    "reviewer",
    [head("mona", "marketing"), employee("sam", "sales"), manager(), auditor()],
    ids=["head-of-unnamed-department", "employee-of-named-department", "management", "auditor"],
)
def test_review_by_someone_not_head_of_a_named_department_is_refused(reviewer: Actor) -> None:
    project = led()
    plan = in_review(project)
    with pytest.raises(Forbidden):
        plan.review(reviewer, project, verdict="passed", comments="")
    assert plan.reviews == {}


def test_author_never_reviews_their_own_plan() -> None:
    project = led()
    author = head("hank", "sales")
    plan = drafted(project, author)
    plan.submit(author, project)
    with pytest.raises(Forbidden, match="own submission"):
        plan.review(author, project, verdict="passed", comments="")


def test_who_submitted_never_reviews_the_revision() -> None:
    project = opened()
    lead_and_head = person("tina", "finance", Role.TEAM_LEAD, Role.DEPARTMENT_HEAD)
    project.appoint_team_lead(manager(), "tina", "Runs the team")
    plan = drafted(project)
    plan.submit(lead_and_head, project)
    with pytest.raises(Forbidden, match="own submission"):
        plan.review(lead_and_head, project, verdict="passed", comments="")


def test_review_of_a_draft_is_an_invalid_transition() -> None:
    project = led()
    plan = drafted(project)
    with pytest.raises(InvalidTransition):
        passed(plan, project, SALES_HEAD)


def test_one_review_per_department_and_revision() -> None:
    project = led()
    plan = in_review(project)
    passed(plan, project, SALES_HEAD)
    with pytest.raises(InvalidTransition, match="already reviewed"):
        passed(plan, project, head("harry", "sales"))


@pytest.mark.parametrize("comments", ["", "  "])
def test_asking_for_changes_needs_comments(comments: str) -> None:
    project = led()
    plan = in_review(project)
    with pytest.raises(RuleViolation) as refused:
        plan.review(SALES_HEAD, project, verdict="changes_requested", comments=comments)
    assert refused.value.field == "comments"


def test_unknown_verdict_is_refused() -> None:
    project = led()
    plan = in_review(project)
    with pytest.raises(RuleViolation) as refused:
        plan.review(SALES_HEAD, project, verdict="maybe", comments="")
    assert refused.value.field == "verdict"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"goals": " "}, "goals"),
        ({"marketing_strategy": ""}, "marketing_strategy"),
        ({"product_plan": ""}, "product_plan"),
        ({"milestones": []}, "milestones"),
        ({"milestones": [PlannedMilestone("", FIRST_DUE, "bo")]}, "milestones.name"),
        ({"milestones": [PlannedMilestone("Pilot", FIRST_DUE, " ")]}, "milestones.owner"),
        (
            {
                "milestones": [
                    PlannedMilestone("Pilot", FIRST_DUE, "bo"),
                    PlannedMilestone("Pilot", SECOND_DUE, "bo"),
                ]
            },
            "milestones",
        ),
        ({"budget_lines": []}, "budget_lines"),
        ({"budget_lines": [BudgetLine("travel", Money(Decimal(1), CNY))]}, "budget_lines.category"),
        (
            {"budget_lines": [BudgetLine("marketing", Money(Decimal(0), CNY))]},
            "budget_lines.amount",
        ),
        (
            {"budget_lines": [BudgetLine("marketing", Money(Decimal(-5), CNY))]},
            "budget_lines.amount",
        ),
        ({"review_departments": []}, "review_departments"),
        ({"review_departments": ["sales", "sales"]}, "review_departments"),
        ({"review_departments": ["sales", ""]}, "review_departments"),
    ],
)
def test_plan_content_rules(overrides: dict[str, Any], field: str) -> None:
    project = led()
    with pytest.raises(RuleViolation) as refused:
        drafted(project, **overrides)
    assert refused.value.field == field
    plan = drafted(project)
    with pytest.raises(RuleViolation) as refused:
        plan.revise(AUTHOR, project, content(**overrides))
    assert refused.value.field == field


def test_who_acts_is_checked_before_state_and_state_before_content() -> None:
    project = led()
    plan = approved(project)
    with pytest.raises(Forbidden):
        plan.revise(employee("dave"), project, content(goals=""))
    with pytest.raises(InvalidTransition):
        plan.revise(AUTHOR, project, content(goals=""))


# --- lead reward (REGULATIONS 2.1) ------------------------------------------------------------


def test_approved_application_from_a_lead_converts_it_once() -> None:
    lead = Lead.submit(
        employee("finn", "market"), "ACME", "Storage", "fair", Money(Decimal(1), CNY)
    )
    lead.collect_events()
    application = approved_application(lead)
    lead.convert(application)
    [converted] = lead.collect_events()
    assert isinstance(converted, Lead.Converted)
    assert (converted.finder, converted.by) == ("finn", "carol")
    assert converted.application_id == application.id
    assert converted.project_id == Project.project_id_for(application.id)
    assert lead.converted_to == converted.project_id

    lead.convert(approved_application(lead))
    assert lead.collect_events() == []
    assert lead.converted_to == converted.project_id


def test_only_an_approved_application_from_the_lead_converts_it() -> None:
    lead = Lead.submit(
        employee("finn", "market"), "ACME", "Storage", "fair", Money(Decimal(1), CNY)
    )
    with pytest.raises(InvalidTransition):
        lead.convert(approved_application())
    pending = ProjectApplication.draft(
        employee("ann"),
        title="t",
        background="b",
        target_customers="c",
        expected_revenue=Money(Decimal(1), CNY),
        preliminary_plan="p",
        lead=lead,
    )
    with pytest.raises(InvalidTransition):
        lead.convert(pending)


# --- team (REGULATIONS 3.2) -------------------------------------------------------------------


def test_two_team_leads_at_once_are_impossible() -> None:
    project = led()
    project.appoint_team_lead(manager(), "uma", "Takes over")
    assert project.team_lead == "uma"
    assert project.members == {"tina": "Runs the team", "uma": "Takes over"}
    *_, appointed = project.collect_events()
    assert isinstance(appointed, Project.TeamLeadAppointed)
    assert appointed.previous_team_lead == "tina"
    # The previous lead no longer acts for the team.
    with pytest.raises(Forbidden):
        project.add_member(LEAD, "vic", "Analyst")
    project.add_member(person("uma", "sales", Role.TEAM_LEAD), "vic", "Analyst")


def test_appointing_the_current_lead_again_is_an_invalid_transition() -> None:
    project = led()
    with pytest.raises(InvalidTransition):
        project.appoint_team_lead(manager(), "tina", "Again")


@pytest.mark.parametrize("actor", [LEAD, head("hank", "sales"), auditor()])
def test_only_management_appoints_the_team_lead(actor: Actor) -> None:
    with pytest.raises(Forbidden):
        led().appoint_team_lead(actor, "uma", "Takes over")


@pytest.mark.parametrize(("user_id", "field"), [("", "user_id"), ("uma", "responsibilities")])
def test_appointment_names_the_lead_and_responsibilities(user_id: str, field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        opened().appoint_team_lead(manager(), user_id, "" if field == "responsibilities" else "x")
    assert refused.value.field == field


@pytest.mark.parametrize("actor", [LEAD, manager()], ids=["team-lead", "management"])
def test_team_lead_or_management_changes_the_team(actor: Actor) -> None:
    project = led()
    project.add_member(actor, "bo", "Sensors")
    project.change_responsibilities(actor, "bo", "Sensors and installation")
    assert project.members["bo"] == "Sensors and installation"
    project.remove_member(actor, "bo")
    assert "bo" not in project.members
    assert names(project)[-3:] == ["MemberAdded", "ResponsibilitiesChanged", "MemberRemoved"]


@pytest.mark.parametrize(
    "actor", [employee("bo"), head("hank", "sales"), auditor()], ids=["member", "head", "auditor"]
)
def test_others_do_not_change_the_team(actor: Actor) -> None:
    project = led()
    project.add_member(LEAD, "bo", "Sensors")
    with pytest.raises(Forbidden):
        project.add_member(actor, "cy", "Sales")
    with pytest.raises(Forbidden):
        project.change_responsibilities(actor, "bo", "Nothing")
    with pytest.raises(Forbidden):
        project.remove_member(actor, "bo")


def test_member_added_twice_is_an_invalid_transition() -> None:
    project = led()
    project.add_member(LEAD, "bo", "Sensors")
    with pytest.raises(InvalidTransition):
        project.add_member(LEAD, "bo", "Again")


def test_member_needs_responsibilities() -> None:
    with pytest.raises(RuleViolation) as refused:
        led().add_member(LEAD, "bo", " ")
    assert refused.value.field == "responsibilities"


def test_the_lead_leaves_only_when_another_is_appointed() -> None:
    project = led()
    with pytest.raises(InvalidTransition):
        project.remove_member(manager(), "tina")


def test_unknown_member_is_not_found() -> None:
    project = led()
    with pytest.raises(NotFound):
        project.remove_member(LEAD, "nobody")
    with pytest.raises(NotFound):
        project.change_responsibilities(LEAD, "nobody", "x")


# --- execution (REGULATIONS 3.3) --------------------------------------------------------------


def test_progress_then_completion_of_a_milestone() -> None:
    project = executing()
    milestone = first_milestone(project)
    project.record_progress(LEAD, milestone, percent=40, completed_on=None, note="Sensors in")
    assert project.milestones[milestone].percent == 40
    project.record_progress(LEAD, milestone, percent=100, completed_on=date(2027, 4, 2))
    done = project.milestones[milestone]
    assert (done.percent, done.completed_on, done.done) == (100, date(2027, 4, 2), True)
    *_, progress, completion = project.collect_events()
    assert isinstance(progress, Project.ProgressRecorded)
    assert isinstance(completion, Project.MilestoneCompleted)
    assert (completion.milestone_name, completion.owner, completion.late) == (
        "Pilot live",
        "bo",
        True,
    )


@pytest.mark.parametrize("actor", [manager(), employee("bo"), auditor()])
def test_only_the_team_lead_records_progress(actor: Actor) -> None:
    project = executing()
    with pytest.raises(Forbidden):
        project.record_progress(actor, first_milestone(project), percent=10, completed_on=None)


def test_progress_on_an_unknown_milestone_is_not_found() -> None:
    with pytest.raises(NotFound):
        executing().record_progress(LEAD, uuid4(), percent=10, completed_on=None)


def test_completed_milestone_takes_no_more_progress() -> None:
    project = executing()
    milestone = first_milestone(project)
    project.record_progress(LEAD, milestone, percent=100, completed_on=FIRST_DUE)
    with pytest.raises(InvalidTransition):
        project.record_progress(LEAD, milestone, percent=50, completed_on=None)


@pytest.mark.parametrize(
    ("percent", "completed_on", "field"),
    [
        (101, None, "percent"),
        (-1, None, "percent"),
        (100, None, "completed_on"),
        (50, FIRST_DUE, "completed_on"),
    ],
)
def test_progress_rules(percent: int, completed_on: date | None, field: str) -> None:
    project = executing()
    with pytest.raises(RuleViolation) as refused:
        project.record_progress(
            LEAD, first_milestone(project), percent=percent, completed_on=completed_on
        )
    assert refused.value.field == field


def test_a_milestone_is_due_by_the_end_of_its_due_date_in_utc() -> None:
    assert milestone_due_at(date(2027, 3, 31)) == datetime(2027, 4, 1, tzinfo=UTC)


def test_overdue_milestone_is_reported_once() -> None:
    project = executing()
    milestone = first_milestone(project)
    due = milestone_due_at(FIRST_DUE)
    with pytest.raises(InvalidTransition, match="not due yet"):
        project.mark_milestone_overdue(milestone, due - timedelta(seconds=1))

    project.collect_events()
    project.mark_milestone_overdue(milestone, due)
    [overdue] = project.collect_events()
    assert isinstance(overdue, Project.MilestoneOverdue)
    assert overdue.by is None
    assert (overdue.milestone_name, overdue.owner, overdue.detected_at) == ("Pilot live", "bo", due)
    with pytest.raises(InvalidTransition, match="already reported"):
        project.mark_milestone_overdue(milestone, due + timedelta(days=1))
    # Overdue, it may still be completed: late.
    project.record_progress(LEAD, milestone, percent=100, completed_on=date(2027, 4, 10))
    *_, completion = project.collect_events()
    assert isinstance(completion, Project.MilestoneCompleted)
    assert completion.late is True


def test_completed_milestone_is_never_overdue() -> None:
    project = executing()
    milestone = first_milestone(project)
    project.record_progress(LEAD, milestone, percent=100, completed_on=FIRST_DUE)
    with pytest.raises(InvalidTransition):
        project.mark_milestone_overdue(milestone, milestone_due_at(FIRST_DUE) + timedelta(days=9))


def test_health_changes_with_a_note() -> None:
    project = executing()
    project.change_health(LEAD, "at_risk", "Supplier late")
    project.change_health(manager(), "on_hold", "Waiting for the customer")
    assert (project.health, project.health_note) == (
        HealthStatus.ON_HOLD,
        "Waiting for the customer",
    )
    *_, change = project.collect_events()
    assert isinstance(change, Project.HealthChanged)
    assert (change.health, change.previous_health) == ("on_hold", "at_risk")


@pytest.mark.parametrize("actor", [employee("bo"), head("hank", "sales"), auditor()])
def test_only_the_team_lead_or_management_changes_health(actor: Actor) -> None:
    with pytest.raises(Forbidden):
        executing().change_health(actor, "at_risk", "Worried")


def test_health_unchanged_is_an_invalid_transition() -> None:
    with pytest.raises(InvalidTransition):
        executing().change_health(LEAD, "on_track", "Still fine")


def test_project_is_done_only_when_every_milestone_is_completed() -> None:
    project = executing()
    with pytest.raises(InvalidTransition):
        project.change_health(LEAD, "done", "Finished?")
    for milestone in list(project.milestones):
        project.record_progress(LEAD, milestone, percent=100, completed_on=FIRST_DUE)
    project.change_health(LEAD, "done", "All delivered")
    assert project.health == HealthStatus.DONE


@pytest.mark.parametrize(
    ("status", "note", "field"), [("sunny", "x", "status"), ("at_risk", "", "note")]
)
def test_health_rules(status: str, note: str, field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        executing().change_health(LEAD, status, note)
    assert refused.value.field == field


def test_management_closes_the_project_with_its_outcome() -> None:
    project = executing()
    project.record_progress(LEAD, first_milestone(project), percent=100, completed_on=FIRST_DUE)
    project.close(manager(), "partially_achieved", "Pilot only")
    assert (project.state, project.outcome) == (
        ProjectState.CLOSED,
        ProjectOutcome.PARTIALLY_ACHIEVED,
    )
    *_, closing = project.collect_events()
    assert isinstance(closing, Project.Closed)
    assert (closing.milestones_total, closing.milestones_completed) == (2, 1)


@pytest.mark.parametrize("actor", [LEAD, head("hank", "sales"), auditor()])
def test_only_management_closes_a_project(actor: Actor) -> None:
    with pytest.raises(Forbidden):
        executing().close(actor, "cancelled", "Stop")


@pytest.mark.parametrize(
    ("outcome", "summary", "field"), [("won", "x", "outcome"), ("achieved", " ", "summary")]
)
def test_closing_rules(outcome: str, summary: str, field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        executing().close(manager(), outcome, summary)
    assert refused.value.field == field


def test_deviation_reported_by_the_team_lead_and_acknowledged_by_management() -> None:
    project = executing()
    milestone = first_milestone(project)
    report = DeviationReport.report(
        LEAD,
        project,
        deviation="Pilot slips a month",
        cause="Sensor supplier late",
        adjusted_strategy="Second supplier",
        milestone_id=milestone,
    )
    assert (report.state, report.reporter, report.milestone_id) == (
        DeviationState.ESCALATED,
        "tina",
        milestone,
    )
    report.acknowledge(manager(), project, "Approved: switch supplier")
    assert (report.state, report.decision, report.acknowledged_by) == (
        DeviationState.ACKNOWLEDGED,
        "Approved: switch supplier",
        "carol",
    )
    assert names(report) == ["Reported", "Acknowledged"]
    with pytest.raises(InvalidTransition):
        report.acknowledge(manager("dan"), project, "Again")


def deviation(project: Project, **overrides: Any) -> DeviationReport:
    fields: dict[str, Any] = {
        "deviation": "Pilot slips",
        "cause": "Supplier late",
        "adjusted_strategy": "Second supplier",
    }
    fields.update(overrides)
    return DeviationReport.report(LEAD, project, **fields)


@pytest.mark.parametrize("actor", [manager(), employee("bo"), auditor()])
def test_only_the_team_lead_reports_deviations(actor: Actor) -> None:
    project = executing()
    with pytest.raises(Forbidden):
        DeviationReport.report(actor, project, deviation="d", cause="c", adjusted_strategy="a")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"deviation": ""}, "deviation"),
        ({"cause": " "}, "cause"),
        ({"adjusted_strategy": ""}, "adjusted_strategy"),
        ({"milestone_id": uuid4()}, "milestone_id"),
    ],
)
def test_deviation_report_rules(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        deviation(executing(), **overrides)
    assert refused.value.field == field


@pytest.mark.parametrize("actor", [LEAD, head("hank", "sales"), auditor()])
def test_only_management_acknowledges_deviations(actor: Actor) -> None:
    project = executing()
    with pytest.raises(Forbidden):
        deviation(project).acknowledge(actor, project, "Fine")


def test_a_manager_who_leads_the_team_does_not_acknowledge_their_own_report() -> None:
    project = led()
    boss = person("max", "board", Role.MANAGEMENT, Role.TEAM_LEAD)
    project.appoint_team_lead(manager(), "max", "Leads it himself")
    report = DeviationReport.report(boss, project, deviation="d", cause="c", adjusted_strategy="a")
    with pytest.raises(Forbidden, match="own submission"):
        report.acknowledge(boss, project, "Fine")


def test_acknowledgement_needs_a_decision() -> None:
    project = executing()
    with pytest.raises(RuleViolation) as refused:
        deviation(project).acknowledge(manager(), project, "")
    assert refused.value.field == "decision"


# --- re-planning (REGULATIONS 3.1, 3.3) -------------------------------------------------------


def replanning(project: Project, plan: BusinessPlan) -> DeviationReport:
    report = deviation(project)
    report.acknowledge(manager(), project, "Re-plan the rollout", replan=True, plan=plan)
    plan.require_replanning(manager(), project, report)
    return report


def line_ids(lines: list[dict[str, Any]]) -> list[UUID]:
    return [b["line_id"] for b in lines]


def test_a_deviation_acknowledged_with_replanning_leads_to_revision_2() -> None:
    project = led()
    plan = approved(project)
    first_lines = line_ids(plan.budget_lines)
    assert len(set(first_lines)) == 3
    pilot = first_milestone(project)
    project.record_progress(LEAD, pilot, percent=40, completed_on=None)

    report = replanning(project, plan)
    assert report.replan_required
    assert (plan.state, plan.approved_revision, plan.replanning_for) == (
        PlanState.REPLANNING,
        1,
        report.id,
    )
    [*_, required] = plan.collect_events()
    assert isinstance(required, BusinessPlan.ReplanningRequired)
    assert (required.deviation_id, required.approved_revision) == (report.id, 1)

    # The team lead keeps two lines (by id), drops the third, adds one; keeps "Pilot live"
    # (a month later), drops "Rollout", adds "Go-live".
    marketing, personnel, _ = plan.budget_lines
    later = FIRST_DUE + timedelta(days=30)
    plan.revise(
        LEAD,
        project,
        content(
            milestones=[
                PlannedMilestone("Pilot live", later, "bo"),
                PlannedMilestone("Go-live", SECOND_DUE + timedelta(days=60), "tina"),
            ],
            budget_lines=[
                BudgetLine(
                    "marketing", Money(Decimal("150000"), CNY), "More shows", marketing["line_id"]
                ),
                BudgetLine("personnel", personnel["amount"], line_id=personnel["line_id"]),
                BudgetLine("operations", Money(Decimal("30000"), CNY), "Second supplier"),
            ],
        ),
    )
    assert (plan.state, plan.revision, plan.revised_by) == (PlanState.DRAFT, 2, "tina")
    assert plan.approved_revision == 1
    assert line_ids(plan.approved_budget_lines) == first_lines
    revised_lines = line_ids(plan.budget_lines)
    assert revised_lines[:2] == first_lines[:2]
    assert revised_lines[2] not in first_lines

    plan.submit(LEAD, project)
    passed(plan, project, SALES_HEAD)
    assert plan.approved_revision == 1
    passed(plan, project, FINANCE_HEAD)
    assert (plan.state, plan.approved_revision, plan.replanning_for) == (
        PlanState.APPROVED,
        2,
        None,
    )
    approval = next(e for e in plan.collect_events() if isinstance(e, BusinessPlan.Approved))
    assert (approval.revision, approval.replaces_revision) == (2, 1)
    assert line_ids(approval.budget_lines) == revised_lines

    project.collect_events()
    project.schedule_milestones(plan)
    [scheduled] = project.collect_events()
    assert isinstance(scheduled, Project.MilestonesScheduled)
    assert scheduled.revision == 2
    assert project.scheduled_revision == 2
    assert sorted(m.name for m in project.milestones.values()) == ["Go-live", "Pilot live"]
    kept = project.milestones[pilot]
    assert (kept.due_date, kept.percent) == (later, 40)
    with pytest.raises(InvalidTransition, match="already follow revision 2"):
        project.schedule_milestones(plan)


def test_a_milestone_moved_by_replanning_is_reported_overdue_again() -> None:
    project = led()
    plan = approved(project)
    pilot = first_milestone(project)
    project.mark_milestone_overdue(pilot, milestone_due_at(FIRST_DUE))
    replanning(project, plan)
    later = FIRST_DUE + timedelta(days=30)
    plan.revise(
        LEAD,
        project,
        content(
            milestones=[
                PlannedMilestone("Pilot live", later, "bo"),
                PlannedMilestone("Rollout", SECOND_DUE, "tina"),
            ]
        ),
    )
    plan.submit(LEAD, project)
    passed(plan, project, SALES_HEAD)
    passed(plan, project, FINANCE_HEAD)
    project.schedule_milestones(plan)
    assert project.milestones[pilot].overdue_since is None
    rollout = next(m for m in project.milestones.values() if m.name == "Rollout")
    assert rollout.overdue_since is None
    with pytest.raises(InvalidTransition, match="not due yet"):
        project.mark_milestone_overdue(pilot, milestone_due_at(FIRST_DUE))
    project.mark_milestone_overdue(pilot, milestone_due_at(later))


def test_replanning_needs_an_approved_plan() -> None:
    project = led()
    plan = in_review(project)
    report = deviation(project)
    with pytest.raises(InvalidTransition, match="no approved plan"):
        report.acknowledge(manager(), project, "Re-plan", replan=True, plan=plan)
    with pytest.raises(InvalidTransition, match="no approved plan"):
        report.acknowledge(manager(), project, "Re-plan", replan=True, plan=None)
    assert report.state == DeviationState.ESCALATED


def test_only_a_deviation_acknowledged_with_replanning_replans() -> None:
    project = led()
    plan = approved(project)
    report = deviation(project)
    report.acknowledge(manager(), project, "Carry on")
    assert not report.replan_required
    with pytest.raises(InvalidTransition, match="acknowledged with re-planning"):
        plan.require_replanning(manager(), project, report)
    other = led()
    other_report = deviation(other)
    other_report.acknowledge(manager(), other, "Re-plan", replan=True, plan=approved(other))
    with pytest.raises(InvalidTransition, match="acknowledged with re-planning"):
        plan.require_replanning(manager(), project, other_report)
    assert plan.state == PlanState.APPROVED


@pytest.mark.parametrize("actor", [LEAD, SALES_HEAD, auditor()])
def test_only_management_requires_replanning(actor: Actor) -> None:
    project = led()
    plan = approved(project)
    report = deviation(project)
    report.acknowledge(manager(), project, "Re-plan", replan=True, plan=plan)
    with pytest.raises(Forbidden):
        plan.require_replanning(actor, project, report)


def test_a_second_deviation_while_replanning_changes_nothing() -> None:
    project = led()
    plan = approved(project)
    first = replanning(project, plan)
    plan.collect_events()
    second = deviation(project)
    second.acknowledge(manager(), project, "Same re-planning", replan=True, plan=plan)
    plan.require_replanning(manager(), project, second)
    assert plan.collect_events() == []
    assert plan.replanning_for == first.id


def test_an_approved_plan_is_revised_only_when_replanning() -> None:
    project = led()
    plan = approved(project)
    with pytest.raises(InvalidTransition):
        plan.revise(LEAD, project, content())


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        (
            lambda kept: [BudgetLine("marketing", Money(Decimal(1), CNY), line_id=uuid4())],
            "budget_lines.line_id",
        ),
        (
            lambda kept: [
                BudgetLine("marketing", Money(Decimal(1), CNY), line_id=kept),
                BudgetLine("personnel", Money(Decimal(2), CNY), line_id=kept),
            ],
            "budget_lines.line_id",
        ),
    ],
    ids=["unknown", "kept-twice"],
)
def test_a_revision_keeps_only_lines_the_plan_had_once_each(
    lines: Callable[[UUID], list[BudgetLine]], field: str
) -> None:
    project = led()
    plan = approved(project)
    replanning(project, plan)
    with pytest.raises(RuleViolation) as refused:
        plan.revise(LEAD, project, content(budget_lines=lines(plan.budget_lines[0]["line_id"])))
    assert refused.value.field == field
    assert plan.revision == 1


def test_a_first_draft_names_no_line_to_keep() -> None:
    with pytest.raises(RuleViolation) as refused:
        drafted(
            led(),
            budget_lines=[BudgetLine("marketing", Money(Decimal(1), CNY), line_id=uuid4())],
        )
    assert refused.value.field == "budget_lines.line_id"


def test_who_revised_the_revision_never_reviews_it() -> None:
    project = opened()
    lead_and_head = person("tina", "finance", Role.TEAM_LEAD, Role.DEPARTMENT_HEAD)
    project.appoint_team_lead(manager(), "tina", "Runs the team")
    plan = in_review(project)
    plan.review(SALES_HEAD, project, verdict="changes_requested", comments="More detail")
    plan.revise(lead_and_head, project, content(goals="Win five customers"))
    plan.submit(AUTHOR, project)
    with pytest.raises(Forbidden, match="own submission"):
        plan.review(lead_and_head, project, verdict="passed", comments="")
    assert "finance" not in plan.reviews


def test_the_plans_author_never_reviews_a_later_revision() -> None:
    project = led()
    author_head = head("sam", "sales")
    plan = drafted(project, author_head)
    plan.submit(author_head, project)
    passed(plan, project, SALES_HEAD)
    plan.review(FINANCE_HEAD, project, verdict="changes_requested", comments="More")
    plan.revise(LEAD, project, content())
    plan.submit(LEAD, project)
    with pytest.raises(Forbidden, match="own submission"):
        plan.review(author_head, project, verdict="passed", comments="")


# --- communication (REGULATIONS §6) -----------------------------------------------------------


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


def test_meeting_minutes_and_action_items() -> None:
    project = executing()
    m = meeting(project)
    m.record_minutes(
        LEAD, project, minutes="Pilot on track", attendees=["tina"], action_items=ITEMS
    )
    assert (m.state, m.attendees, m.minutes) == (MeetingState.MINUTED, ["tina"], "Pilot on track")
    [item] = m.action_items.values()
    assert (item.owner, item.due_date, item.done_by) == ("bo", date(2027, 3, 25), None)
    m.complete_action_item(employee("bo", "engineering"), project, item.id)
    assert m.action_items[item.id].done_by == "bo"
    assert names(m) == ["Scheduled", "MinutesRecorded", "ActionItemDone"]


@pytest.mark.parametrize("actor", [employee("bo"), head("hank", "sales"), auditor()])
def test_only_the_team_lead_or_management_calls_meetings_and_records_minutes(actor: Actor) -> None:
    project = executing()
    with pytest.raises(Forbidden):
        meeting(project, actor)
    m = meeting(project, manager())
    with pytest.raises(Forbidden):
        m.record_minutes(actor, project, minutes="x", attendees=["tina"], action_items=[])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "daily"}, "kind"),
        ({"title": ""}, "title"),
        ({"attendees": []}, "attendees"),
        ({"attendees": ["bo", "bo"]}, "attendees"),
    ],
)
def test_meeting_rules(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        meeting(executing(), **overrides)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("minutes", "attendees", "items", "field"),
    [
        ("", ["tina"], [], "minutes"),
        ("x", [], [], "attendees"),
        ("x", ["tina"], [PlannedActionItem("", "bo", FIRST_DUE)], "action_items.description"),
        ("x", ["tina"], [PlannedActionItem("Do", " ", FIRST_DUE)], "action_items.owner"),
    ],
)
def test_minutes_rules(
    minutes: str, attendees: list[str], items: list[PlannedActionItem], field: str
) -> None:
    project = executing()
    with pytest.raises(RuleViolation) as refused:
        meeting(project).record_minutes(
            LEAD, project, minutes=minutes, attendees=attendees, action_items=items
        )
    assert refused.value.field == field


def test_minutes_are_recorded_once() -> None:
    project = executing()
    m = meeting(project)
    m.record_minutes(LEAD, project, minutes="x", attendees=["tina"], action_items=[])
    with pytest.raises(InvalidTransition):
        m.record_minutes(LEAD, project, minutes="y", attendees=["tina"], action_items=[])


def test_action_item_done_by_its_owner_the_lead_or_management_once() -> None:
    project = executing()
    m = meeting(project)
    items = [PlannedActionItem(f"Task {n}", "bo", FIRST_DUE) for n in range(3)]
    m.record_minutes(LEAD, project, minutes="x", attendees=["tina"], action_items=items)
    first, second, third = m.action_items
    with pytest.raises(Forbidden):
        m.complete_action_item(employee("cy"), project, first)
    with pytest.raises(NotFound):
        m.complete_action_item(LEAD, project, uuid4())
    m.complete_action_item(employee("bo"), project, first)
    m.complete_action_item(LEAD, project, second)
    m.complete_action_item(manager(), project, third)
    with pytest.raises(InvalidTransition):
        m.complete_action_item(employee("bo"), project, first)


def contact(project: Project, actor: Actor, **overrides: Any) -> ExternalContact:
    fields: dict[str, Any] = {
        "party_kind": "supplier",
        "party": "SensorCo",
        "contact_date": date(2027, 3, 1),
        "summary": "Delivery dates agreed",
    }
    fields.update(overrides)
    return ExternalContact.log(actor, project, **fields)


def test_team_members_and_management_log_contacts() -> None:
    project = executing()
    project.add_member(LEAD, "bo", "Sensors")
    for actor in (employee("bo", "engineering"), LEAD, manager()):
        logged = contact(project, actor)
        assert logged.logged_by == actor.user_id
        assert logged.project_id == project.id


@pytest.mark.parametrize("actor", [employee("cy"), head("hank", "sales"), auditor()])
def test_outsiders_do_not_log_contacts(actor: Actor) -> None:
    with pytest.raises(Forbidden):
        contact(executing(), actor)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"party_kind": "rival"}, "party_kind"),
        ({"party": ""}, "party"),
        ({"summary": " "}, "summary"),
    ],
)
def test_contact_rules(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        contact(executing(), LEAD, **overrides)
    assert refused.value.field == field


# --- a closed project refuses changes ---------------------------------------------------------


def test_an_overdue_action_item_is_reported_once() -> None:
    project = executing()
    m = _minuted(project)
    [item_id] = m.action_items
    due = end_of(date(2027, 3, 25))
    with pytest.raises(InvalidTransition, match="not due yet"):
        m.mark_action_item_overdue(project, item_id, due - timedelta(seconds=1))
    m.collect_events()
    m.mark_action_item_overdue(project, item_id, due)
    [overdue] = m.collect_events()
    assert isinstance(overdue, Meeting.ActionItemOverdue)
    assert (overdue.by, overdue.item_id, overdue.owner, overdue.detected_at) == (
        None,
        item_id,
        "bo",
        due,
    )
    with pytest.raises(InvalidTransition, match="already reported"):
        m.mark_action_item_overdue(project, item_id, due + timedelta(days=1))
    with pytest.raises(NotFound):
        m.mark_action_item_overdue(project, uuid4(), due)


def test_a_done_action_item_is_never_overdue() -> None:
    project = executing()
    m = _minuted(project)
    [item_id] = m.action_items
    m.complete_action_item(employee("bo"), project, item_id)
    with pytest.raises(InvalidTransition, match="done"):
        m.mark_action_item_overdue(project, item_id, datetime(2027, 4, 1, tzinfo=UTC))


def _minuted(project: Project) -> Meeting:
    m = meeting(project)
    m.record_minutes(LEAD, project, minutes="x", attendees=["tina"], action_items=ITEMS)
    return m


CHANGES: dict[str, Callable[[Project, BusinessPlan, DeviationReport, Meeting], Any]] = {
    "appoint_team_lead": lambda p, *_: p.appoint_team_lead(manager(), "uma", "Lead"),
    "add_member": lambda p, *_: p.add_member(LEAD, "cy", "Sales"),
    "change_responsibilities": lambda p, *_: p.change_responsibilities(LEAD, "bo", "All"),
    "remove_member": lambda p, *_: p.remove_member(LEAD, "bo"),
    "record_progress": lambda p, *_: p.record_progress(
        LEAD, first_milestone(p), percent=10, completed_on=None
    ),
    "mark_milestone_overdue": lambda p, *_: p.mark_milestone_overdue(
        first_milestone(p), milestone_due_at(FIRST_DUE) + timedelta(days=1)
    ),
    "change_health": lambda p, *_: p.change_health(LEAD, "at_risk", "Late"),
    "close": lambda p, *_: p.close(manager(), "cancelled", "Again"),
    "draft_plan": lambda p, *_: BusinessPlan.draft(AUTHOR, p, existing=None, content=content()),
    "revise_plan": lambda p, plan, *_: plan.revise(AUTHOR, p, content()),
    "submit_plan": lambda p, plan, *_: plan.submit(AUTHOR, p),
    "review_plan": lambda p, plan, *_: passed(plan, p, SALES_HEAD),
    "report_deviation": lambda p, *_: deviation(p),
    "acknowledge_deviation": lambda p, _, report, __: report.acknowledge(manager(), p, "Ok"),
    "schedule_meeting": lambda p, *_: meeting(p),
    "record_minutes": lambda p, *_: meeting(p).record_minutes(
        LEAD, p, minutes="x", attendees=["tina"], action_items=[]
    ),
    "complete_action_item": lambda p, _, __, m: m.complete_action_item(
        LEAD, p, next(iter(m.action_items))
    ),
    "log_contact": lambda p, *_: contact(p, LEAD),
    "mark_action_item_overdue": lambda p, _, __, m: m.mark_action_item_overdue(
        p, next(iter(m.action_items)), datetime(2027, 4, 1, tzinfo=UTC)
    ),
}


def _scene(plan_in_review: bool) -> tuple[Project, BusinessPlan, DeviationReport, Meeting]:
    """An executing project with a member, and a plan, a deviation report and a minuted
    meeting in the state each command needs."""
    project = led()
    project.add_member(LEAD, "bo", "Sensors")
    approved(project)
    plan = drafted(project)
    if plan_in_review:
        plan.submit(AUTHOR, project)
    return project, plan, deviation(project), _minuted(project)


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_closed_project_refuses_changes(
    change: Callable[[Project, BusinessPlan, DeviationReport, Meeting], Any],
) -> None:
    plan_in_review = change is CHANGES["review_plan"]
    change(*_scene(plan_in_review))  # allowed while the project is open...
    project, plan, report, minuted = _scene(plan_in_review)
    closed(project)
    with pytest.raises(InvalidTransition, match="closed"):
        change(project, plan, report, minuted)  # ...refused once it is closed


# --- replay and publication -------------------------------------------------------------------


class _InMemoryProjects(Application[UUID]):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(MoneyAsDict())
        transcoder.register(DateAsISO())


def _state(aggregate: Aggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def _every_new_kind_of_aggregate() -> list[Aggregate]:
    lead = Lead.submit(
        employee("finn", "market"), "ACME", "Storage", "fair", Money(Decimal(1), CNY)
    )
    lead.discard(manager(), reasons="Too small")
    lead.qualify(manager(), note="Bigger than it looked", customer_id=uuid4())
    application = approved_application(lead)
    lead.convert(application)
    project = Project.open(application)
    project.appoint_team_lead(manager(), LEAD.user_id, "Runs the team")
    project.add_member(LEAD, "bo", "Sensors")
    project.change_responsibilities(LEAD, "bo", "Sensors and installation")
    project.add_member(LEAD, "cy", "Sales")
    project.remove_member(manager(), "cy")
    plan = in_review(project)
    plan.review(SALES_HEAD, project, verdict="changes_requested", comments="More detail")
    plan.revise(AUTHOR, project, content())
    plan.submit(AUTHOR, project)
    passed(plan, project, SALES_HEAD)
    passed(plan, project, FINANCE_HEAD)
    project.schedule_milestones(plan)
    first = first_milestone(project)
    project.record_progress(LEAD, first, percent=60, completed_on=None, note="Halfway")
    project.mark_milestone_overdue(first, milestone_due_at(FIRST_DUE))
    project.record_progress(LEAD, first, percent=100, completed_on=date(2027, 4, 3))
    project.change_health(LEAD, "at_risk", "Rollout at risk")
    report = deviation(project, milestone_id=first)
    report.acknowledge(manager(), project, "Re-plan", replan=True, plan=plan)
    plan.require_replanning(manager(), project, report)
    plan.revise(LEAD, project, content())
    plan.submit(LEAD, project)
    passed(plan, project, SALES_HEAD)
    passed(plan, project, FINANCE_HEAD)
    project.schedule_milestones(plan)
    m = _minuted(project)
    m.mark_action_item_overdue(project, next(iter(m.action_items)), end_of(date(2027, 3, 25)))
    m.complete_action_item(employee("bo"), project, next(iter(m.action_items)))
    logged = contact(project, LEAD, customer_id=uuid4())
    project.close(manager(), "achieved", "Delivered")
    return [lead, application, project, plan, report, m, logged]


def test_replaying_stored_events_rebuilds_the_same_state() -> None:
    app = _InMemoryProjects()
    for aggregate in _every_new_kind_of_aggregate():
        app.save(aggregate)
        rebuilt: Aggregate = app.repository.get(aggregate.id)
        assert type(rebuilt) is type(aggregate)
        assert _state(rebuilt) == _state(aggregate)


def test_every_domain_event_has_a_public_form_with_its_content() -> None:
    own_fields = set(PublicEvent.model_fields)
    as_json = TypeAdapter(Any)
    for aggregate in _every_new_kind_of_aggregate():
        for domain_event in aggregate.collect_events():
            public = CONTRACT.to_public(domain_event)
            assert public is not None, type(domain_event).__qualname__
            assert public.aggregate_id == aggregate.id
            assert public.by == vars(domain_event)["by"]
            published = public.model_dump(mode="json")
            for name in type(public).model_fields.keys() - own_fields:
                expected = as_json.dump_python(getattr(domain_event, name), mode="json")
                assert published[name] == expected, (type(public).__name__, name)


# --- an acting role, whatever the relation to the record ------------------------------------


def as_auditor(actor: Actor) -> Actor:
    """The same person (user id, department) holding only the auditor's role."""
    return person(actor.user_id, actor.department, Role.AUDITOR)


def test_the_plans_author_as_auditor_neither_drafts_revises_nor_submits() -> None:
    project = led()
    with pytest.raises(Forbidden, match="acting role"):
        drafted(project, as_auditor(AUTHOR))
    plan = drafted(project)
    with pytest.raises(Forbidden, match="acting role"):
        plan.revise(as_auditor(AUTHOR), project, content(goals="Other goals"))
    with pytest.raises(Forbidden, match="acting role"):
        plan.submit(as_auditor(AUTHOR), project)
    sent_back = in_review(led())
    sent_back.review(FINANCE_HEAD, project, verdict="changes_requested", comments="Too vague")
    with pytest.raises(Forbidden, match="acting role"):
        sent_back.revise(as_auditor(AUTHOR), project, content(goals="Other goals"))
    assert (plan.state, plan.revision) == (PlanState.DRAFT, 1)


def test_the_owner_of_an_action_item_as_auditor_does_not_complete_it() -> None:
    project = executing()
    m = meeting(project)
    m.record_minutes(LEAD, project, minutes="x", attendees=["tina"], action_items=ITEMS)
    item_id, item = next(iter(m.action_items.items()))
    owner = person(item.owner, "engineering", Role.AUDITOR)
    with pytest.raises(Forbidden, match="acting role"):
        m.complete_action_item(owner, project, item_id)
    assert item.done_by is None
    m.complete_action_item(employee(item.owner, "engineering"), project, item_id)
    assert m.action_items[item_id].done_by == item.owner


def test_an_auditor_holding_the_lead_or_a_members_id_changes_nothing() -> None:
    project = executing()
    project.add_member(LEAD, "bo", "Sensors")
    lead = as_auditor(LEAD)
    member = person("bo", "engineering", Role.AUDITOR)
    refused: list[Callable[[], object]] = [
        lambda: project.record_progress(
            lead, first_milestone(project), percent=50, completed_on=None
        ),
        lambda: project.change_health(lead, "at_risk", "Supplier late"),
        lambda: project.add_member(lead, "cy", "Sales"),
        lambda: DeviationReport.report(
            lead, project, deviation="Slips", cause="Late", adjusted_strategy="Other supplier"
        ),
        lambda: meeting(project, lead),
        lambda: contact(project, member),
        lambda: Lead.submit(as_auditor(AUTHOR), "ACME", "Storage", "fair", Money(Decimal(1), CNY)),
    ]
    for command in refused:
        with pytest.raises(Forbidden, match="acting role"):
            command()


def test_a_milestone_turns_overdue_at_the_end_of_the_company_day() -> None:
    """In Asia/Shanghai a milestone due on 31 March is not overdue at 23:30 that day and is at
    00:30 on 1 April, though UTC still says 31 March then."""
    with company_time_zone("Asia/Shanghai") as zone:
        project = executing()
        milestone = first_milestone(project)
        late_evening = datetime(2027, 3, 31, 23, 30, tzinfo=zone).astimezone(UTC)
        after_midnight = datetime(2027, 4, 1, 0, 30, tzinfo=zone).astimezone(UTC)
        with pytest.raises(InvalidTransition, match="not due yet"):
            project.mark_milestone_overdue(milestone, late_evening)
        project.collect_events()
        project.mark_milestone_overdue(milestone, after_midnight)
        [overdue] = project.collect_events()
    assert isinstance(overdue, Project.MilestoneOverdue)
    assert after_midnight.date() == FIRST_DUE


def _milestone_overdue() -> Aggregate.Event:
    project = executing()
    project.mark_milestone_overdue(first_milestone(project), end_of(FIRST_DUE))
    return project.collect_events()[-1]


def _action_item_overdue() -> Aggregate.Event:
    project = executing()
    m = _minuted(project)
    [item_id] = m.action_items
    m.mark_action_item_overdue(project, item_id, end_of(m.action_items[item_id].due_date))
    return m.collect_events()[-1]


@pytest.mark.parametrize("overdue", [_milestone_overdue, _action_item_overdue])
def test_an_overdue_report_names_the_zone_whose_day_decided_it(
    overdue: Callable[[], Aggregate.Event],
) -> None:
    """Reported at Shanghai's midnight, still the due day in UTC: the event says whose day."""
    with company_time_zone("Asia/Shanghai"):
        event = overdue()
    public = CONTRACT.to_public(event)
    assert public is not None
    assert public.model_dump()["time_zone"] == "Asia/Shanghai"
    # Stored before it named its zone, it reads as UTC's, whose days decided it then.
    assert (type(event).class_version, type(event).upcast_v1_v2) == (2, decided_in_utc)
