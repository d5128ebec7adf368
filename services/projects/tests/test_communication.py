"""Communication rules (REGULATIONS §6): meetings, minutes, action items and outside
contacts, on the aggregates alone."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    NotFound,
    RuleViolation,
)
from bizdev_projects.domain import (
    MeetingState,
    PlannedActionItem,
)

from .scenes import (
    FIRST_DUE,
    ITEMS,
    LEAD,
    auditor,
    contact,
    employee,
    executing,
    head,
    manager,
    meeting,
    names,
)

# --- communication (REGULATIONS §6) -----------------------------------------------------------


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
