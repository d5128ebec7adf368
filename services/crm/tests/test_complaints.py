"""Complaints (REGULATIONS 4.3) on the aggregate alone: the path from received to closed,
every transition the state machine refuses (409), the deadlines and their escalation, the
confirmation of satisfaction and the corrective actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from bizdev_common.days import company_time_zone, decided_in_utc, end_of
from bizdev_common.domain import (
    Forbidden,
    InvalidTransition,
    NotFound,
    RuleViolation,
)
from bizdev_crm.domain import (
    Complaint,
    ComplaintState,
)
from bizdev_crm.published import CONTRACT
from eventsourcing.domain import Aggregate

from .test_domain import (
    ALICE,
    ANALYSIS,
    CYCLE,
    OWNER,
    RECEIVED_AT,
    TODAY,
    assigned,
    auditor,
    closed,
    customer,
    employee,
    event_names,
    head,
    manager,
    received,
    resolved,
    responded,
)

# --- complaints: the path ---------------------------------------------------------------------


def test_complaint_path_with_a_second_proposal_to_closed() -> None:
    c = received()
    assert c.state == ComplaintState.RECEIVED
    assert c.department == "sales"
    assert c.response_due_at == RECEIVED_AT + timedelta(hours=8)
    c.assign(head(), owner="olga")
    assert (c.state, c.owner) == (ComplaintState.ASSIGNED, "olga")
    c.respond(OWNER, proposal="Discount on the next order")
    c.reopen(OWNER, reason="Wants the freight back, not a discount", now=RECEIVED_AT)
    assert c.state == ComplaintState.ASSIGNED
    c.respond(OWNER, proposal="Refund the freight")
    c.resolve(OWNER, resolution="Freight refunded")
    c.close(OWNER, **ANALYSIS)
    assert c.state == ComplaintState.CLOSED
    assert (c.cause, c.satisfaction, c.rounds) == ("delivery", 4, 2)
    assert event_names(c) == [
        "Received",
        "Assigned",
        "Responded",
        "Reopened",
        "Responded",
        "Resolved",
        "Closed",
    ]


@pytest.mark.parametrize(
    ("severity", "hours"), [("low", 72), ("medium", 24), ("high", 8), ("critical", 2)]
)
def test_response_deadline_is_set_by_severity(severity: str, hours: int) -> None:
    assert received(severity).response_due_at == RECEIVED_AT + timedelta(hours=hours)


def test_a_head_of_the_department_or_management_may_close() -> None:
    c = resolved()
    c.close(head(), **ANALYSIS)
    assert c.state == ComplaintState.CLOSED
    m = resolved()
    m.close(manager(), **ANALYSIS)
    assert m.state == ComplaintState.CLOSED


def test_an_unsatisfied_customer_reopens_even_a_resolved_complaint() -> None:
    c = resolved()
    c.reopen(OWNER, reason="The refund never arrived", now=RECEIVED_AT)
    assert (c.state, c.resolution) == (ComplaintState.ASSIGNED, None)


def test_owner_may_be_replaced_until_answered() -> None:
    c = assigned()
    c.assign(manager(), owner="pete")
    assert c.owner == "pete"
    with pytest.raises(RuleViolation) as same:
        c.assign(head(), owner="pete")
    assert same.value.field == "owner"


def test_contact_must_belong_to_the_customer() -> None:
    of = customer()
    contact_id = next(iter(of.contacts))
    c = received("low", of, channel="email", contact_id=contact_id)
    assert c.contact_id == contact_id
    with pytest.raises(RuleViolation) as stranger:
        received("low", of, channel="email", contact_id=uuid4())
    assert stranger.value.field == "contact_id"


# --- complaints: every refused transition (409) ----------------------------------------------

STATES: dict[str, Callable[[], Complaint]] = {
    "received": received,
    "assigned": assigned,
    "responded": responded,
    "resolved": resolved,
    "closed": closed,
}
COMMANDS: dict[str, Callable[[Complaint], None]] = {
    "assign": lambda c: c.assign(head(), owner="quinn"),
    "respond": lambda c: c.respond(OWNER, proposal="Another proposal"),
    "resolve": lambda c: c.resolve(OWNER, resolution="Accepted"),
    "reopen": lambda c: c.reopen(OWNER, reason="Not satisfied", now=RECEIVED_AT),
    "close": lambda c: c.close(head(), **ANALYSIS),
    "escalate": lambda c: c.escalate(RECEIVED_AT + timedelta(days=30)),
}
ALLOWED = {
    ("assign", "received"),
    ("assign", "assigned"),
    ("respond", "assigned"),
    ("resolve", "responded"),
    ("reopen", "responded"),
    ("reopen", "resolved"),
    ("close", "resolved"),
    ("escalate", "received"),
    ("escalate", "assigned"),
}
REFUSED = [(cmd, state) for cmd in COMMANDS for state in STATES if (cmd, state) not in ALLOWED]


@pytest.mark.parametrize(("command", "state"), REFUSED)
def test_refused_transition(command: str, state: str) -> None:
    complaint = STATES[state]()
    version = complaint.version
    with pytest.raises(InvalidTransition):
        COMMANDS[command](complaint)
    assert complaint.state == ComplaintState(state)
    assert complaint.version == version


@pytest.mark.parametrize(("command", "state"), sorted(ALLOWED))
def test_allowed_transition(command: str, state: str) -> None:
    complaint = STATES[state]()
    COMMANDS[command](complaint)
    assert complaint.version == STATES[state]().version + 1


def test_refusals_cover_every_command_in_every_state() -> None:
    assert len(REFUSED) + len(ALLOWED) == len(COMMANDS) * len(STATES)


# --- complaints: escalation ------------------------------------------------------------------


def test_escalation_only_once_the_deadline_passed() -> None:
    c = received("critical")
    due = RECEIVED_AT + timedelta(hours=2)
    with pytest.raises(InvalidTransition, match="not due"):
        c.escalate(due - timedelta(seconds=1))
    c.escalate(due)
    assert c.escalated_at == due
    [*_, escalated] = c.collect_events()
    assert isinstance(escalated, Complaint.Escalated)
    assert escalated.by is None
    assert escalated.response_due_at == due
    assert (escalated.deadline, escalated.level, escalated.due_at) == ("response", 1, due)
    assert (escalated.to_role, escalated.to_department) == ("department_head", "sales")
    assert escalated.next_escalation_at == due + timedelta(hours=2)
    with pytest.raises(InvalidTransition, match="not due until"):
        c.escalate(due + timedelta(hours=1))


def test_still_unanswered_after_as_long_again_it_goes_to_management_once() -> None:
    c = received("critical")
    due = RECEIVED_AT + timedelta(hours=2)
    c.escalate(due)
    c.escalate(due + timedelta(hours=2))
    [*_, second] = c.collect_events()
    assert isinstance(second, Complaint.Escalated)
    assert (second.level, second.to_role, second.to_department) == (2, "management", None)
    assert second.next_escalation_at is None
    with pytest.raises(InvalidTransition, match="already escalated to management"):
        c.escalate(due + timedelta(days=9))
    assert c.escalated_at == due  # the first escalation


def test_the_resolution_deadline_is_escalated_on_its_own_levels() -> None:
    c = responded()  # answered in time: the response deadline is met
    due = RECEIVED_AT + timedelta(hours=48)
    assert c.resolution_due_at == due
    with pytest.raises(InvalidTransition, match="answered"):
        c.escalate(due, "response")
    with pytest.raises(InvalidTransition, match="not due"):
        c.escalate(due - timedelta(seconds=1), "resolution")
    c.escalate(due, "resolution")
    c.escalate(due + timedelta(hours=48), "resolution")
    events = [e for e in c.collect_events() if isinstance(e, Complaint.Escalated)]
    levels = [(e.deadline, e.level, e.to_role) for e in events]
    assert levels == [("resolution", 1, "department_head"), ("resolution", 2, "management")]


def test_a_resolved_complaint_owes_no_resolution_until_reopened() -> None:
    c = resolved()
    due = RECEIVED_AT + timedelta(hours=48)
    with pytest.raises(InvalidTransition, match="resolved"):
        c.escalate(due, "resolution")
    c.reopen(OWNER, reason="The refund never arrived", now=RECEIVED_AT + timedelta(hours=10))
    [*_, reopened] = c.collect_events()
    assert isinstance(reopened, Complaint.Reopened)
    assert reopened.resolution_escalation_at == due
    c.escalate(due, "resolution")
    assert c.levels["resolution"] == 1


def test_escalated_complaint_is_still_answered_and_closed() -> None:
    c = received()
    c.escalate(RECEIVED_AT + timedelta(days=1))
    c.assign(head(), owner=OWNER.user_id)
    c.respond(OWNER, proposal="Refund")
    c.resolve(OWNER, resolution="Refunded")
    c.close(OWNER, **ANALYSIS)
    assert c.state == ComplaintState.CLOSED


def test_a_reopened_complaint_owes_a_new_answer_within_the_response_period() -> None:
    c = responded()
    reopened_at = RECEIVED_AT + timedelta(hours=20)
    c.reopen(OWNER, reason="Not enough", now=reopened_at)
    assert c.state == ComplaintState.ASSIGNED
    assert c.response_due_at == reopened_at + timedelta(hours=8)
    with pytest.raises(InvalidTransition, match="not due"):
        c.escalate(reopened_at + timedelta(hours=7))
    c.escalate(reopened_at + timedelta(hours=8))
    [*_, escalated] = c.collect_events()
    assert isinstance(escalated, Complaint.Escalated)
    assert (escalated.level, escalated.due_at) == (1, reopened_at + timedelta(hours=8))
    c.respond(OWNER, proposal="Full refund")
    with pytest.raises(InvalidTransition, match="answered"):
        c.escalate(reopened_at + timedelta(days=30))


def test_closing_records_who_confirmed_satisfaction_how_and_when() -> None:
    c = resolved()
    c.close(OWNER, **ANALYSIS)
    assert c.confirmation == ("olga", "phone", TODAY, None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("confirmed_by", None),
        ("confirmed_by", " "),
        ("confirmation_channel", None),
        ("confirmation_channel", "telepathy"),
        ("confirmed_on", None),
        ("confirmed_on", TODAY - timedelta(days=1)),  # before the complaint came in
        ("confirmed_on", TODAY + timedelta(days=1)),  # after today
        ("confirmed_with", uuid4()),  # not a contact of the customer
    ],
)
def test_closing_needs_the_confirmation(field: str, value: Any) -> None:
    c = resolved()
    with pytest.raises(RuleViolation) as refused:
        c.close(OWNER, **{**ANALYSIS, field: value})
    assert refused.value.field == field


def test_the_confirming_contact_is_one_of_the_customers() -> None:
    of = customer()
    contact_id = next(iter(of.contacts))
    c = resolved()
    c.close(OWNER, **ANALYSIS, confirmed_with=contact_id, contacts=of.contacts)
    assert c.confirmation == ("olga", "phone", TODAY, contact_id)


def test_corrective_actions_are_followed_up_until_done() -> None:
    c = resolved()
    with pytest.raises(RuleViolation) as past:
        c.add_corrective_action(
            OWNER, description="Second carrier", owner="pete", due_on=TODAY - timedelta(1),
            today=TODAY,
        )  # fmt: skip
    assert past.value.field == "due_on"
    due_on = TODAY + timedelta(days=7)
    action_id = c.add_corrective_action(
        OWNER, description="Second carrier", owner="pete", due_on=due_on, today=TODAY
    )
    c.close(OWNER, **ANALYSIS)  # closing does not end the follow-up of its actions
    end_of_due_day = datetime(due_on.year, due_on.month, due_on.day, tzinfo=UTC) + timedelta(1)
    with pytest.raises(InvalidTransition, match="due on"):
        c.corrective_action_overdue(action_id, end_of_due_day - timedelta(seconds=1))
    c.corrective_action_overdue(action_id, end_of_due_day)
    [*_, overdue] = c.collect_events()
    assert isinstance(overdue, Complaint.CorrectiveActionOverdue)
    assert (overdue.owner, overdue.due_on, overdue.by) == ("pete", due_on, None)
    with pytest.raises(InvalidTransition, match="already reported"):
        c.corrective_action_overdue(action_id, end_of_due_day + timedelta(days=3))
    with pytest.raises(Forbidden):
        c.complete_corrective_action(ALICE, action_id, outcome="Done", today=TODAY)
    c.complete_corrective_action(employee("pete"), action_id, outcome="Booked", today=TODAY)
    assert c.actions[action_id].done_on == TODAY
    with pytest.raises(InvalidTransition, match="already done"):
        c.complete_corrective_action(head(), action_id, outcome="Again", today=TODAY)
    with pytest.raises(InvalidTransition, match="done"):
        c.corrective_action_overdue(action_id, end_of_due_day + timedelta(days=9))
    with pytest.raises(NotFound):
        c.complete_corrective_action(head(), uuid4(), outcome="X", today=TODAY)


def _follow_up_overdue() -> Aggregate.Event:
    c = customer()
    assert c.next_visit_due_on is not None
    c.follow_up_overdue(end_of(c.next_visit_due_on), CYCLE)
    return c.collect_events()[-1]


def _corrective_action_overdue() -> Aggregate.Event:
    c = resolved()
    due_on = TODAY + timedelta(days=7)
    action_id = c.add_corrective_action(
        OWNER, description="Second carrier", owner="pete", due_on=due_on, today=TODAY
    )
    c.corrective_action_overdue(action_id, end_of(due_on))
    return c.collect_events()[-1]


@pytest.mark.parametrize("overdue", [_follow_up_overdue, _corrective_action_overdue])
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


def test_corrective_actions_follow_the_analysis_by_the_owner_or_the_head() -> None:
    with pytest.raises(InvalidTransition):
        responded().add_corrective_action(
            OWNER, description="X", owner="pete", due_on=TODAY, today=TODAY
        )
    with pytest.raises(Forbidden):
        resolved().add_corrective_action(
            ALICE, description="X", owner="pete", due_on=TODAY, today=TODAY
        )
    with pytest.raises(Forbidden):
        resolved().add_corrective_action(
            auditor(), description="X", owner="pete", due_on=TODAY, today=TODAY
        )
    resolved().add_corrective_action(
        manager(), description="X", owner="pete", due_on=TODAY, today=TODAY
    )


def test_escalation_needs_an_aware_time() -> None:
    with pytest.raises(RuleViolation):
        received().escalate(datetime(2027, 1, 1))
