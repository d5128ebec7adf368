"""Throughput of the write path end to end, on a real PostgreSQL and Kafka: commands saved
per second, events the outbox relay publishes per second, and events the projector applies
per second (view update and tracking in one transaction per batch).

    make bench            # starts its own PostgreSQL and Kafka

Prints figures; asserts nothing. BENCH_EVENTS sets how many events (default 4000). With
DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS set it uses those, and the projector figure then
covers whatever the projects topic already holds."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer
from bizdev_common.domain import Actor, Money, Role
from bizdev_common.relay import OutboxRelay
from bizdev_common.settings import ServiceSettings
from bizdev_projects.application import ProjectsApplication
from bizdev_projects.contract import CONTRACT
from bizdev_projects.projections import ProjectsViews

ROOT = Path(__file__).resolve().parents[1]
EVENTS = int(os.environ.get("BENCH_EVENTS", "4000"))


async def run(database_url: str, bootstrap: str) -> None:
    schema = f"bench_{uuid4().hex[:6]}"
    settings = ServiceSettings(
        service="projects",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        db_schema=schema,
        relay_batch_size=500,
    )
    app = await asyncio.to_thread(ProjectsApplication, settings)
    actor = Actor("bench", "sales", frozenset({Role.EMPLOYEE}))

    def commands() -> float:
        start = time.perf_counter()
        for i in range(EVENTS // 2):
            result = app.draft_application(
                actor,
                title=f"Proposal {i}",
                background="b",
                target_customers="t",
                expected_revenue=Money(Decimal(1000), "CNY"),
                preliminary_plan="p",
                lead_id=None,
                customer_id=None,
            )
            app.submit_application(actor, result.id, None)
        return time.perf_counter() - start

    elapsed = await asyncio.to_thread(commands)
    print(
        f"commands   {EVENTS:>6} events  {EVENTS / elapsed:>8.0f} events/s  "
        f"({elapsed * 1000 / EVENTS:.2f} ms per event, one command per event, 1 thread)"
    )

    relay = OutboxRelay(app, CONTRACT, settings)
    stopping = asyncio.Event()
    start = time.perf_counter()
    task = asyncio.create_task(relay.run(stopping))
    while relay.published < EVENTS:  # noqa: ASYNC110 - the relay counts; nothing to await
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - start
    stopping.set()
    await task
    print(
        f"relay      {EVENTS:>6} events  {EVENTS / elapsed:>8.0f} events/s  "
        "(acks=all, idempotent, position recorded per batch of 500)"
    )

    consumer = AIOKafkaConsumer(
        CONTRACT.topic,
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records = []
    while True:
        batch = await consumer.getmany(timeout_ms=3000, max_records=5000)
        if not batch and records:
            break
        for recs in batch.values():
            records.extend(recs)
    await consumer.stop()
    views = ProjectsViews(schema)
    conn = await asyncpg.connect(database_url)
    try:
        await views.create(conn)
        start = time.perf_counter()
        applied = 0
        for i in range(0, len(records), 200):
            applied += await views.apply_batch(conn, records[i : i + 200])
        elapsed = time.perf_counter() - start
    finally:
        await conn.close()
    print(
        f"projector  {applied:>6} events  {applied / elapsed:>8.0f} events/s  "
        f"(batches of 200, one transaction each; {len(records)} records read)"
    )
    await asyncio.to_thread(app.close)


def main() -> None:
    url, bootstrap = os.environ.get("DATABASE_URL"), os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    started = []
    if not (url and bootstrap):
        sys.path.insert(0, str(ROOT / "deploy" / "local"))
        import launcher

        state = Path(tempfile.mkdtemp(prefix="bench-"))
        pg, kafka = launcher.Postgres(state), launcher.Kafka(state)
        pg.start()
        kafka.start()
        started = [kafka, pg]
        url, bootstrap = pg.url, kafka.bootstrap
    try:
        asyncio.run(run(url, bootstrap))
    finally:
        for process in started:
            process.stop()


if __name__ == "__main__":
    main()
