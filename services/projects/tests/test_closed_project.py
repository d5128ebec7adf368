"""A closed project refuses changes to it and to its records; overdue action items are
reported once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from bizdev_common.days import end_of
from bizdev_common.domain import (
    InvalidTransition,
    NotFound,
)
from bizdev_projects.domain import (
    BusinessPlan,
    DeviationReport,
    Meeting,
    Project,
    milestone_due_at,
)

from .scenes import (
    AUTHOR,
    FIRST_DUE,
    LEAD,
    SALES_HEAD,
    approved,
    closed,
    contact,
    content,
    deviation,
    drafted,
    employee,
    executing,
    first_milestone,
    led,
    manager,
    meeting,
    minuted,
    passed,
)

# --- a closed project refuses changes ---------------------------------------------------------


def test_an_overdue_action_item_is_reported_once() -> None:
    project = executing()
    m = minuted(project)
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
    m = minuted(project)
    [item_id] = m.action_items
    m.complete_action_item(employee("bo"), project, item_id)
    with pytest.raises(InvalidTransition, match="done"):
        m.mark_action_item_overdue(project, item_id, datetime(2027, 4, 1, tzinfo=UTC))


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
    return project, plan, deviation(project), minuted(project)


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
