"""Sections relay, projector and consumers: the worker's path from the event store to the
views, each beside the bare client library doing the same."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import uuid4

from bench_base import (
    BODY,
    SCHEMA,
    Figure,
    Infra,
    Report,
    Sizes,
)
from faststream.kafka.annotations import KafkaMessage

# --- relay and projector ---------------------------------------------------------------------


async def fill_event_store(settings: Any, n: int) -> Any:
    from bizdev_common.domain import Actor, Money, Role
    from bizdev_projects.application import ProjectsApplication

    app = await asyncio.to_thread(ProjectsApplication, settings)
    actor = Actor("bench", "sales", frozenset({Role.EMPLOYEE}))

    def draft(count: int) -> None:
        for _ in range(count):
            app.draft_application(
                actor,
                title=BODY["title"],
                background=BODY["background"],
                target_customers=BODY["target_customers"],
                expected_revenue=Money(Decimal(BODY["expected_revenue"]["amount"]), "CNY"),
                preliminary_plan=BODY["preliminary_plan"],
                lead_id=None,
                customer_id=None,
            )

    threads = 8
    await asyncio.gather(*(asyncio.to_thread(draft, n // threads) for _ in range(threads)))
    return app


async def partitions_of(consumer: Any, topic: str) -> list[Any]:
    from aiokafka import TopicPartition

    await consumer._client.add_topic(topic)  # fetches its metadata, if the topic exists
    return [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]


async def end_offsets(bootstrap: str, topic: str) -> dict[Any, int]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = await partitions_of(consumer, topic)
        return dict(await consumer.end_offsets(tps)) if tps else {}
    finally:
        await consumer.stop()


async def read_records(bootstrap: str, topic: str, start: dict[Any, int], n: int) -> list[Any]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await partitions_of(consumer, topic)
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, start.get(tp, 0))
        records: list[Any] = []
        deadline = time.monotonic() + 60
        while len(records) < n and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def section_pipeline(report: Report, infra: Infra, sizes: Sizes) -> None:
    from aiokafka import AIOKafkaProducer
    from bizdev_common import topics
    from bizdev_common.observability import setup_tracing
    from bizdev_common.relay import OutboxRelay
    from bizdev_common.settings import ServiceSettings
    from bizdev_projects.published import CONTRACT

    # As the worker runs it: the SDK's tracer provider makes every span, exported or not.
    setup_tracing("projects", "worker")
    n = sizes.pipeline_events
    settings = ServiceSettings(
        service="projects",
        database_url=infra.database_url,
        kafka_bootstrap_servers=infra.bootstrap,
        db_schema=SCHEMA,
    )
    app = await fill_event_store(settings, n)
    # Created beforehand, as a worker does before its relay publishes: no producer's time
    # includes a topic's creation, and all three have the service's partitions.
    bare_topic = f"bench.bare.{SCHEMA}"
    await topics.ensure(settings, [CONTRACT.topic, bare_topic, f"{bare_topic}.c"])
    before = await end_offsets(infra.bootstrap, CONTRACT.topic)

    relay = OutboxRelay(app, CONTRACT, settings)
    stopping = asyncio.Event()
    start = time.perf_counter()
    task = asyncio.create_task(relay.run(stopping))
    while relay.published < n:  # noqa: ASYNC110 - the relay counts; nothing to await
        await asyncio.sleep(0.002)
    relay_seconds = time.perf_counter() - start
    stopping.set()
    await task
    await asyncio.to_thread(app.close)

    records = await read_records(infra.bootstrap, CONTRACT.topic, before, n)
    records.sort(key=lambda r: int(dict(r.headers)["ce_sequence"]))

    producer = AIOKafkaProducer(
        bootstrap_servers=infra.bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        client_id="bench-bare",
    )
    start = time.perf_counter()
    await producer.start()
    for i in range(0, len(records), settings.relay_batch_size):
        acks = [
            await producer.send(bare_topic, value=r.value, key=r.key, headers=list(r.headers))
            for r in records[i : i + settings.relay_batch_size]
        ]
        await asyncio.gather(*acks)
    bare_seconds = time.perf_counter() - start
    await producer.stop()
    relay_rate, bare_rate = n / relay_seconds, len(records) / bare_seconds
    c_rate = bare_librdkafka(infra.bootstrap, f"{bare_topic}.c", records, settings.relay_batch_size)
    batches = f"batches of {settings.relay_batch_size}, acks=all, idempotent, linger 5 ms"
    report.add(
        Figure(
            "relay",
            f"outbox relay (librdkafka), {n} events",
            relay_rate,
            "events/s",
            "bare confluent-kafka producer (librdkafka), the same records",
            c_rate,
            ">= 10,000/s and >= 50% of bare",
            relay_rate >= 10_000 and relay_rate >= 0.5 * c_rate,
            note=batches,
        )
    )
    report.add(
        Figure(
            "relay",
            f"outbox relay (librdkafka), {n} events",
            relay_rate,
            "events/s",
            "bare aiokafka producer, the same records",
            bare_rate,
            note=f"{batches}; aiokafka was the relay's producer before",
        )
    )
    report.add(
        Figure(
            "relay",
            "bare confluent-kafka producer (librdkafka, in C), the same records",
            c_rate,
            "events/s",
            "bare aiokafka producer",
            bare_rate,
            note="same settings, murmur2 partitioner",
        )
    )

    # Its own views: the service sections' projector builds the service schema's.
    await section_projector(report, infra, f"{SCHEMA}_views", settings, records)
    await section_consumers(report, infra, records)


def bare_librdkafka(bootstrap: str, topic: str, records: list[Any], batch: int) -> float:
    """Events/s of a bare librdkafka producer with the relay's settings (producer.py) sending
    the records in the relay's batches: each batch waits for every acknowledgement."""
    from confluent_kafka import Producer

    failed: list[Any] = []

    def delivered(error: Any, _: Any) -> None:
        if error is not None:
            failed.append(error)

    start = time.perf_counter()
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "partitioner": "murmur2_random",  # Kafka's Java client's, as aiokafka's
            "client.id": "bench-bare-c",
        }
    )
    for i in range(0, len(records), batch):
        for r in records[i : i + batch]:
            producer.produce(topic, r.value, r.key, headers=list(r.headers), on_delivery=delivered)
        producer.flush()
    seconds = time.perf_counter() - start
    if failed:
        raise RuntimeError(f"librdkafka: {len(failed)} records not delivered: {failed[0]}")
    return len(records) / seconds


