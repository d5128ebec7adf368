"""Failover: two instances of projects (each an API and a worker) on one schema; the worker
whose relay leads is frozen with SIGSTOP (its kernel still answers TCP for it); the other
worker takes over within 30 s with the default lease. When the frozen one wakes, it cannot
move the relay's position, and the views hold every record once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from .conftest import Collector, Infra, ServiceProcess, auth, eventually, read_topic, unique
from .reliability import TOPIC, in_views, lead, on_topic

SCHEMA = f"projects_failover_{time.time_ns() % 10**9}"
RELAY = f"bizdev-relay:{SCHEMA}"


async def relay_leader(database_url: str) -> int | None:
    """The PostgreSQL backend holding the relay's lock, if any."""
    conn = await asyncpg.connect(database_url)
    try:
        pid: int | None = await conn.fetchval(
            "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1",
            RELAY,
        )
        return pid
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def pair(
    own_kafka: Infra, logs: Path, collector: Collector
) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    first = ServiceProcess("projects", own_kafka, logs, collector.endpoint, db_schema=SCHEMA)
    second = ServiceProcess("projects", own_kafka, logs, collector.endpoint, db_schema=SCHEMA)
    first.start()
    try:
        # The first one started alone, so it leads; then its standby joins.
        asyncio.run(eventually(lambda: relay_leader(own_kafka.database_url), within=30))
        second.start()
        yield first, second
    finally:
        for svc in (first, second):
            if svc.worker.proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(svc.worker.proc.pid, signal.SIGCONT)
            svc.stop()


@contextlib.asynccontextmanager
async def watching_position(database_url: str) -> AsyncIterator[list[int]]:
    """Samples the relay's recorded position all along."""
    seen: list[int] = []
    conn = await asyncpg.connect(database_url)

    async def sample() -> None:
        while True:
            seen.append(await conn.fetchval(f'SELECT position FROM "{SCHEMA}".outbox_position'))
            await asyncio.sleep(0.2)

    task = asyncio.create_task(sample())
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await conn.close()


async def create_leads(svc: ServiceProcess, tag: str, n: int) -> set[str]:
    headers = auth(unique("rep"), "sales", "employee")
    ids: set[str] = set()
    async with httpx.AsyncClient(base_url=svc.url, timeout=10) as http:
        for i in range(n):
            r = await http.post("/leads", json=lead(f"{tag}-{i}"), headers=headers)
            assert r.status_code == 201, r.text
            ids.add(r.json()["id"])
    return ids


async def published(infra: Infra, ids: set[str], within: float) -> dict[str, int]:
    records = await read_topic(
        infra.kafka_bootstrap, TOPIC, lambda rs: set(on_topic(rs, ids)) == ids, within=within
    )
    return on_topic(records, ids)


async def test_a_frozen_relay_leader_is_replaced_within_30_s_and_corrupts_nothing(
    pair: tuple[ServiceProcess, ServiceProcess], own_kafka: Infra
) -> None:
    first, second = pair
    frozen = first.worker.proc  # the process that leads the relay
    assert frozen is not None
    url = own_kafka.database_url
    async with watching_position(url) as positions:
        before = await create_leads(first, unique("before"), 5)
        await published(own_kafka, before, within=60)
        frozen_leader = await relay_leader(url)

        os.kill(frozen.pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        during = await create_leads(second, unique("during"), 10)
        await published(own_kafka, during, within=40)
        took_over = time.monotonic() - frozen_at
        new_leader = await relay_leader(url)
        print(f"the standby published {took_over:.1f} s after the leader froze")
        assert took_over < 30
        assert new_leader is not None
        assert new_leader != frozen_leader

        os.kill(frozen.pid, signal.SIGCONT)
        # Awake, it finds its session ended and stands by; its API's commands still count.
        after = await create_leads(first, unique("after"), 5)
        every = before | during | after
        topic = await published(own_kafka, every, within=60)
        assert set(topic.values()) == {1}
        assert await relay_leader(url) == new_leader

        views = await eventually(
            lambda: in_views(url, SCHEMA, every), lambda v: set(v) == every, within=60
        )
        assert set(views.values()) == {1}
        conn = await asyncpg.connect(url)
        try:
            last = await conn.fetchval(
                f'SELECT max(notification_id) FROM "{SCHEMA}".projects_events'
            )
        finally:
            await conn.close()
        await eventually(lambda: positions[-1], lambda p: p >= last, within=10)
    assert positions == sorted(positions), "the relay's position went backwards"
