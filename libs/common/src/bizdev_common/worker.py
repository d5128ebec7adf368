"""The `worker` role of a service: everything but HTTP requests, in a process of its own.

It creates the service's tables (read models, dead letters, deadlines, worker status), then
runs the outbox relay, the feed of its own views from its event store and the deadline
scheduler (each on one elected leader among the replicas, leader.py), the FastStream broker
with the projectors of other services' topics and the reactions (replicas share the
partitions of their consumer groups), the forgetting of old Idempotency-Keys, and a
report of its state for the API's /readyz (status.py). Its own small HTTP server answers
/healthz, /readyz and /metrics, for Kubernetes' probes and Prometheus."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Gauge

from bizdev_common import idempotency, status, topics
from bizdev_common.broker import add_consumers, kafka_broker
from bizdev_common.deadletters import DeadLetters
from bizdev_common.eventstore import schema_lock
from bizdev_common.feed import StoreFeed
from bizdev_common.observability import add_probes, ready_gauge
from bizdev_common.parts import ServiceParts, setup_process
from bizdev_common.readmodel import create_list_indexes, list_queries
from bizdev_common.relay import OutboxRelay
from bizdev_common.scheduler import DEADLINES_DDL, Scheduler, clock_for
from bizdev_common.settings import ServiceSettings
from bizdev_common.signals import Signals
from bizdev_common.tasks import pause

log = logging.getLogger(__name__)


@dataclass
class WorkerState:
    """What the worker's /readyz and /metrics look at."""

    relay: OutboxRelay | None = None
    pool: asyncpg.Pool | None = None
    kafka_started: asyncio.Event = field(default_factory=asyncio.Event)


async def create_views(conn: asyncpg.Connection, parts: ServiceParts[Any, Any]) -> None:
    """The service's views, its deadlines and its lists' indexes, as the worker builds them."""
    schema = parts.settings.schema_name
    for make in parts.projections:
        await make(schema).create(conn)
    # After the projections: one that keeps deadlines may have just dropped the table.
    await conn.execute(DEADLINES_DDL.format(schema=f'"{schema}"'))
    # And so may a list's table: its indexes come after too.
    await create_list_indexes(conn, schema, list_queries(parts.routers))


def create_worker_app(parts: ServiceParts[Any, Any]) -> FastAPI:
    parts = parts.in_role("worker")
    s = parts.settings
    schema = s.schema_name
    setup_process(s)
    registry = CollectorRegistry()
    dead_letters = DeadLetters(s, registry)
    broker = kafka_broker(s, registry)
    signals = Signals(parts, registry)
    readiness_metric = ready_gauge(registry, s.service, s.role)
    state = WorkerState()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        application = await asyncio.to_thread(parts.application, s)
        pool = await asyncpg.create_pool(
            s.database_url,
            min_size=1,
            max_size=s.query_connections,
            server_settings={"application_name": s.application_name},
        )
        state.pool = pool
        async with pool.acquire() as conn, conn.transaction():
            # Replicas starting together create each table once.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", schema_lock(schema))
            await dead_letters.create(conn)
            await status.create(conn, schema)
            await create_views(conn, parts)
        projectors, reactions = add_consumers(broker, parts, application, pool, dead_letters)
        used = topics.used_by(parts.contract.topic, dead_letters.topic, projectors, reactions)
        relay = state.relay = OutboxRelay(application, parts.contract, s)
        stopping = asyncio.Event()
        tasks = [
            asyncio.create_task(_start_broker(broker, state, s, used, stopping)),
            asyncio.create_task(
                idempotency.forget_old_keys(pool, schema, s.idempotency_key_hours, stopping)
            ),
            asyncio.create_task(_report(broker, state, parts, stopping)),
            asyncio.create_task(signals.run(pool, stopping)),
        ]
        if s.relay_enabled:
            tasks.append(asyncio.create_task(relay.run(stopping)))
        if s.projector_enabled:
            projections = [make(schema) for make in parts.projections]
            feed = StoreFeed(application, parts.contract, s, pool, projections, dead_letters)
            tasks.append(asyncio.create_task(feed.run(stopping)))
        if parts.deadline_checks and s.scheduler_enabled:
            scheduler = Scheduler(application, s, parts.deadline_checks, clock_for(s))
            tasks.append(asyncio.create_task(scheduler.run(stopping)))
        try:
            yield
        finally:
            stopping.set()
            # Bounded: a task waiting on a PostgreSQL that is gone (the relay's thread in the
            # event store's pool, retrying) would hold the exit for minutes, and the executor's
            # threads with it. Leaving loses nothing: positions are saved with the views, and
            # what the relay had not published is published by the next one.
            done, late = await asyncio.wait(tasks, timeout=s.shutdown_timeout_seconds)
            await asyncio.gather(*done, return_exceptions=True)
            if late:
                log.error(
                    "stopping: %d task(s) still waiting after %s s (PostgreSQL or Kafka gone?); "
                    "exiting without them",
                    len(late),
                    s.shutdown_timeout_seconds,
                )
                logging.shutdown()
                os._exit(1)
            await broker.stop()
            await dead_letters.close()
            await pool.close()
            await asyncio.to_thread(application.close)

    app = FastAPI(
        title=f"{parts.title} worker",
        description="Health and metrics of the service's background work",
        version=parts.version,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )

    Gauge(
        "bizdev_relay_stuck_position",
        "Notification id of the event the relay cannot publish and stays at; 0 when none",
        ["service"],
        registry=registry,
    ).labels(s.service).set_function(lambda: _stuck_position(state))

    async def readiness() -> dict[str, Any]:
        """Not ready only without PostgreSQL. Kafka down, messages parked, or a relay stuck
        at an event degrade it (`status: degraded`): it keeps trying, a restart would not
        help."""
        checks: dict[str, str] = {}
        body: dict[str, Any] = {"checks": checks}
        try:
            assert state.pool is not None, "the lifespan has run"
            await asyncio.wait_for(state.pool.fetchval("SELECT 1"), 2)
            checks["postgresql"] = "ok"
            body["dead_letters"] = await asyncio.wait_for(dead_letters.waiting(state.pool), 2)
        except Exception as e:  # noqa: BLE001 - any failure means not ready, or retry later
            checks["postgresql"] = f"unreachable: {type(e).__name__}"
        kafka_ok = await _kafka_ok(broker, state)
        checks["kafka"] = "ok" if kafka_ok else "unreachable"
        if state.relay is not None and state.relay.stuck is not None:
            body["relay"] = state.relay.stuck.as_dict()
        ready = checks["postgresql"] == "ok"
        degraded = not kafka_ok or body.get("dead_letters") or "relay" in body
        body["status"] = "unavailable" if not ready else "degraded" if degraded else "ok"
        body["ready"] = ready
        return body

    add_probes(app, registry, readiness_metric, readiness, ready_summary="PostgreSQL reachable")

    return app