async def section_projector(
    report: Report, infra: Infra, schema: str, settings: Any, records: list[Any]
) -> None:
    import asyncpg
    from bizdev_projects.projections.applications import Applications

    batch = settings.projector_batch_size
    # The applications' family: the records are applications, its rows what bare writes.
    views = Applications(schema)
    conn = await asyncpg.connect(infra.database_url)
    try:
        await views.create(conn)
        start = time.perf_counter()
        applied = 0
        for i in range(0, len(records), batch):
            applied += await views.apply_batch(conn, records[i : i + batch])
        projector_seconds = time.perf_counter() - start

        table = f'"{schema}".applications'
        rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY updated_at")
        columns = list(rows[0].keys())
        bare_table = f'"{schema}".bare_applications'
        await conn.execute(f"CREATE TABLE {bare_table} (LIKE {table} INCLUDING ALL)")
        await conn.execute(
            f'CREATE TABLE "{schema}".bare_tracking (id int PRIMARY KEY, position bigint NOT NULL)'
        )
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "id")
        insert = (
            f"INSERT INTO {bare_table} AS v ({', '.join(columns)}) VALUES "
            f"({', '.join(f'${i}' for i in range(1, len(columns) + 1))}) "
            f"ON CONFLICT (id) DO UPDATE SET {sets} WHERE v.version < EXCLUDED.version"
        )
        track = (
            f'INSERT INTO "{schema}".bare_tracking VALUES (1, $1) '
            "ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position"
        )
        values = [tuple(r.values()) for r in rows]
        start = time.perf_counter()
        for i in range(0, len(values), batch):
            async with conn.transaction():
                await conn.executemany(insert, values[i : i + batch])
                await conn.execute(track, i)
        bare_seconds = time.perf_counter() - start
    finally:
        await conn.close()
    rate, bare_rate = applied / projector_seconds, len(values) / bare_seconds
    report.add(
        Figure(
            "projector",
            f"projection apply, {applied} events",
            rate,
            "events/s",
            "bare asyncpg, same rows",
            bare_rate,
            ">= 10,000/s and >= 50% of bare",
            rate >= 10_000 and rate >= 0.5 * bare_rate,
            note=f"batches of {batch}, one transaction each, with the view's indexes",
        )
    )


