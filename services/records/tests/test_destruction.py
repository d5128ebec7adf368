"""Destruction lists and files' retention."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from bizdev_common.days import decided_in_utc
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Role, RuleViolation
from bizdev_records.domain import DestructionList, File, ListState, years_after
from bizdev_records.published import CONTRACT, FileRetentionExpired

ARCHIVIST = Actor("arc", "archives", frozenset({Role.ARCHIVIST, Role.MANAGEMENT}))
MANAGER = Actor("boss", "board", frozenset({Role.MANAGEMENT}))
TODAY = date(2026, 11, 28)


def test_a_list_is_carried_out_only_once_management_approved_it() -> None:
    listed = DestructionList.propose(ARCHIVIST, [uuid4()], "no further value", TODAY)
    with pytest.raises(InvalidTransition, match="approval"):
        listed.carry_out(ARCHIVIST, "witness", "shredded")
    with pytest.raises(Forbidden):
        listed.approve(ARCHIVIST)  # drew it up, whatever roles they hold
    listed.approve(MANAGER)
    assert listed.carry_out(ARCHIVIST, "witness", "shredded") == "boss"
    assert listed.state == ListState.CARRIED_OUT
    with pytest.raises(InvalidTransition):
        listed.carry_out(ARCHIVIST, "witness", "shredded")


def test_a_list_names_records_once_and_is_drawn_up_by_the_archivist() -> None:
    record = uuid4()
    with pytest.raises(RuleViolation):
        DestructionList.propose(ARCHIVIST, [record, record], "twice", TODAY)
    with pytest.raises(RuleViolation):
        DestructionList.propose(ARCHIVIST, [], "nothing", TODAY)
    with pytest.raises(Forbidden):
        DestructionList.propose(MANAGER, [record], "not mine to list", TODAY)


def test_retention_counts_from_the_end_of_active_life_and_expires_once() -> None:
    file = File(
        category="contract",
        subject_id=uuid4(),
        title="Contract HT-1",
        department="sales",
        source="crm.ContractSigned",
        opened_by=None,
    )
    assert not file.retention_over(date(2100, 1, 1))
    assert file.end_active_life(date(2026, 3, 1), "contract completed", 30)
    assert not file.end_active_life(date(2026, 4, 1), "terminated too", 30)
    assert file.retention_ends_on == date(2056, 3, 1)
    assert not file.retention_over(date(2056, 2, 29))
    with pytest.raises(InvalidTransition):
        file.retention_expired(date(2056, 2, 29), "UTC")
    file.retention_expired(date(2056, 3, 1), "Asia/Shanghai")
    # The day is the company's (the application's), in the zone the event names.
    expired = CONTRACT.to_public(file.collect_events()[-1])
    assert isinstance(expired, FileRetentionExpired)
    assert (expired.retention_ends_on, expired.time_zone) == (date(2056, 3, 1), "Asia/Shanghai")
    assert (File.RetentionExpired.class_version, File.RetentionExpired.upcast_v1_v2) == (
        2,
        decided_in_utc,
    )  # stored before it named its zone, it reads as UTC's, whose days decided it then
    with pytest.raises(InvalidTransition, match="already"):
        file.retention_expired(date(2056, 3, 2), "UTC")
    assert file.resume_active_life("back")
    assert file.retention_ends_on is None


def test_a_leap_day_retention_ends_on_the_28th() -> None:
    assert years_after(date(2028, 2, 29), 3) == date(2031, 2, 28)


def _campaign() -> File:
    return File.open_marketing(ARCHIVIST, uuid4(), "Trade fair 2019")


def test_a_file_closed_on_the_day_its_life_ended_years_ago_is_due_at_once() -> None:
    file = _campaign()
    file.close(ARCHIVIST, TODAY, "Backfile of the 2019 fair", 3, ended_on=date(2019, 10, 20))
    assert file.retention_ends_on == date(2022, 10, 20)
    assert file.retention_over(TODAY)
    [*_, ended] = file.collect_events()
    assert isinstance(ended, File.ActiveLifeEnded)
    assert ended.ended_on == date(2019, 10, 20)
    file.retention_expired(TODAY, "UTC")


def test_a_file_closed_today_keeps_its_records_for_the_whole_retention() -> None:
    file = _campaign()
    file.close(ARCHIVIST, TODAY, "Campaign over", 3, ended_on=TODAY)
    assert file.retention_ends_on == date(2029, 11, 28)
    assert not file.retention_over(TODAY)
    with pytest.raises(InvalidTransition):
        file.retention_expired(TODAY, "UTC")


def test_a_life_cannot_end_after_today() -> None:
    file = _campaign()
    with pytest.raises(RuleViolation) as refused:
        file.close(ARCHIVIST, TODAY, "Campaign over", 3, ended_on=date(2026, 11, 29))
    assert refused.value.field == "ended_on"
    assert file.ended_on is None
    assert file.retention_ends_on is None
