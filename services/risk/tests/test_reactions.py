"""What the KRI reaction makes of upstream events: the indicator counted, a crossing's alert
and the risk it raises or is linked to, the department from the customer's record; nothing
for an event read again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from bizdev_common.domain import Actor, Role
from bizdev_common.envelope import Envelope
from bizdev_risk.application import RiskApplication
from bizdev_risk.domain import BUILT_IN, Alert, Category, Indicator, Kri, Risk, Scope, Subject
from bizdev_risk.reactions import KriReaction
from bizdev_risk.upstream import ComplaintReceived, CustomerRegistered, ReceivableOverdue
from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
OFFICER = Actor("rita", "risk", frozenset({Role.RISK_OFFICER}))


class Store(RiskApplication):
    """The reaction's view of the application: the records it finds, kept in memory."""

    def __init__(self) -> None:  # no event store
        self.records: dict[UUID, Aggregate] = {}

    def indicators(self) -> list[Indicator]:
        return list(BUILT_IN)

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        found = self.records.get(aggregate_id)
        return found if isinstance(found, cls) else None

    def react(self, event: Any) -> list[Aggregate]:
        envelope = Envelope("id", "src", "type", T0, str(event.aggregate_id), 1)
        changed = []
        for a in KriReaction().react(self, event, envelope):
            if a.collect_events():
                changed.append(a)
            self.records[a.id] = a
        return changed


def complaint(customer_id: UUID, at: datetime) -> ComplaintReceived:
    return ComplaintReceived(
        aggregate_id=uuid4(), version=1, occurred_at=at, customer_id=customer_id, department="sales"
    )


def test_a_crossing_raises_an_alert_and_a_risk_against_the_customer_by_id() -> None:
    app, customer = Store(), uuid4()
    assert [type(a) for a in app.react(complaint(customer, T0))] == [Kri]
    second = complaint(customer, T0 + timedelta(hours=1))
    changed = app.react(second)
    [alert] = [a for a in changed if isinstance(a, Alert)]
    [risk] = [a for a in changed if isinstance(a, Risk)]
    assert alert.risk_id == risk.id
    assert (risk.customer_id, risk.project_id, risk.department) == (customer, None, "sales")
    assert risk.raised_by is None
    assert app.react(second) == []  # read again: nothing new


def test_the_next_crossing_links_the_open_risk_and_a_closed_one_makes_a_new_one() -> None:
    app, customer = Store(), uuid4()
    for n in range(2):
        app.react(complaint(customer, T0 + timedelta(hours=n)))
    subject = app.find(Subject, Subject.create_id(customer))
    assert subject is not None
    first_risk = subject.open_risk(Category.MARKET)
    assert first_risk is not None
    # Critical (4 by default): linked to the same, open, risk.
    for n in range(2, 4):
        changed = app.react(complaint(customer, T0 + timedelta(hours=n)))
    [linked] = [a for a in changed if isinstance(a, Risk)]
    assert linked.id == first_risk
    assert len(linked.alerts) == 2

    linked.close(OFFICER, "Customer replaced its logistics partner")
    subject.risk_closed(linked.id)  # as the application does when it closes it
    # All four fall out of the 90 days; two more cross the warning threshold again.
    later = T0 + timedelta(days=100)
    app.react(complaint(customer, later))
    changed = app.react(complaint(customer, later + timedelta(hours=1)))
    [fresh] = [a for a in changed if isinstance(a, Risk)]
    assert fresh.id != first_risk
    alerts = [a for a in app.records.values() if isinstance(a, Alert)]
    assert len(alerts) == 3


def test_an_overdue_invoice_takes_the_department_from_the_customers_record() -> None:
    app, customer = Store(), uuid4()
    app.react(
        CustomerRegistered(aggregate_id=customer, version=1, occurred_at=T0, department="north")
    )
    overdue = ReceivableOverdue(
        aggregate_id=uuid4(), version=4, occurred_at=T0, customer_id=customer
    )
    changed = app.react(overdue)
    [risk] = [a for a in changed if isinstance(a, Risk)]
    assert (risk.department, risk.category.value) == ("north", "credit")
    # The company-wide indicator counted it too, below its threshold.
    company = [a for a in changed if isinstance(a, Kri) and a.indicator == "overdue_receivables"]
    assert [k.value for k in company] == [1]


def test_an_alert_links_the_open_risk_raised_by_hand_against_the_customer() -> None:
    app, customer = Store(), uuid4()
    head = Actor("hal", "sales", frozenset({Role.DEPARTMENT_HEAD}))
    by_hand = Risk.identify(
        head,
        category=Category.CREDIT,
        scope=Scope.CUSTOMER,
        project_id=None,
        customer_id=customer,
        department="sales",
        title="Slow payer",
        description="Pays a month late",
        cause="Cash flow",
    )
    subject = app.subject(customer)
    subject.risk_opened(by_hand.id, by_hand.category)
    for record in (by_hand, subject):
        record.collect_events()
        app.records[record.id] = record
    overdue = ReceivableOverdue(
        aggregate_id=uuid4(), version=4, occurred_at=T0, customer_id=customer
    )
    changed = app.react(overdue)
    assert [a.id for a in changed if isinstance(a, Risk)] == [by_hand.id]
    assert len(by_hand.alerts) == 1