# --- consumers of another service's topic ----------------------------------------------------

IGNORED_SHARE = 0.9


async def mixed_topic(bootstrap: str, service: str, records: list[Any], handled_every: int) -> str:
    """Another service's topic holding the relay's records, renamed to `service`'s types: one in
    `handled_every` of type Handled, which the consumers below read, the rest of a type they
    ignore."""
    from aiokafka import AIOKafkaProducer
    from bizdev_common.contract import topic_for

    topic = topic_for(service)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        acks = []
        for i, r in enumerate(records):
            kind = "Handled" if i % handled_every == 0 else "Ignored"
            headers = [
                (k, f"bizdev.{service}.{kind}.v1".encode() if k == "ce_type" else v)
                for k, v in r.headers
            ]
            acks.append(await producer.send(topic, value=r.value, key=r.key, headers=headers))
        await asyncio.gather(*acks)
    finally:
        await producer.stop()
    return topic


@dataclass
class CpuWindow:
    """Process CPU from the first record a consumer is handed until it has seen `n`."""

    n: int
    seen: int = 0
    cpu_start: float | None = None
    cpu_end: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def begin(self) -> None:
        if self.cpu_start is None:
            self.cpu_start = time.process_time()

    def end(self, count: int) -> None:
        self.seen += count
        if self.seen >= self.n and self.cpu_end is None:
            self.cpu_end = time.process_time()
            self.done.set()

    @property
    def ms_per_event(self) -> float:
        assert self.cpu_start is not None
        assert self.cpu_end is not None
        return (self.cpu_end - self.cpu_start) * 1000 / self.n


def _batch_size(msg: Any) -> int:
    raw = msg.raw_message
    return len(raw) if isinstance(raw, tuple | list) else 1


