"""Complaints (REGULATIONS 4.3): who may act (403), checked before the state (409) and the
content (422); what receiving and closing a complaint need."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from bizdev_common.domain import (
    Forbidden,
    InvalidTransition,
    RuleViolation,
)
from bizdev_crm.domain import (
    Complaint,
    ComplaintState,
)

from .test_domain import (
    ALICE,
    ANALYSIS,
    OWNER,
    RECEIVED_AT,
    SOLVE_HOURS,
    TODAY,
    assigned,
    auditor,
    closed,
    customer,
    follow_up,
    head,
    manager,
    received,
    resolved,
    responded,
)

# --- complaints: who may act (403), checked before state (409) and content (422) ------------


def test_only_the_head_of_the_customers_department_or_management_assigns() -> None:
    for who in (ALICE, OWNER, head("hank", "marketing"), auditor()):
        with pytest.raises(Forbidden):
            received().assign(who, owner="olga")


def test_only_the_owner_responds_resolves_and_reopens() -> None:
    with pytest.raises(Forbidden):
        assigned().respond(head(), proposal="Refund")
    with pytest.raises(Forbidden):
        responded().resolve(ALICE, resolution="Done")
    with pytest.raises(Forbidden):
        responded().reopen(manager(), reason="No", now=RECEIVED_AT)


def test_close_by_someone_else_is_forbidden() -> None:
    for who in (ALICE, head("hank", "marketing"), auditor()):
        with pytest.raises(Forbidden):
            resolved().close(who, **ANALYSIS)


def test_without_an_owner_there_is_nobody_to_respond_yet() -> None:
    with pytest.raises(InvalidTransition, match="without an owner"):
        received().respond(OWNER, proposal="Refund")


def test_an_auditor_named_to_a_record_still_changes_nothing() -> None:
    audrey = auditor()
    complaint = received()
    complaint.assign(head(), owner=audrey.user_id)
    with pytest.raises(Forbidden):
        complaint.respond(audrey, proposal="Refund")
    visit = follow_up(visitor=audrey.user_id)
    with pytest.raises(Forbidden):
        visit.record_outcome(audrey, visited_on=date(2026, 12, 1), satisfaction=3, notes="X")
    kept = customer(owner=audrey.user_id)
    with pytest.raises(Forbidden):
        kept.update_file(audrey, needs="Nothing")


def test_auditor_cannot_record_a_complaint() -> None:
    with pytest.raises(Forbidden):
        received("low", by=auditor(), subject="", description="")


def test_who_is_checked_before_state_and_state_before_content() -> None:
    with pytest.raises(Forbidden):
        closed().assign(ALICE, owner="")
    with pytest.raises(InvalidTransition):
        responded().close(
            OWNER,
            cause=None,
            root_cause=None,
            corrective_action=None,
            satisfaction=None,
            confirmed_by=None,
            confirmation_channel=None,
            confirmed_on=None,
            today=TODAY,
        )


# --- complaints: closing needs the analysis and the satisfaction (422) ------------------------


@pytest.mark.parametrize(
    ("missing", "value"),
    [
        ("cause", None),
        ("cause", "bad_luck"),
        ("root_cause", None),
        ("root_cause", " "),
        ("corrective_action", None),
        ("corrective_action", ""),
        ("satisfaction", None),
        ("satisfaction", 0),
        ("satisfaction", 6),
    ],
)
def test_closing_needs_root_cause_analysis_and_satisfaction(missing: str, value: Any) -> None:
    c = resolved()
    with pytest.raises(RuleViolation) as refused:
        c.close(OWNER, **{**ANALYSIS, missing: value})
    assert refused.value.field == missing
    assert c.state == ComplaintState.RESOLVED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("channel", "fax"),
        ("severity", "urgent"),
        ("subject", ""),
        ("description", "  "),
    ],
)
def test_receiving_refuses_bad_content(field: str, value: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        received(**{field: value})
    assert refused.value.field == field


def test_receiving_needs_a_configured_deadline_and_an_aware_time() -> None:
    with pytest.raises(RuleViolation) as unconfigured:
        received("critical", response_hours={"low": 72})
    assert unconfigured.value.field == "severity"
    with pytest.raises(RuleViolation, match="resolution deadline") as early:
        received("critical", resolution_hours={**SOLVE_HOURS, "critical": 1})
    assert early.value.field == "severity"
    with pytest.raises(RuleViolation) as naive:
        received("low", received_at=datetime(2026, 11, 27, 9))
    assert naive.value.field == "received_at"


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (lambda c: c.respond(OWNER, proposal=" "), "proposal"),
        (lambda c: c.assign(head(), owner=""), "owner"),
    ],
)
def test_answers_and_owners_must_be_given(command: Callable[[Complaint], None], field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        command(assigned())
    assert refused.value.field == field


def test_resolution_and_reopening_reasons_must_be_given() -> None:
    with pytest.raises(RuleViolation) as no_resolution:
        responded().resolve(OWNER, resolution="")
    assert no_resolution.value.field == "resolution"
    with pytest.raises(RuleViolation) as no_reason:
        responded().reopen(OWNER, reason="", now=RECEIVED_AT)
    assert no_reason.value.field == "reason"
