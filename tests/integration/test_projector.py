"""The projector: a redelivered or re-published event changes nothing, and a projector
killed mid-batch and restarted ends with the same view as one that never stopped; a view
rebuilt from the beginning of the topic is the same again."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from bizdev_projects.projections import PROJECTIONS, TABLES

from .conftest import Infra, ServiceProcess, by_subject, eventually, read_topic
from .flows import REVIEW, People, draft, ok

TOPIC = "bizdev.projects.events.v1"


async def _rows(conn: asyncpg.Connection, schema: str, table: str) -> list[dict[str, Any]]:
    # Not every view is keyed by an `id` (team members, deadlines): the order of all columns
    # is one order for every table.
    rows = [dict(r) for r in await conn.fetch(f'SELECT * FROM "{schema}".{table}')]
    return sorted(rows, key=repr)


async def test_republished_events_change_nothing(http: httpx.AsyncClient, infra: Infra) -> None:
    people = People()
    app_id = (await draft(http, people))["id"]
    await ok(await http.post(f"/applications/{app_id}/submit", headers=people.applicant))
    await ok(await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head))
    await ok(
        await http.get(
            f"/applications/{app_id}", params={"min_version": 3}, headers=people.applicant
        )
    )

    records = await read_topic(
        infra.kafka_bootstrap, TOPIC, lambda rs: len(by_subject(rs, app_id)) >= 3
    )
    conn = await asyncpg.connect(infra.database_url)
    try:
        before = await conn.fetchrow('SELECT * FROM "projects".applications WHERE id = $1', app_id)
        # What a relay restarted before recording its position does: publish them again.
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
        await producer.start()
        try:
            sent = [
                await (await producer.send(TOPIC, r.value, key=r.key, headers=list(r.headers)))
                for r in by_subject(records, app_id)
            ]
        finally:
            await producer.stop()
        partition, last_offset = sent[-1].partition, sent[-1].offset

        # Wait until the projector got past the re-published records.
        await eventually(
            lambda: conn.fetchval(
                'SELECT kafka_offset FROM "projects".projection_tracking '
                "WHERE projection = 'applications' AND topic = $1 AND partition = $2",
                TOPIC,
                partition,
            ),
            lambda tracked: tracked is not None and tracked >= last_offset,
        )
        after = await conn.fetchrow('SELECT * FROM "projects".applications WHERE id = $1', app_id)
        assert dict(after) == dict(before)
        assert after["state"] == "department_reviewed"
    finally:
        await conn.close()


async def test_killed_projector_converges_and_a_rebuild_gives_the_same_view(
    http: httpx.AsyncClient,
    infra: Infra,
    start_service: Callable[..., ServiceProcess],
) -> None:
    people = People()

    async def one(i: int) -> None:
        app_id = (await draft(http, people, title=f"Load {i}"))["id"]
        await ok(await http.post(f"/applications/{app_id}/submit", headers=people.applicant))

    for chunk in range(0, 150, 15):
        await asyncio.gather(*(one(i) for i in range(chunk, chunk + 15)))

    # A second copy of the views, in its own schema and consumer group, that we kill -9 while
    # it works through the topic in small batches: a worker alone, its relay off.
    replica = start_service(
        "projects",
        roles=("worker",),
        db_schema="projects_replica",
        relay_enabled="false",
        projector_batch_size="10",
    )
    for delay in (0.3, 0.5, 0.4, 0.7):
        await asyncio.sleep(delay)
        replica.stop(signal.SIGKILL)
        replica.start()

    conn = await asyncpg.connect(infra.database_url)
    try:
        await _converged(conn)
        replica.stop()
        for make in PROJECTIONS:
            await make("projects_replica").reset(conn)
        assert await conn.fetchval('SELECT count(*) FROM "projects_replica".applications') == 0
        replica.start()
        await _converged(conn)
    finally:
        await conn.close()
        replica.stop()


async def _converged(conn: asyncpg.Connection, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    while True:
        diff = []
        for table in TABLES:
            if await _rows(conn, "projects", table) != await _rows(conn, "projects_replica", table):
                diff.append(table)
        if not diff:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"views still differ in {diff}")
        await asyncio.sleep(0.5)