async def bare_consumer_cpu(
    bootstrap: str, topic: str, n: int, idle_seconds: float
) -> tuple[float, float]:
    """A bare aiokafka consumer reading the topic from the start, looking at each record's
    ce_type: CPU ms per record; then its CPU once caught up, in % of a core, fetching with
    the 500 ms wait the services' consumers of other topics use."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bare-{uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    window = CpuWindow(n)
    types: dict[bytes, int] = {}
    try:
        while not window.done.is_set():
            batch = await consumer.getmany(timeout_ms=1000, max_records=200)
            if batch:
                window.begin()
            for recs in batch.values():
                for r in recs:
                    for k, v in r.headers:
                        if k == "ce_type":
                            types[v] = types.get(v, 0) + 1
                window.end(sum(map(len, batch.values())))
            if batch:
                await consumer.commit()
        cpu, until = time.process_time(), time.monotonic() + idle_seconds
        while time.monotonic() < until:
            await consumer.getmany(timeout_ms=500, max_records=200)
        idle = (time.process_time() - cpu) / idle_seconds * 100
    finally:
        await consumer.stop()
    return window.ms_per_event, idle


async def service_consumers_cpu(
    infra: Infra, service: str, n: int, idle_seconds: float
) -> dict[str, float]:
    """CPU ms per record of a projection and of a reaction reading `service`'s topic, each
    alone, in a broker set up as a worker's (broker.kafka_broker); and the CPU of both
    once idle, in % of a core."""
    import asyncpg
    from bizdev_common.broker import kafka_broker
    from bizdev_common.contract import EventContract, PublicEvent
    from bizdev_common.deadletters import DeadLetters
    from bizdev_common.projector import Projection, Projector
    from bizdev_common.reactions import Reaction, ReactionRunner
    from bizdev_common.settings import ServiceSettings
    from bizdev_projects.application import ProjectsApplication
    from prometheus_client import CollectorRegistry

    class Handled(PublicEvent):
        title: str

    contract = EventContract.reading(service, Handled)
    schema = f"{SCHEMA}_{service}"

    class Reader(Projection):
        name = "reader"
        tables = ("handled",)
        ddl = ("CREATE TABLE IF NOT EXISTS {schema}.handled (id uuid PRIMARY KEY, title text)",)

        async def apply(self, conn: Any, event: Any, envelope: Any) -> None:
            await conn.execute(
                f"INSERT INTO {self.t['handled']} VALUES ($1, $2) ON CONFLICT DO NOTHING",
                event.aggregate_id,
                event.title,
            )

    class Reacting(Reaction):
        name = "reacting"
        upstream = (contract,)

        def react(self, app: Any, event: Any, envelope: Any) -> Any:
            return ()

    windows = {"projection": CpuWindow(n), "reaction": CpuWindow(n)}
    registry = CollectorRegistry()

    class TimedProjector(Projector):
        async def _handle(self, body: Any, msg: KafkaMessage) -> None:
            windows["projection"].begin()
            await super()._handle(body, msg)
            windows["projection"].end(_batch_size(msg))

    class TimedReactions(ReactionRunner):
        async def _handle(self, body: Any, msg: KafkaMessage) -> None:
            windows["reaction"].begin()
            await super()._handle(body, msg)
            windows["reaction"].end(_batch_size(msg))

    settings = ServiceSettings(
        service="projects",
        database_url=infra.database_url,
        kafka_bootstrap_servers=infra.bootstrap,
        db_schema=schema,
    )
    app = await asyncio.to_thread(ProjectsApplication, settings)
    pool = await asyncpg.create_pool(infra.database_url, min_size=1, max_size=4)
    figures: dict[str, float] = {}
    try:
        dead_letters = DeadLetters(settings, registry)
        for kind in ("projection", "reaction"):
            broker = kafka_broker(settings, registry)
            async with pool.acquire() as conn:
                await dead_letters.create(conn)
                projection = Reader(schema, [contract])
                await projection.create(conn)
            if kind == "projection":
                TimedProjector(broker, pool, projection, settings, dead_letters)
            else:
                TimedReactions(broker, app, Reacting(), settings, dead_letters)
            await broker.start()
            try:
                await asyncio.wait_for(windows[kind].done.wait(), 120)
                figures[kind] = windows[kind].ms_per_event
                cpu = time.process_time()
                await asyncio.sleep(idle_seconds)
                figures[f"{kind} idle"] = (time.process_time() - cpu) / idle_seconds * 100
            finally:
                await broker.stop()
        await dead_letters.close()
    finally:
        await pool.close()
        await asyncio.to_thread(app.close)
    return figures


async def section_consumers(report: Report, infra: Infra, records: list[Any]) -> None:
    n = len(records)
    for label, service, every in (
        (
            f"{IGNORED_SHARE:.0%} of types ignored",
            f"mix{SCHEMA[-6:]}",
            round(1 / (1 - IGNORED_SHARE)),
        ),
        ("every type handled", f"all{SCHEMA[-6:]}", 1),
    ):
        topic = await mixed_topic(infra.bootstrap, service, records, every)
        bare, bare_idle = await bare_consumer_cpu(infra.bootstrap, topic, n, idle_seconds=3.0)
        figures = await service_consumers_cpu(infra, service, n, idle_seconds=3.0)
        for kind in ("projection", "reaction"):
            report.add(
                Figure(
                    "consumers",
                    f"{kind} of another service's topic, {label}",
                    figures[kind],
                    "ms CPU/event",
                    "bare aiokafka consumer, same records",
                    bare,
                    "",
                    note=f"{n} events",
                )
            )
        if every == 1:
            continue
        for kind in ("projection", "reaction"):
            report.add(
                Figure(
                    "consumers",
                    f"{kind}, idle after catching up",
                    figures[f"{kind} idle"],
                    "% of a core",
                    "bare aiokafka consumer idle, 500 ms fetch wait",
                    bare_idle,
                    "",
                )
            )


def run_like_a_service(main: Any) -> Any:
    """On uvloop, as uvicorn runs the services (and so their relay and projectors)."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
