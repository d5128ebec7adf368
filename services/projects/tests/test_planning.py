"""Business plan rules (REGULATIONS 3.1) and the lead's conversion (2.1) on the aggregates
alone: no database, no Kafka."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    Role,
    RuleViolation,
)
from bizdev_projects.domain import (
    BudgetLine,
    BusinessPlan,
    Lead,
    PlannedMilestone,
    PlanState,
    Project,
    ProjectApplication,
)

from .scenes import (
    AUTHOR,
    CNY,
    FINANCE_HEAD,
    FIRST_DUE,
    LEAD,
    SALES_HEAD,
    SECOND_DUE,
    approved,
    approved_application,
    auditor,
    content,
    drafted,
    employee,
    head,
    in_review,
    led,
    manager,
    names,
    opened,
    passed,
    person,
)

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
