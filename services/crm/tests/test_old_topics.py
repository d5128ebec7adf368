"""Events stored before the domain became a package (issue 8) name their classes in the module
`bizdev_crm.domain` (`bizdev_crm.domain:Customer.Registered`), and a record's first event names
its aggregate's class there too (`originator_topic`). Such events are written here the way the
old code stored them, through the service application's own mapper and transcoder (sealed
personal data included), and every record is read back with today's code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import bizdev_crm.domain
from bizdev_common.domain import Actor, Money, Role
from bizdev_common.stored_topics import aggregates_in, event_classes_of, reload_stored_in
from bizdev_crm.application import CrmApplication
from bizdev_crm.domain import (
    STORED_BEFORE_THE_SPLIT,
    Complaint,
    ContactDetails,
    Customer,
    CustomerEvent,
    FollowUp,
)
from bizdev_crm.personal_data import CustomerKey
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic

OLD_MODULE = "bizdev_crm.domain"
KEY = CustomerKey.new()
RECEIVED_AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CYCLE: dict[str, int | None] = {"prospect": 30, "active": 30, "dormant": 90, "lost": None}


def person(user_id: str, department: str, *roles: Role) -> Actor:
    return Actor(user_id, department, frozenset(roles))


ALICE = person("alice", "sales", Role.EMPLOYEE)
OWNER = person("olga", "sales", Role.EMPLOYEE)
HEAD = person("bob", "sales", Role.EMPLOYEE, Role.DEPARTMENT_HEAD)
MANAGER = person("carol", "board", Role.EMPLOYEE, Role.MANAGEMENT)


class InMemoryCrm(CrmApplication):
    """The service's application (its mapper, transcoder and transcodings) on the library's
    in-memory recorder instead of PostgreSQL."""

    def __init__(self) -> None:
        Application.__init__(self, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def every_record() -> list[Aggregate]:
    """Every kind of record, through every event it has."""
    zhang = ContactDetails("Purchasing manager", "Zhang Wei", "+86 138 0000 1111", "zw@acme.cn")
    customer = Customer.register(
        ALICE,
        name="ACME Logistics",
        industry="Logistics",
        channel="trade_show",
        needs="Stock tracking",
        contacts=[zhang],
        seal=KEY.seal,
        visit_cycle=CYCLE,
        today=RECEIVED_AT.date(),
    )
    contact_id = customer.add_contact(ALICE, ContactDetails("CFO", "Li Na"), KEY.seal)
    customer.change_contact(ALICE, contact_id, ContactDetails("CEO", "Li Na"), KEY.seal)
    customer.update_file(ALICE, preferences="Mornings")
    proposal_id = customer.offer_proposal(
        ALICE, title="Pilot", description="One site", value=Money(Decimal("250000.00"), "CNY")
    )
    customer.record_proposal_outcome(
        ALICE, proposal_id=proposal_id, outcome="declined", notes="Later"
    )
    customer.record_dealing(
        by="carol",
        project_id=uuid4(),
        project_name="Smart warehouse",
        department="sales",
        application_id=uuid4(),
    )
    customer.erase_personal_data(MANAGER, reason="Asked by the customer")
    customer.change_status(
        ALICE, status="active", reason="", today=RECEIVED_AT.date(), visit_cycle=CYCLE
    )
    customer.reassign_owner(HEAD, owner=OWNER.user_id, reason="Alice moves to export")
    customer.follow_up_overdue(RECEIVED_AT + timedelta(days=40), CYCLE)
    visit = FollowUp.schedule(ALICE, customer, due_on=date(2026, 12, 1), purpose="Quarterly")
    visit.record_outcome(ALICE, visited_on=date(2026, 12, 1), satisfaction=5, notes="Happy")
    customer.record_visit(
        by=ALICE.user_id, follow_up_id=visit.id, visited_on=date(2026, 12, 1), visit_cycle=CYCLE
    )
    cancelled_visit = FollowUp.schedule(ALICE, customer, due_on=date(2026, 12, 2), purpose="Q")
    cancelled_visit.cancel(ALICE, reason="Moved")
    seminar = CustomerEvent.plan(
        ALICE, kind="industry_seminar", title="Logistics 2027", held_on=date(2027, 3, 1), venue="HQ"
    )
    seminar.invite(ALICE, customer)
    seminar.record_attendance(ALICE, customer_id=customer.id, attended=True)
    seminar.cancel(ALICE, reason="Moved online")
    complaint = Complaint.receive(
        ALICE,
        customer,
        channel="phone",
        severity="high",
        subject="Late delivery",
        description="Three pallets arrived a week late",
        received_at=RECEIVED_AT,
        response_hours={"low": 72, "medium": 24, "high": 8, "critical": 2},
        resolution_hours={"low": 240, "medium": 120, "high": 48, "critical": 24},
    )
    complaint.escalate(RECEIVED_AT + timedelta(days=1))
    complaint.assign(HEAD, owner=OWNER.user_id)
    complaint.respond(OWNER, proposal="Discount")
    complaint.reopen(OWNER, reason="Wants a refund", now=RECEIVED_AT + timedelta(days=1))
    complaint.respond(OWNER, proposal="Refund")
    complaint.resolve(OWNER, resolution="Refunded")
    complaint.close(
        OWNER,
        cause="delivery",
        root_cause="Carrier overbooked",
        corrective_action="Second carrier",
        satisfaction=4,
        confirmed_by=OWNER.user_id,
        confirmation_channel="phone",
        confirmed_on=RECEIVED_AT.date() + timedelta(days=2),
        today=RECEIVED_AT.date() + timedelta(days=2),
    )
    action_id = complaint.add_corrective_action(
        OWNER, description="Book a second carrier", owner="pete", due_on=date(2026, 12, 15),
        today=RECEIVED_AT.date() + timedelta(days=2),
    )  # fmt: skip
    complaint.corrective_action_overdue(action_id, datetime(2026, 12, 16, tzinfo=UTC))
    complaint.complete_corrective_action(
        HEAD, action_id, outcome="Second carrier booked", today=date(2026, 12, 17)
    )
    return [customer, visit, cancelled_visit, seminar, complaint]


def test_every_record_stored_under_the_old_module_loads() -> None:
    records = every_record()
    # The records that existed before the split; later ones (contracts) never had old topics.
    aggregates = {
        c for c in STORED_BEFORE_THE_SPLIT.values() if c in aggregates_in(bizdev_crm.domain)
    }
    assert {type(r) for r in records} == aggregates
    app = InMemoryCrm()
    stored_types = reload_stored_in(OLD_MODULE, app, records)
    every_kind = set().union(*(event_classes_of(a) for a in aggregates))
    assert stored_types == every_kind - {c for a in aggregates for c in (a.Event, a.Created)}


def test_every_aggregate_and_event_class_answers_to_its_old_topic() -> None:
    for cls in aggregates_in(bizdev_crm.domain) & set(STORED_BEFORE_THE_SPLIT.values()):
        for moved in {cls} | event_classes_of(cls):
            assert resolve_topic(f"{OLD_MODULE}:{moved.__qualname__}") is moved
