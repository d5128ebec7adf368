"""Steps of the crm paths over HTTP, shared by the crm integration tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from .conftest import auth, unique
from .flows import ok

T = TypeVar("T")

CRM_TOPIC = "bizdev.crm.events.v1"


class CrmPeople:
    """A department of fresh people, so that each test's customers and complaints are its own."""

    def __init__(self) -> None:
        self.department = unique("dept")
        self.rep_id = unique("rep")
        self.rep = auth(self.rep_id, self.department, "employee")
        self.owner_id = unique("handler")
        self.owner = auth(self.owner_id, self.department, "employee")
        self.head_id = unique("head")
        self.head = auth(self.head_id, self.department, "employee", "department_head")
        self.manager = auth(unique("manager"), "management", "employee", "management")
        self.auditor = auth(unique("auditor"), "audit", "auditor")


def contact_body(position: str = "Purchasing manager") -> dict[str, str]:
    """A contact person whose personal data is unique to this call, so a search finds it only
    where this test put it."""
    tag = str(time.time_ns())
    return {
        "position": position,
        "name": f"Zhang Wei {tag}",
        "phone": f"+86 138 {tag[-8:-4]} {tag[-4:]}",
        "email": f"zhang.{tag}@acme.example",
    }


def customer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": unique("ACME Logistics"),
        "industry": "Logistics",
        "channel": "trade_show",
        "needs": "Stock tracking in three warehouses",
        "address": "1 Harbour Road, Shenzhen",
        "preferences": "Meetings in the morning",
        "contacts": [contact_body()],
    }
    body.update(overrides)
    return body


async def register(
    crm_http: httpx.AsyncClient, people: CrmPeople, **overrides: Any
) -> dict[str, Any]:
    r = await crm_http.post("/customers", json=customer_body(**overrides), headers=people.rep)
    return await ok(r, 201)


async def view(
    crm_http: httpx.AsyncClient, customer_id: str, version: int, headers: dict[str, str]
) -> dict[str, Any]:
    r = await crm_http.get(
        f"/customers/{customer_id}", params={"min_version": version}, headers=headers
    )
    return await ok(r)


def complaint_body(customer_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "channel": "phone",
        "severity": "high",
        "subject": "Late delivery",
        "description": "Three pallets arrived a week late",
    }
    body.update(overrides)
    return body


async def receive(
    crm_http: httpx.AsyncClient, people: CrmPeople, customer_id: str, **overrides: Any
) -> dict[str, Any]:
    r = await crm_http.post(
        "/complaints", json=complaint_body(customer_id, **overrides), headers=people.rep
    )
    return await ok(r, 201)


async def assigned(
    crm_http: httpx.AsyncClient, people: CrmPeople, customer_id: str, **overrides: Any
) -> str:
    complaint_id = str((await receive(crm_http, people, customer_id, **overrides))["id"])
    await ok(
        await crm_http.post(
            f"/complaints/{complaint_id}/assign",
            json={"owner": people.owner_id},
            headers=people.head,
        )
    )
    return complaint_id


def analysis(**overrides: Any) -> dict[str, Any]:
    """A complaint's closing analysis, confirmed on the service's today: made at each call, for
    a suite that runs past midnight confirms on the day it closes, not the day it started."""
    return {
        "cause": "delivery",
        "root_cause": "Carrier overbooked in the peak week",
        "corrective_action": "A second carrier under contract for peaks",
        "satisfaction": 4,
        "confirmed_by": "customer-care",
        "confirmation_channel": "phone",
        # The service's today, as long as no test moved its clock away from the day it runs.
        "confirmed_on": datetime.now(UTC).date().isoformat(),
        **overrides,
    }


async def closed(
    crm_http: httpx.AsyncClient, people: CrmPeople, customer_id: str, **overrides: Any
) -> dict[str, Any]:
    complaint_id = await assigned(crm_http, people, customer_id)
    steps = [
        ("respond", {"proposal": "Refund the freight"}),
        ("resolve", {"resolution": "Freight refunded"}),
        ("close", analysis(**overrides)),
    ]
    result: dict[str, Any] = {}
    for step, body in steps:
        result = await ok(
            await crm_http.post(
                f"/complaints/{complaint_id}/{step}", json=body, headers=people.owner
            )
        )
    return result


async def read_every_topic(bootstrap: str) -> list[ConsumerRecord]:
    """Every record of every topic but Kafka's own (`__*`), from the beginning to the end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [
            TopicPartition(t, p)
            for t in cluster.topics()
            if not t.startswith("__")
            for p in cluster.partitions_for_topic(t) or ()
        ]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            behind = [tp for tp in tps if await consumer.position(tp) < end[tp]]
            if not behind:
                return records
            batch = await consumer.getmany(*behind, timeout_ms=500)
            for recs in batch.values():
                records.extend(recs)
        raise TimeoutError("topics not read to their end within 60s")
    finally:
        await consumer.stop()
