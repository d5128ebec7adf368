"""Kill -9 under load, and Kafka stopped under load: every command that was answered 2xx has
its event in the store, once on the topic (after de-duplication by ce_id) and once in the
views; those whose answer was lost converge the same way; the notification log keeps no hole
where an append was cut off.

A projects instance of its own (own schema, own broker), so that killing it and stopping its
broker disturbs nothing else. Killing "the service" is killing both its processes, the API in
the middle of commands and the worker in the middle of publishing and projecting."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from .conftest import Collector, Infra, ServiceProcess, auth, eventually, read_topic, unique
from .reliability import TOPIC, in_views, lead, on_topic, stored

SCHEMA = f"projects_kill_{time.time_ns() % 10**9}"
WORKERS = 6


@pytest.fixture(scope="module")
def svc(own_kafka: Infra, logs: Path, collector: Collector) -> Iterator[ServiceProcess]:
    service = ServiceProcess("projects", own_kafka, logs, collector.endpoint, db_schema=SCHEMA)
    service.start()
    yield service
    service.stop()


@dataclass
class Load:
    tag: str
    kill_after: int | None = None
    midway: asyncio.Event = field(default_factory=asyncio.Event)
    sent: int = 0
    answered: list[str] = field(default_factory=list)
    failed: int = 0
    restarted: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once a killed service answers again (at once when nothing kills it)."""

    def __post_init__(self) -> None:
        if self.kill_after is None:
            self.restarted.set()


async def steady(svc: ServiceProcess, load: Load, total: int) -> None:
    """`total` commands from a few clients at a steady pace; a client that gets no answer
    waits a little, as a real one would, and for a killed service to be back (restarting takes
    longer on a busy machine than the commands left would last), then moves on to its next
    command."""
    headers = auth(unique("rep"), "sales", "employee")
    async with httpx.AsyncClient(timeout=10) as http:

        async def client() -> None:
            while load.sent < total:
                load.sent += 1
                if load.sent == load.kill_after:
                    load.midway.set()
                try:
                    r = await http.post(
                        f"{svc.url}/leads", json=lead(f"{load.tag}-{load.sent}"), headers=headers
                    )
                except httpx.HTTPError:
                    load.failed += 1
                    await asyncio.sleep(0.5)
                    if load.midway.is_set():
                        await load.restarted.wait()
                    continue
                if r.status_code == 201:
                    load.answered.append(r.json()["id"])
                else:
                    load.failed += 1
                await asyncio.sleep(0.02)

        await asyncio.gather(*(client() for _ in range(WORKERS)))


async def every_stored(infra: Infra, tag: str) -> set[str]:
    """Every record the load created, whether or not its client saw the answer."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        rows = await conn.fetch(
            f'SELECT originator_id::text AS id FROM "{SCHEMA}".projects_events '
            "WHERE originator_version = 1 AND convert_from(state, 'UTF8') LIKE $1",
            f"%{tag}-%",
        )
    finally:
        await conn.close()
    return {r["id"] for r in rows}


async def notification_ids(infra: Infra) -> tuple[int, int, int]:
    """How many notification ids the event store holds, its lowest and its highest."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, min(notification_id) AS low, max(notification_id) AS high "
            f'FROM "{SCHEMA}".projects_events'
        )
    finally:
        await conn.close()
    assert row is not None
    return row["n"], row["low"], row["high"]


async def converged(infra: Infra, load: Load) -> dict[str, int]:
    """Checks store, topic and views for the load's records; returns the counts."""
    answered = set(load.answered)
    assert len(answered) == len(load.answered)
    in_store = await stored(infra.database_url, SCHEMA, answered)
    assert set(in_store) == answered, "a command answered 2xx is missing from the store"
    assert set(in_store.values()) == {1}
    everything = await every_stored(infra, load.tag)
    assert answered <= everything

    records = await read_topic(
        infra.kafka_bootstrap,
        TOPIC,
        lambda rs: set(on_topic(rs, everything)) == everything,
        within=120,
    )
    topic = on_topic(records, everything)
    assert set(topic.values()) == {1}, "one record, one event: one ce_id on the topic"
    views = await eventually(
        lambda: in_views(infra.database_url, SCHEMA, everything),
        lambda v: set(v) == everything,
        within=120,
    )
    assert set(views.values()) == {1}
    # Ids are unique (an index): n of them from 1 to n are 1..n, a log with no hole.
    n, low, high = await notification_ids(infra)
    assert n >= len(everything)
    assert (low, high) == (1, n), f"{n} notification ids from {low} to {high}"
    counts = {
        "sent": load.sent,
        "2xx": len(answered),
        "no answer": load.failed,
        "stored": len(everything),
        "on topic": len(topic),
        "in views": len(views),
        "notification ids": n,
    }
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return counts


async def test_kill_9_under_load_loses_and_duplicates_nothing(
    svc: ServiceProcess, own_kafka: Infra
) -> None:
    total = 300
    load = Load(unique("kill"), kill_after=total // 3)

    async def kill_midway() -> None:
        await load.midway.wait()
        svc.stop(signal.SIGKILL)  # the API and the worker
        await asyncio.to_thread(svc.start)
        load.restarted.set()

    await asyncio.gather(steady(svc, load, total), kill_midway())
    counts = await converged(own_kafka, load)
    assert counts["no answer"] > 0, "the kill should have cut some commands off"
    assert counts["2xx"] > total // 3


async def test_commands_succeed_while_kafka_is_stopped_and_everything_converges(
    svc: ServiceProcess, own_kafka: Infra
) -> None:
    assert own_kafka.kafka is not None
    load = Load(unique("outage"))
    own_kafka.kafka.stop()
    stopped_at = time.monotonic()
    try:
        await steady(svc, load, 60)
        assert load.failed == 0, "commands must not need Kafka"
        async with httpx.AsyncClient(base_url=svc.url, timeout=10) as http:
            ready = await eventually(
                lambda: http.get("/readyz"),
                lambda r: r.json()["checks"]["kafka"] != "ok",
                within=30,
            )
        assert ready.json()["checks"]["postgresql"] == "ok"
        await asyncio.sleep(max(0.0, 10 - (time.monotonic() - stopped_at)))
    finally:
        own_kafka.kafka.start()
    await converged(own_kafka, load)
    async with httpx.AsyncClient(base_url=svc.url, timeout=10) as http:
        await eventually(
            lambda: http.get("/readyz"),
            lambda r: r.json()["checks"]["kafka"] == "ok",
            within=60,
        )
