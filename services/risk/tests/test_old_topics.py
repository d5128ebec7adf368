"""Events stored before the indicators' module became five (issue 18) name the classes of the
alerts, subjects and indicator definitions in the module `bizdev_risk.domain.kri`
(`bizdev_risk.domain.kri:Alert.Breached`), and a record's first event names its aggregate's
class there too (`originator_topic`). Such events are written here the way the old code
stored them, through the service application's own mapper, and every record is read back
with today's code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import bizdev_risk.domain
from bizdev_common.domain import Actor, Role
from bizdev_common.stored_topics import aggregates_in, event_classes_of, reload_stored_in
from bizdev_risk.application import RiskApplication
from bizdev_risk.domain import (
    BUILT_IN,
    STORED_BEFORE_THE_SPLIT,
    Alert,
    Category,
    Kri,
    KriCatalogue,
    KriDefinition,
    Risk,
    Scope,
    Subject,
)
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, resolve_topic

OLD_MODULE = "bizdev_risk.domain.kri"
OFFICER = Actor("rita", "risk", frozenset({Role.RISK_OFFICER}))
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


class EmptyRisk(RiskApplication):
    """The service's application (its mapper, transcoder and transcodings) on the library's
    in-memory recorder, with nothing stored: not even the built-in indicators it seeds."""

    def __init__(self) -> None:
        Application.__init__(self, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def every_record() -> list[Aggregate]:
    """Every kind of record that moved, through every event it has."""
    complaints = BUILT_IN[0]
    kri = Kri(indicator=complaints.name, scope=complaints.scope.value, scope_id=uuid4())
    crossing = next(
        c
        for n in range(complaints.warning)
        for c in kri.observe(complaints, f"crm/{n}/1", T0 + timedelta(hours=n))
    )
    alert = Alert.raise_for(kri, complaints, crossing, risk_id=uuid4())
    alert.acknowledge(OFFICER, note="Seen")
    subject = Subject(scope_id=kri.scope_id, department=None)
    subject.note_department("sales")
    risk_id = uuid4()
    subject.risk_opened(risk_id, Category.MARKET)
    subject.risk_closed(risk_id)
    definition = KriDefinition.define(
        OFFICER,
        name="escalations_company_wide",
        title="Escalated complaints, company-wide",
        events=["ComplaintEscalated"],
        scope=Scope.COMPANY,
        category=Category.MARKET,
        window_days=30,
        warning=5,
        critical=10,
    )
    definition.revise(
        OFFICER,
        title="Escalated complaints",
        events=["ComplaintEscalated"],
        category=Category.OPERATIONAL,
        window_days=60,
        warning=4,
        critical=8,
    )
    catalogue = KriCatalogue()
    catalogue.add(definition.name)
    return [alert, subject, definition, catalogue]


def test_every_record_stored_under_the_old_module_loads() -> None:
    records = every_record()
    app = EmptyRisk()
    aggregates = set(STORED_BEFORE_THE_SPLIT.values()) & aggregates_in(bizdev_risk.domain)
    assert {type(r) for r in records} == aggregates
    stored_types = reload_stored_in(OLD_MODULE, app, records)
    every_kind = set().union(*(event_classes_of(a) for a in aggregates))
    assert stored_types == every_kind - {c for a in aggregates for c in (a.Event, a.Created)}


def test_every_aggregate_and_event_class_answers_to_its_old_topic() -> None:
    for cls in aggregates_in(bizdev_risk.domain) & set(STORED_BEFORE_THE_SPLIT.values()):
        for moved in {cls} | event_classes_of(cls):
            assert resolve_topic(f"{OLD_MODULE}:{moved.__qualname__}") is moved


def test_the_aggregates_that_stayed_keep_their_topics() -> None:
    """A risk's commands are split over a package and the indicators' module lost its other
    records, but the events of `Risk` and `Kri` stay declared in them, in the modules they
    were stored from."""
    for cls, module in ((Risk, "bizdev_risk.domain.risk"), (Kri, OLD_MODULE)):
        for kept in {cls} | event_classes_of(cls):
            assert get_topic(kept) == f"{module}:{kept.__qualname__}"
