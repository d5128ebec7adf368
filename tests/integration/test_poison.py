"""A poison message never stops a consumer: put straight on the topics with a Kafka client,
an event with NUL in its text (a valid public model that PostgreSQL refuses), one of a type
nobody knows and one of malformed JSON are each parked with their error, in the service's
`dead_letters` table and on its DLQ topic, the events after them are applied, and `/readyz`
says the service is degraded. A message that failed for a bug (simulated by a constraint that
refuses a valid change) is replayed from the command line after the fix, and applied once
however often it is replayed."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from bizdev_common.envelope import Envelope, ce_id, source_for
from bizdev_common.projector import STORE_PARTITION
from bizdev_crm.published import CustomerRegistered
from bizdev_projects.published import ProjectOpened

from .conftest import Infra, ServiceProcess, eventually, read_topic, unique
from .crm_flows import CrmPeople, contact_body, register, view
from .flows import People, approved, ok

CRM_TOPIC = "bizdev.crm.events.v1"
PROJECTS_TOPIC = "bizdev.projects.events.v1"


async def reserve_sequence(conn: asyncpg.Connection, service: str) -> int:
    """A position in the service's event log that no event will ever take, once its relay has
    published everything before it: what a relay would stamp on an event it published there,
    so the records we put on the topic keep `ce_sequence` growing within each partition."""
    table = f'"{service}".{service}_events'
    async with conn.transaction():
        # The event store's own lock: every insert that took a lower id has committed.
        await conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        before = await conn.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {table}")
        sequence: int = await conn.fetchval(
            "SELECT nextval(pg_get_serial_sequence($1, 'notification_id'))", table
        )
    await eventually(
        lambda: conn.fetchval(f'SELECT position FROM "{service}".outbox_position'),
        lambda position: position is not None and position >= before,
    )
    return sequence


def headers(service: str, ce_type: str, aggregate_id: uuid.UUID, sequence: int) -> Any:
    return Envelope(
        id=ce_id(aggregate_id, 1),
        source=source_for(service),
        type=ce_type,
        time=datetime.now(UTC),
        subject=str(aggregate_id),
        sequence=sequence,
        correlation_id=unique("poison"),
    ).headers({})


async def put(infra: Infra, topic: str, key: uuid.UUID, value: bytes, hdrs: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=str(key).encode(), headers=hdrs)
    finally:
        await producer.stop()


async def letters(conn: asyncpg.Connection, service: str, **where: Any) -> list[dict[str, Any]]:
    cond = " AND ".join(f"{k} = ${i}" for i, k in enumerate(where, start=1))
    rows = await conn.fetch(
        f'SELECT * FROM "{service}".dead_letters WHERE {cond} ORDER BY id', *where.values()
    )
    return [dict(r) for r in rows]


async def parked(conn: asyncpg.Connection, service: str, **where: Any) -> dict[str, Any]:
    [letter] = await eventually(lambda: letters(conn, service, **where))
    return letter


def cli(service: ServiceProcess, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / f"bizdev-{service.name}"
    return subprocess.run(
        [str(script), *args], env=service.env, capture_output=True, text=True, timeout=120
    )


async def on_dlq(infra: Infra, service: str, ce_ids: set[str]) -> dict[str, dict[str, str]]:
    def found(records: list[Any]) -> dict[str, dict[str, str]]:
        return {h["ce_id"]: h for h in map(headers_of_lenient, records) if h.get("ce_id") in ce_ids}

    records = await read_topic(
        infra.kafka_bootstrap,
        f"bizdev.{service}.dlq.v1",
        lambda rs: found(rs).keys() >= ce_ids,
    )
    return found(records)


def headers_of_lenient(record: Any) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in record.headers}


async def degraded(client: httpx.AsyncClient, at_least: int) -> dict[str, Any]:
    async def ready() -> httpx.Response:
        return await client.get("/readyz")

    response = await eventually(
        ready, lambda r: r.status_code == 200 and r.json().get("dead_letters", 0) >= at_least
    )
    body: dict[str, Any] = response.json()
    assert body["status"] == "degraded"
    assert body["ready"] is True
    return body


def nul_customer(people: CrmPeople, customer_id: uuid.UUID) -> CustomerRegistered:
    """A registration whose name holds a NUL, as no API of crm would accept: PostgreSQL
    refuses such text, so no view can store it."""
    return CustomerRegistered(
        aggregate_id=customer_id,
        version=1,
        occurred_at=datetime.now(UTC),
        by=people.rep_id,
        name="ACME\x00Logistics",
        industry="Logistics",
        channel="trade_show",
        owner=people.rep_id,
        department=people.department,
        address="",
        needs="Stock tracking",
        preferences="",
    )


async def test_poison_put_on_crms_topic_never_reaches_its_own_views(
    crm_http: httpx.AsyncClient, infra: Infra
) -> None:
    """crm's views read crm's event store, not its topic: whatever an outsider puts there (a
    NUL in a name, an unknown type, broken JSON) is for the other services' consumers to
    park (test_records_poison.py and the like); crm goes on."""
    people = CrmPeople()
    conn = await asyncpg.connect(infra.database_url)
    try:
        nul_id, unknown_id, broken_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        registered = f"bizdev.crm.{CustomerRegistered.__name__}.v1"
        nul = nul_customer(people, nul_id).model_dump_json()
        for key, value, ce_type in (
            (nul_id, nul.encode(), registered),
            (unknown_id, nul.replace(str(nul_id), str(unknown_id)).encode(), "bizdev.crm.X.v1"),
            (broken_id, b'{"aggregate_id": "' + str(broken_id).encode() + b'",', registered),
        ):
            sequence = await reserve_sequence(conn, "crm")
            await put(infra, CRM_TOPIC, key, value, headers("crm", ce_type, key, sequence))
        after = await register(crm_http, people)
        assert (await view(crm_http, after["id"], after["version"], people.rep))["customer"]["name"]
        assert not await conn.fetchval(
            'SELECT count(*) FROM "crm".customers WHERE id = ANY($1::uuid[])',
            [nul_id, unknown_id, broken_id],
        )
        assert not await letters(conn, "crm", ce_id=f"{nul_id}/1")
    finally:
        await conn.close()


async def test_a_projection_replays_a_parked_event_once_after_the_fix(
    crm: ServiceProcess, crm_http: httpx.AsyncClient, infra: Infra
) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    customer_id = customer["id"]
    await view(crm_http, customer_id, customer["version"], people.rep)
    conn = await asyncpg.connect(infra.database_url)
    constraint = f"poison_{uuid.uuid4().hex[:8]}"
    try:
        contacts = await conn.fetchval(
            'SELECT cardinality(contact_ids) FROM "crm".customers WHERE id = $1', customer_id
        )
        # The bug: the view refuses a valid change (here, one more contact for this customer).
        await conn.execute(
            f'ALTER TABLE "crm".customers ADD CONSTRAINT {constraint} '
            f"CHECK (id <> '{customer_id}'::uuid OR cardinality(contact_ids) <= {contacts})"
        )
        added = await ok(
            await crm_http.post(
                f"/customers/{customer_id}/contacts",
                json=contact_body("CFO"),
                headers=people.rep,
            ),
            201,
        )
        letter = await parked(
            conn, "crm", ce_id=f"{customer_id}/{added['version']}", handler="customers"
        )
        assert "check constraint" in letter["error"], letter["error"]
        # Parked by the own views' feed, from the event store: its partition, its position.
        assert (letter["kind"], letter["handler"], letter["consumer_group"]) == (
            "projection",
            "customers",
            "crm.customers",
        )
        stored_at = await conn.fetchval(
            'SELECT notification_id FROM "crm".crm_events '
            "WHERE originator_id = $1 AND originator_version = $2",
            uuid.UUID(customer_id),
            added["version"],
        )
        assert (letter["partition"], letter["kafka_offset"]) == (STORE_PARTITION, stored_at)
        body = await degraded(crm_http, 1)
        assert body["checks"] == {"postgresql": "ok", "views": "ok", "kafka": "ok"}
        worker_metrics = (await crm_http.get(f"{crm.worker.url}/metrics")).text
        assert 'bizdev_dead_letters_parked_total{consumer_group="crm.customers"}' in worker_metrics
        listing = cli(crm, "dlq", "list")
        assert listing.returncode == 0, listing.stderr
        rows = {r[0]: r for r in (line.split("\t") for line in listing.stdout.splitlines())}
        assert rows[str(letter["id"])][1:4:2] == ["parked", "projection:customers"]

        # Another record's events go on being applied.
        other = await register(crm_http, people)
        await view(crm_http, other["id"], other["version"], people.rep)

        await conn.execute(f'ALTER TABLE "crm".customers DROP CONSTRAINT {constraint}')  # the fix
        first = cli(crm, "dlq", "replay", str(letter["id"]))
        assert first.returncode == 0, first.stderr
        assert f"{letter['id']}: replayed" in first.stdout
        second = cli(crm, "dlq", "replay", str(letter["id"]))
        assert second.returncode == 0, second.stderr
        assert "replayed before" in second.stdout

        row = await conn.fetchrow(
            'SELECT version, cardinality(contact_ids) AS n FROM "crm".customers WHERE id = $1',
            customer_id,
        )
        assert (row["version"], row["n"]) == (added["version"], contacts + 1)
        whole = await view(crm_http, customer_id, added["version"], people.rep)
        assert len(whole["contacts"]) == contacts + 1
        [replayed] = await letters(conn, "crm", id=letter["id"])
        assert replayed["replayed_at"] is not None
    finally:
        await conn.execute(f'ALTER TABLE "crm".customers DROP CONSTRAINT IF EXISTS {constraint}')
        await conn.close()


def project_opened(customer_id: str, name: str, project_id: uuid.UUID) -> bytes:
    return (
        ProjectOpened(
            aggregate_id=project_id,
            version=1,
            occurred_at=datetime.now(UTC),
            by=unique("manager"),
            application_id=uuid.uuid4(),
            name=name,
            department=unique("dept"),
            applicant=unique("applicant"),
            expected_revenue={"amount": "1000.00", "currency": "CNY"},
            lead_id=None,
            customer_id=uuid.UUID(customer_id),
        )
        .model_dump_json()
        .encode()
    )


async def test_a_reaction_parks_poison_and_acts_on_what_follows(
    crm_http: httpx.AsyncClient, http: httpx.AsyncClient, infra: Infra
) -> None:
    people = CrmPeople()
    customer_id = (await register(crm_http, people))["id"]
    opened = f"bizdev.projects.{ProjectOpened.__name__}.v1"
    conn = await asyncpg.connect(infra.database_url)
    try:
        broken_id, bare_id, unknown_id, nul_id = (uuid.uuid4() for _ in range(4))
        await put(
            infra,
            PROJECTS_TOPIC,
            broken_id,
            b'{"aggregate_id": "' + str(broken_id).encode() + b'"',
            headers("projects", opened, broken_id, await reserve_sequence(conn, "projects")),
        )
        # Not CloudEvents at all: no headers.
        await put(infra, PROJECTS_TOPIC, bare_id, project_opened(customer_id, "Bare", bare_id), [])
        await put(
            infra,
            PROJECTS_TOPIC,
            unknown_id,
            project_opened(customer_id, "Unknown", unknown_id),
            headers(
                "projects",
                "bizdev.projects.ProjectTeleported.v1",
                unknown_id,
                await reserve_sequence(conn, "projects"),
            ),
        )
        await put(
            infra,
            PROJECTS_TOPIC,
            nul_id,
            project_opened(customer_id, "Smart\x00warehouse", nul_id),
            headers("projects", opened, nul_id, await reserve_sequence(conn, "projects")),
        )

        # What follows is acted on: a real project for the customer joins its dealings.
        decision = await approved(http, People(), customer_id=customer_id, title="Real one")

        async def dealings() -> list[str]:
            whole = await view(crm_http, customer_id, 1, people.rep)
            return [d["project_id"] for d in whole["dealings"]]

        await eventually(dealings, lambda d: decision["project_id"] in d, within=60)

        broken = await parked(conn, "crm", ce_id=f"{broken_id}/1", handler="dealings")
        assert broken["kind"] == "reaction"
        assert broken["consumer_group"] == "crm.dealings"
        assert "does not match its model" in broken["error"]
        bare = await parked(
            conn, "crm", handler="dealings", topic=PROJECTS_TOPIC, key=str(bare_id).encode()
        )
        assert "not a CloudEvents record" in bare["error"]
        assert bare["ce_id"] is None
        # On another service's topic a consumer models only what it reads: an unknown type
        # is none of its business.
        assert await letters(conn, "crm", ce_id=f"{unknown_id}/1") == []
        # A NUL projects should have refused crosses no further: the reaction refuses it at
        # the boundary types and parks it at once, recording no dealing of its own.
        nul = await parked(conn, "crm", ce_id=f"{nul_id}/1", handler="dealings")
        assert "refused at the boundary" in nul["error"]
        assert "name: must not contain the control character U+0000" in nul["error"]
        assert nul["attempts"] == 1
        assert not await conn.fetchval(
            'SELECT count(*) FROM "crm".crm_events WHERE originator_id = $1 '
            "AND topic LIKE '%DealingRecorded' AND position($2 in convert_from(state, 'UTF8')) > 0",
            uuid.UUID(customer_id),
            str(nul_id),
        )
        assert str(nul_id) not in await dealings()
        on_topic = await on_dlq(infra, "crm", {f"{broken_id}/1"})
        assert on_topic[f"{broken_id}/1"]["dlq_group"] == "crm.dealings"

        # projects' own views read its event store, not its topic: none of this reached them.
        assert await letters(conn, "projects", ce_id=f"{nul_id}/1") == []
        await degraded(crm_http, 3)
    finally:
        await conn.close()
