"""What goes on the wire and into the store: money, the CloudEvents envelope, the public
contract, and the metadata saved with each stored event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from bizdev_common import context
from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from bizdev_common.domain import Money, RuleViolation
from bizdev_common.envelope import Envelope, ce_id
from bizdev_common.eventstore import META_KEY, MetaTranscoder, MoneyAsDict
from bizdev_common.readmodel import ListQuery, Page, Total
from eventsourcing.domain import Aggregate, event


def test_money_is_exact_and_never_mixes_currencies() -> None:
    assert Money(Decimal("0.1"), "CNY") + Money(Decimal("0.2"), "CNY") == Money(
        Decimal("0.3"), "CNY"
    )
    with pytest.raises(RuleViolation) as mixed:
        Money(Decimal(1), "CNY") + Money(Decimal(1), "USD")
    assert mixed.value.field == "currency"
    with pytest.raises(RuleViolation):
        Money(Decimal("NaN"), "CNY")
    with pytest.raises(RuleViolation):
        Money(Decimal(1), "cny")


def test_money_on_the_wire_is_a_fixed_point_string() -> None:
    dumped = MoneyModel(amount=Decimal("5E+4"), currency="CNY").model_dump_json()
    assert json.loads(dumped) == {"amount": "50000", "currency": "CNY"}
    with pytest.raises(ValueError, match=r"[Dd]ecimal"):
        MoneyModel.model_validate({"amount": "ten", "currency": "CNY"})


def test_envelope_headers_round_trip() -> None:
    aggregate = uuid4()
    env = Envelope(
        id=ce_id(aggregate, 3),
        source="/bizdev/x",
        type="bizdev.x.Thing.v1",
        time=datetime(2026, 11, 27, 10, tzinfo=UTC),
        subject=str(aggregate),
        sequence=42,
        correlation_id="c",
        causation_id="request:1",
    )
    headers = env.headers({"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"})
    assert dict(headers)["ce_specversion"] == b"1.0"
    assert Envelope.from_headers(headers) == env
    with pytest.raises(ValueError, match="CloudEvents"):
        Envelope.from_headers([("ce_id", b"x")])


class Customer(Aggregate):
    class Registered(Aggregate.Created):
        name: str
        phone: str

    @event(Registered)
    def __init__(self, name: str, phone: str) -> None:
        self.name = name
        self.phone = phone


class CustomerRegistered(PublicEvent):
    name: str


def test_contract_publishes_only_declared_fields() -> None:
    contract = EventContract("crm", {Customer.Registered: CustomerRegistered})
    customer = Customer(name="ACME", phone="+86 555 0100")
    [registered] = customer.collect_events()
    public = contract.to_public(registered)
    assert isinstance(public, CustomerRegistered)
    assert "phone" not in public.model_dump_json()
    assert contract.topic == "bizdev.crm.events.v1"
    assert contract.ce_type(CustomerRegistered) == "bizdev.crm.CustomerRegistered.v1"
    parsed = contract.parse("bizdev.crm.CustomerRegistered.v1", public.model_dump_json().encode())
    assert parsed == public


def test_stored_events_carry_correlation_but_aggregates_never_see_it() -> None:
    transcoder = MetaTranscoder()
    transcoder.register(MoneyAsDict())
    with context.caused_by("corr-1", "event-9"):
        data = transcoder.encode({"timestamp": "t", "amount": Money(Decimal(1), "CNY")})
    assert json.loads(data)[META_KEY]["correlation_id"] == "corr-1"
    assert json.loads(data)[META_KEY]["causation_id"] == "event-9"
    assert transcoder.decode(data) == {"timestamp": "t", "amount": Money(Decimal(1), "CNY")}


def test_list_query_refuses_unknown_sort_and_filter() -> None:
    q = ListQuery("t", filters=["state"], sorts=["title"], text=["title"], default_sort="title")
    with pytest.raises(RuleViolation) as bad:
        q._sort("-secret")
    assert bad.value.field == "sort"
    assert q._sort("-title") == ("-title", "title", "DESC")
    assert q._sort(None) == ("title", "title", "ASC")


def test_a_list_orders_its_tie_breaker_with_its_column_and_brings_its_indexes() -> None:
    q = ListQuery(
        "t",
        filters=["state", "title"],
        sorts=["title"],
        text=["title", "notes"],
        default_sort="title",
    )
    ddl = q.indexes("s", '"public".gin_trgm_ops')
    assert 'CREATE INDEX IF NOT EXISTS t_sort_title ON "s".t (title, id)' in ddl
    assert 'CREATE INDEX IF NOT EXISTS t_filter_state ON "s".t (state)' in ddl
    # The search index is on the very expression the query searches.
    assert any(q.search_text in d and "gin_trgm_ops" in d for d in ddl)
    # Without pg_trgm the list still works; its searches scan.
    assert not any("gin" in d for d in q.indexes("s", None))


def test_a_page_says_when_its_total_is_an_estimate() -> None:
    assert Page[int](items=[], total=Total(5), limit=20, offset=0).total_estimated is False
    page = Page[int](items=[], total=Total(1_234_567, estimated=True), limit=20, offset=0)
    assert page.total_estimated is True
    assert page.model_dump() == {
        "items": [],
        "total": 1_234_567,
        "total_estimated": True,
        "limit": 20,
        "offset": 0,
        "next_cursor": None,
    }
    assert Page[int](items=[], total=3, limit=20, offset=0).total_estimated is False
