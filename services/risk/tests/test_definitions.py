"""Key risk indicators as records the risk officer keeps (REGULATIONS 5.3, role table): the
built-in ones seeded once as version 1; defined and revised by the risk officer only; a
revision applies from then on, and every alert names the version that raised it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4, uuid5

import pytest
from bizdev_common.domain import Actor, Forbidden, InvalidTransition, Role, RuleViolation
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import VersionConflict
from bizdev_risk.application import RiskApplication
from bizdev_risk.domain import (
    BUILT_IN,
    Alert,
    Category,
    Kri,
    KriCatalogue,
    KriDefinition,
    Scope,
)
from bizdev_risk.reactions import KriReaction
from bizdev_risk.upstream import ComplaintReceived

OFFICER = Actor("rita", "risk", frozenset({Role.RISK_OFFICER}))
BOSS = Actor("bo", "management", frozenset({Role.MANAGEMENT}))
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
COMPLAINTS = "complaints_per_customer"


def test_the_built_in_indicators_are_seeded_once_as_version_1(app: RiskApplication) -> None:
    catalogue = app.load(KriCatalogue, KriCatalogue.create_id())
    assert catalogue.names == [i.name for i in BUILT_IN]
    assert [(i.version, i.warning) for i in app.indicators()] == [(1, i.warning) for i in BUILT_IN]
    assert all(d.by is None for d in app.definitions())
    app.seed_indicators()  # a restart, or another replica starting
    assert app.load(KriCatalogue, KriCatalogue.create_id()).version == catalogue.version
    assert [d.version for d in app.definitions()] == [1] * len(BUILT_IN)


def define(app: RiskApplication, actor: Actor = OFFICER, **changes: object) -> UUID:
    fields: dict[str, object] = {
        "name": "escalations_company_wide",
        "title": "Escalated complaints, company-wide",
        "events": ["ComplaintEscalated"],
        "scope": Scope.COMPANY,
        "category": Category.MARKET,
        "window_days": 30,
        "warning": 5,
        "critical": 10,
        **changes,
    }
    return app.define_indicator(actor, **fields).id  # type: ignore[arg-type]


def test_only_the_risk_officer_defines_an_indicator_and_only_a_sound_one(
    app: RiskApplication,
) -> None:
    with pytest.raises(Forbidden):
        define(app, BOSS)
    for changes, field in [
        ({"name": "Bad Name"}, "name"),
        ({"events": ["Invented"]}, "events.0"),
        ({"events": ["MilestoneOverdue"], "scope": Scope.CUSTOMER}, "events.0"),
        ({"events": ["ComplaintReceived", "ReceivableOverdue"]}, "events"),
        ({"warning": 3, "critical": 3}, "critical"),
        ({"window_days": 0}, "window_days"),
    ]:
        with pytest.raises(RuleViolation) as refused:
            define(app, **changes)
        assert refused.value.field == field
    definition_id = define(app)
    assert "escalations_company_wide" in [i.name for i in app.indicators()]
    assert app.load(KriDefinition, definition_id).by == OFFICER.user_id
    with pytest.raises(InvalidTransition):
        define(app, title="Again")


def revise(app: RiskApplication, version: int | None, warning: int, critical: int) -> int:
    return app.revise_indicator(
        OFFICER,
        COMPLAINTS,
        version,
        title="Complaints received from a customer",
        events=["ComplaintReceived"],
        category=Category.MARKET,
        window_days=90,
        warning=warning,
        critical=critical,
    ).version


def test_a_revision_is_the_next_version_by_the_risk_officer_from_the_version_read(
    app: RiskApplication,
) -> None:
    with pytest.raises(Forbidden):
        app.revise_indicator(
            BOSS,
            COMPLAINTS,
            1,
            title="t",
            events=["ComplaintReceived"],
            category=Category.MARKET,
            window_days=90,
            warning=1,
            critical=2,
        )
    assert revise(app, 1, 3, 6) == 2
    with pytest.raises(VersionConflict):
        revise(app, 1, 4, 8)  # read before the revision
    [found] = [i for i in app.indicators() if i.name == COMPLAINTS]
    assert (found.version, found.warning, found.critical) == (2, 3, 6)
    old = app.as_of(KriDefinition, KriDefinition.create_id(COMPLAINTS), version=1)
    assert (old.indicator.version, old.indicator.warning) == (1, 2)


def complain(app: RiskApplication, customer: UUID, hours: int) -> list[Alert]:
    event = ComplaintReceived(
        aggregate_id=uuid4(),
        version=1,
        occurred_at=T0 + timedelta(hours=hours),
        customer_id=customer,
        department="sales",
    )
    envelope = Envelope("id", "crm", "type", T0, str(event.aggregate_id), 1)
    changed = KriReaction().react(app, event, envelope)
    app.save(*changed)
    again = KriReaction().react(app, event, envelope)  # redelivered: nothing new
    assert not any(isinstance(a, Alert) for a in again)
    return [a for a in changed if isinstance(a, Alert)]


def breached(app: RiskApplication, alert: Alert) -> tuple[int, str, int, int]:
    """What the alert's event says: version, threshold, its value and the value reached."""
    e = next(iter(app.events.get(alert.id)))
    assert isinstance(e, Alert.Breached)
    return e.kri_definition_version, e.threshold, e.threshold_value, e.value


def test_a_tuned_threshold_decides_from_then_on_and_the_alert_names_its_version(
    app: RiskApplication,
) -> None:
    early, late = uuid4(), uuid4()
    assert complain(app, early, 0) == []  # 1: below version 1's warning (2)

    revise(app, 1, 1, 3)
    # Past the new warning already when it took effect: that crossing raised no alert then
    # and raises none now; the next event is judged by version 2 only.
    assert complain(app, early, 1) == []  # 2: past the warning, not yet critical
    [critical] = complain(app, early, 2)  # 3
    assert breached(app, critical) == (2, "critical", 3, 3)
    kri_id = Kri.create_id(COMPLAINTS, early)
    assert critical.id == uuid5(kri_id, "v2/critical/1")

    [first] = complain(app, late, 0)  # a customer new since: 1 is past version 2's warning
    assert breached(app, first) == (2, "warning", 1, 1)

    revise(app, 2, 5, 9)
    assert [complain(app, late, h) for h in range(1, 4)] == [[], [], []]
    [raised] = complain(app, late, 4)  # 5
    assert breached(app, raised) == (3, "warning", 5, 5)
    assert app.load(Kri, Kri.create_id(COMPLAINTS, late)).definition_version == 3


def test_version_1_alerts_keep_the_names_they_had(app: RiskApplication) -> None:
    customer = uuid4()
    complain(app, customer, 0)
    [alert] = complain(app, customer, 1)
    assert breached(app, alert) == (1, "warning", 2, 2)
    assert alert.id == uuid5(Kri.create_id(COMPLAINTS, customer), "warning/1")