def _stuck_position(state: WorkerState) -> int:
    stuck = state.relay.stuck if state.relay is not None else None
    return 0 if stuck is None else stuck.position


async def _kafka_ok(broker: KafkaBroker, state: WorkerState) -> bool:
    return state.kafka_started.is_set() and bool(await broker.ping(timeout=2))


async def _start_broker(
    broker: KafkaBroker,
    state: WorkerState,
    settings: ServiceSettings,
    used: list[str],
    stopping: asyncio.Event,
) -> None:
    """Kafka may be down when the worker starts: the consumers start in the background and
    keep trying, while the relay waits for it on its own. The topics are created first, kept
    for good (topics.py), so that no consumer finds one auto-created with the broker's
    defaults."""
    delay = 0.5
    while not stopping.is_set():
        try:
            await topics.ensure(settings, used)
            await broker.start()
            state.kafka_started.set()
            return
        except Exception as e:  # noqa: BLE001 - any failure means not ready, or retry later
            log.warning("Kafka not reachable yet (%s); retrying in %.1fs", e, delay)
            with contextlib.suppress(Exception):
                await broker.stop()
            await pause(stopping, delay)
            delay = min(delay * 2, 10.0)


async def _report(
    broker: KafkaBroker, state: WorkerState, parts: ServiceParts[Any, Any], stopping: asyncio.Event
) -> None:
    """Tells the API processes, through the database, whether this worker reaches Kafka and
    where its relay is stuck; withdraws the report when it stops."""
    s = parts.settings
    assert state.pool is not None, "the lifespan has run"
    instance = status.instance_name()
    while True:
        stuck = state.relay.stuck if state.relay is not None else None
        kafka = await _kafka_ok(broker, state)
        try:
            await status.report(
                state.pool,
                s.schema_name,
                instance,
                kafka=kafka,
                relay=None if stuck is None else stuck.as_dict(),
                interval=s.worker_status_seconds,
            )
        except Exception as e:  # noqa: BLE001 - PostgreSQL away: report at the next round
            log.warning("worker status not reported: %r", e)
        # Without Kafka, look again soon, so that the API learns of its return promptly.
        every = s.worker_status_seconds if kafka else min(s.worker_status_seconds, 0.5)
        if await pause(stopping, every):
            break
    with contextlib.suppress(Exception):
        await status.withdraw(state.pool, s.schema_name, instance)
