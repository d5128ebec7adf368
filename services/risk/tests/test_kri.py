"""Key risk indicators: counted in the upstream events' time over a rolling window; one alert
per crossing (up, down, up: two), none for an event read again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Role
from bizdev_risk.domain import Alert, Band, Category, Indicator, Kri, Scope
from bizdev_risk.settings import RiskSettings

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
COMPLAINTS = Indicator(
    "complaints_per_customer",
    1,
    "Complaints",
    "crm",
    ("ComplaintReceived",),
    Scope.CUSTOMER,
    Category.MARKET,
    window_days=30,
    warning=2,
    critical=3,
)


def kri() -> Kri:
    return Kri(indicator=COMPLAINTS.name, scope="customer", scope_id=uuid4())


def test_a_value_counts_each_upstream_event_once() -> None:
    k = kri()
    assert k.observe(COMPLAINTS, "crm/a/1", T0) == []
    assert k.observe(COMPLAINTS, "crm/a/1", T0) == []  # redelivered
    assert k.value == 1


def test_up_down_up_is_two_crossings_and_two_alerts() -> None:
    k = kri()
    k.observe(COMPLAINTS, "crm/a/1", T0)
    [first] = k.observe(COMPLAINTS, "crm/b/1", T0 + timedelta(days=1))
    assert first.band is Band.WARNING
    assert first.value == 2
    assert first.cause == "crm/b/1"
    # Both fall out of the window; the next complaint counts alone: below the threshold.
    assert k.observe(COMPLAINTS, "crm/c/1", T0 + timedelta(days=40)) == []
    assert k.value == 1
    assert k.band is Band.NORMAL
    [second] = k.observe(COMPLAINTS, "crm/d/1", T0 + timedelta(days=41))
    assert second.band is Band.WARNING
    assert second.alert_id != first.alert_id
    [critical] = k.observe(COMPLAINTS, "crm/e/1", T0 + timedelta(days=42))
    assert critical.band is Band.CRITICAL
    assert k.observe(COMPLAINTS, "crm/f/1", T0 + timedelta(days=43)) == []  # still past it


def test_staying_past_a_threshold_is_no_new_crossing() -> None:
    k = kri()
    crossings = [
        c for n in range(2) for c in k.observe(COMPLAINTS, f"crm/{n}/1", T0 + timedelta(hours=n))
    ]
    assert len(crossings) == 1
    assert k.observe(COMPLAINTS, "crm/0/1", T0 + timedelta(hours=5)) == []


def test_the_same_events_in_another_order_name_the_same_alerts() -> None:
    scope = uuid4()
    keys = [(f"crm/{n}/1", T0 + timedelta(days=n)) for n in range(3)]
    first = Kri(indicator=COMPLAINTS.name, scope="customer", scope_id=scope)
    second = Kri(indicator=COMPLAINTS.name, scope="customer", scope_id=scope)
    one = [c.alert_id for key, at in keys for c in first.observe(COMPLAINTS, key, at)]
    two = [c.alert_id for key, at in reversed(keys) for c in second.observe(COMPLAINTS, key, at)]
    assert one == two
    assert len(one) == 2


def test_an_event_older_than_the_window_counts_no_more() -> None:
    k = kri()
    k.observe(COMPLAINTS, "crm/new/1", T0 + timedelta(days=60))
    assert k.observe(COMPLAINTS, "crm/old/1", T0) == []
    assert k.value == 1


def test_the_window_expires_at_the_events_own_time_by_the_deadline_check() -> None:
    k = kri()
    k.observe(COMPLAINTS, "crm/a/1", T0)
    [first] = k.observe(COMPLAINTS, "crm/b/1", T0 + timedelta(days=10))
    assert not k.expire(COMPLAINTS, T0 + timedelta(days=29))
    assert k.expire(COMPLAINTS, T0 + timedelta(days=35))
    assert k.value == 1
    assert k.band is Band.NORMAL
    measured = [e for e in k.collect_events() if type(e).__name__ == "Measured"]
    assert measured[-1].at == T0 + timedelta(days=30)  # when it fell out, not when checked
    assert measured[-1].next_expiry_at == T0 + timedelta(days=40)
    # Crossing again after the fall is a second crossing.
    [again] = k.observe(COMPLAINTS, "crm/c/1", T0 + timedelta(days=36))
    assert again.band is Band.WARNING
    assert again.alert_id != first.alert_id


def test_an_alert_stays_active_until_the_risk_officer_acknowledges_it() -> None:
    k = kri()
    k.observe(COMPLAINTS, "crm/a/1", T0)
    [c] = k.observe(COMPLAINTS, "crm/b/1", T0)
    alert = Alert.raise_for(k, COMPLAINTS, c, uuid4())
    assert alert.id == c.alert_id
    for other in (
        Actor("au", "audit", frozenset({Role.AUDITOR})),
        Actor("bo", "management", frozenset({Role.MANAGEMENT})),
    ):
        with pytest.raises(Forbidden):
            alert.acknowledge(other, "seen")
    officer = Actor("rita", "risk", frozenset({Role.RISK_OFFICER}))
    alert.acknowledge(officer, "Called the customer")
    with pytest.raises(InvalidTransition):
        alert.acknowledge(officer, "again")


def test_settings_refuse_level_boundaries_that_do_not_rise() -> None:
    with pytest.raises(ValueError, match="rise"):
        RiskSettings(service="risk", level_high_from=4)


def test_the_deadline_check_running_ahead_of_late_events_changes_no_crossing() -> None:
    scope = uuid4()
    in_order = Kri(indicator=COMPLAINTS.name, scope="customer", scope_id=scope)
    in_order.observe(COMPLAINTS, "crm/a/1", T0)
    expected = in_order.observe(COMPLAINTS, "crm/b/1", T0 + timedelta(days=1))

    # A fresh risk months later: the window's deadline fires before the next event is read.
    replayed = Kri(indicator=COMPLAINTS.name, scope="customer", scope_id=scope)
    replayed.observe(COMPLAINTS, "crm/a/1", T0)
    assert replayed.expire(COMPLAINTS, T0 + timedelta(days=200))
    assert replayed.value == 0
    found = replayed.observe(COMPLAINTS, "crm/b/1", T0 + timedelta(days=1))
    assert [c.alert_id for c in found] == [c.alert_id for c in expected]
    assert found[0].at == T0 + timedelta(days=1)
    assert replayed.value == 1  # as of day 30, when the first left; the second leaves next
    assert replayed.expire(COMPLAINTS, T0 + timedelta(days=200))
    assert replayed.value == 0


def test_a_late_event_counts_in_its_own_time_and_crossings_are_raised_once() -> None:
    k = kri()
    k.observe(COMPLAINTS, "crm/a/1", T0)
    k.observe(COMPLAINTS, "crm/c/1", T0 + timedelta(days=100))
    [late] = k.observe(COMPLAINTS, "crm/b/1", T0 + timedelta(days=2))
    assert (late.band, late.value, late.cause) == (Band.WARNING, 2, "crm/b/1")
    assert k.value == 1  # the value shown is the latest time's
    assert k.crossings == {"warning": 1, "critical": 0}
    assert k.observe(COMPLAINTS, "crm/d/1", T0 + timedelta(days=101)) != []  # a second one
    assert k.crossings["warning"] == 2
