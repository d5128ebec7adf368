"""Every aggregate of the service replayed from its stored events and published in its
public form; an acting role whatever the relation to the record; overdue reports name the
zone whose day decided them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
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
    Role,
)
from bizdev_common.eventstore import DateAsISO, MoneyAsDict
from bizdev_projects.domain import (
    DeviationReport,
    Lead,
    PlanState,
    Project,
    milestone_due_at,
)
from bizdev_projects.published import CONTRACT
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder
from pydantic import TypeAdapter

from .scenes import (
    AUTHOR,
    CNY,
    FINANCE_HEAD,
    FIRST_DUE,
    ITEMS,
    LEAD,
    SALES_HEAD,
    approved_application,
    contact,
    content,
    deviation,
    drafted,
    employee,
    executing,
    first_milestone,
    in_review,
    led,
    manager,
    meeting,
    minuted,
    passed,
    person,
)

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
    m = minuted(project)
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
    m = minuted(project)
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
