"""Identification rounds (each asked department's head submits or declares none, once; a
late department flagged once) and review meetings (recorded by the risk officer, once held)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Role, RuleViolation
from bizdev_risk.domain import IdentificationRound, ReviewMeeting

OFFICER = Actor("rita", "risk", frozenset({Role.RISK_OFFICER}))
SALES_HEAD = Actor("hal", "sales", frozenset({Role.DEPARTMENT_HEAD}))
OPS_HEAD = Actor("oz", "ops", frozenset({Role.DEPARTMENT_HEAD}))
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def opened() -> IdentificationRound:
    return IdentificationRound.open(
        OFFICER,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        departments=["sales", "ops", "sales"],
        due_on=TODAY,
        today=TODAY,
    )


def test_only_the_risk_officer_opens_a_round_due_today_or_later() -> None:
    with pytest.raises(Forbidden):
        IdentificationRound.open(
            SALES_HEAD,
            period_start=TODAY,
            period_end=TODAY,
            departments=["sales"],
            due_on=TODAY,
            today=TODAY,
        )
    with pytest.raises(RuleViolation) as refused:
        IdentificationRound.open(
            OFFICER,
            period_start=TODAY,
            period_end=TODAY,
            departments=["sales"],
            due_on=date(2026, 3, 1),
            today=TODAY,
        )
    assert refused.value.field == "due_on"
    assert opened().departments == ["sales", "ops"]


def test_each_head_submits_once_for_their_own_department() -> None:
    r = opened()
    with pytest.raises(Forbidden):
        r.submit(OPS_HEAD, "sales", [uuid4()], False, NOW)
    with pytest.raises(RuleViolation):
        r.submit(SALES_HEAD, "sales", [uuid4()], True, NOW)  # both
    with pytest.raises(RuleViolation):
        r.submit(SALES_HEAD, "sales", [], False, NOW)  # neither
    with pytest.raises(RuleViolation):
        r.submit(SALES_HEAD, "legal", [], True, NOW)  # not asked
    r.submit(SALES_HEAD, "sales", [uuid4()], False, NOW)
    with pytest.raises(InvalidTransition):
        r.submit(SALES_HEAD, "sales", [], True, NOW)


def test_a_late_department_is_flagged_once_and_a_submitted_one_never() -> None:
    r = opened()
    r.submit(SALES_HEAD, "sales", [], True, NOW)
    with pytest.raises(InvalidTransition):
        r.overdue("ops", datetime(2026, 3, 2, 23, 59, tzinfo=UTC))  # due until the day ends
    r.overdue("ops", datetime(2026, 3, 3, tzinfo=UTC))
    with pytest.raises(InvalidTransition):
        r.overdue("ops", datetime(2026, 3, 4, tzinfo=UTC))
    with pytest.raises(InvalidTransition):
        r.overdue("sales", datetime(2026, 3, 4, tzinfo=UTC))
    r.submit(OPS_HEAD, "ops", [], True, datetime(2026, 3, 4, tzinfo=UTC))
    [*_, last] = r.collect_events()
    assert last.late is True  # type: ignore[attr-defined]


def test_a_review_meeting_is_recorded_by_the_risk_officer_once_held() -> None:
    args = {
        "title": "Q1 risk review",
        "attendees": ["rita", "hal", "rita"],
        "risk_ids": [uuid4()],
        "conclusions": "Credit risks rise",
        "actions": [{"action": "Tighten terms", "owner": "hal", "due_on": "2026-04-01"}],
        "today": TODAY,
    }
    with pytest.raises(Forbidden):
        ReviewMeeting.record(SALES_HEAD, held_on=TODAY, **args)  # type: ignore[arg-type]
    with pytest.raises(RuleViolation):
        ReviewMeeting.record(OFFICER, held_on=date(2026, 3, 3), **args)  # type: ignore[arg-type]
    meeting = ReviewMeeting.record(OFFICER, held_on=TODAY, **args)  # type: ignore[arg-type]
    assert meeting.attendees == ["rita", "hal"]
