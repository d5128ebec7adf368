"""Re-planning (REGULATIONS 3.1, 3.3): a deviation acknowledged with re-planning opens the
plan's next revision; on the aggregates alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

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
    DeviationState,
    PlannedMilestone,
    PlanState,
    Project,
    milestone_due_at,
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
    auditor,
    content,
    deviation,
    drafted,
    first_milestone,
    head,
    in_review,
    led,
    line_ids,
    manager,
    opened,
    passed,
    person,
    replanning,
)

# --- re-planning (REGULATIONS 3.1, 3.3) -------------------------------------------------------


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
