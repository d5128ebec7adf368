"""Team, execution and deviation rules (REGULATIONS 3.2, 3.3) on the aggregates alone: no
database, no Kafka."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    NotFound,
    Role,
    RuleViolation,
)
from bizdev_projects.domain import (
    DeviationReport,
    DeviationState,
    HealthStatus,
    Project,
    ProjectOutcome,
    ProjectState,
    milestone_due_at,
)

from .scenes import (
    FIRST_DUE,
    LEAD,
    auditor,
    deviation,
    employee,
    executing,
    first_milestone,
    head,
    led,
    manager,
    names,
    opened,
    person,
)

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
