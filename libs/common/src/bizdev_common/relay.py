"""Outbox relay: the event store's notification log is the outbox.

Commands only write PostgreSQL, so they succeed while Kafka is down. The relay reads new
notifications in order, publishes each one's public form to the service's topic keyed by
aggregate id with an idempotent producer (acks=all), and records its position only after the
broker acknowledged the whole batch: a crash re-publishes at most one batch (at least once),
never skips. One relay per service is active (leader.py), so that replicas never interleave
their publications, and a standby takes over within a lease when the active one dies.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import Notification
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from bizdev_common.contract import EventContract
from bizdev_common.envelope import Envelope, ce_id, source_for
from bizdev_common.eventstore import META_KEY, ServiceApplication
from bizdev_common.leader import Leader, lead
from bizdev_common.settings import ServiceSettings
from bizdev_common.tasks import pause

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class OutboxRelay:
    def __init__(
        self, app: ServiceApplication, contract: EventContract, settings: ServiceSettings
    ) -> None:
        self.app = app
        self.contract = contract
        self.settings = settings
        self.source = source_for(settings.service)
        self.table = f'"{settings.schema_name}".outbox_position'
        self.published = 0

    async def run(self, stopping: asyncio.Event) -> None:
        """Runs until `stopping` is set; every failure is retried from the recorded position."""
        backoff = 0.5
        while not stopping.is_set():
            try:
                await self._run_once(stopping)
                backoff = 0.5
            except Exception as e:  # noqa: BLE001 - any failure: reconnect and resume from the recorded position
                log.warning("relay interrupted, retrying in %.1fs: %s", backoff, e)
                await pause(stopping, backoff)
                backoff = min(backoff * 2, 10.0)

    async def _run_once(self, stopping: asyncio.Event) -> None:
        # One outbox per schema, so one leader per schema.
        name = f"bizdev-relay:{self.settings.schema_name}"
        async with lead(
            self.settings.database_url, name, self.settings.leader_lease_seconds, stopping
        ) as conn:
            if conn is None:
                return
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                "(id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), position bigint NOT NULL)"
            )
            await conn.execute(
                f"INSERT INTO {self.table} (position) VALUES (0) ON CONFLICT DO NOTHING"
            )
            producer = AIOKafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers,
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                client_id=f"{self.settings.service}-relay",
            )
            await producer.start()
            try:
                # The position is written only through the leader's connection (fenced), and
                # the loop ends when the lease is lost or the service stops.
                await self._publish_loop(conn, producer, conn.resigned)
            finally:
                await producer.stop()

    async def _publish_loop(
        self, conn: Leader, producer: AIOKafkaProducer, stopping: asyncio.Event
    ) -> None:
        position: int = await conn.fetchval(f"SELECT position FROM {self.table}")
        while not stopping.is_set():
            batch = await asyncio.to_thread(self._select, position)
            if not batch:
                await pause(stopping, self.settings.relay_poll_seconds)
                continue
            acks = [await self._send(producer, n) for n in batch]
            await asyncio.gather(*(a for a in acks if a is not None))
            position = batch[-1].id
            await conn.execute(f"UPDATE {self.table} SET position = $1", position)
            self.published += len(batch)

    def _select(self, after: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(
            after, self.settings.relay_batch_size, inclusive_of_start=False
        )

    async def _send(self, producer: AIOKafkaProducer, n: Notification) -> Any:
        domain_event = self.app.mapper.to_domain_event(n)
        public = self.contract.to_public(domain_event)
        if public is None:
            return None
        meta: dict[str, str] = json.loads(n.state).get(META_KEY, {})
        parent = propagate.extract(meta)
        with tracer.start_as_current_span(
            f"{self.contract.topic} publish", context=parent, kind=SpanKind.PRODUCER
        ) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.destination.name", self.contract.topic)
            span.set_attribute("bizdev.position", n.id)
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            envelope = Envelope(
                id=ce_id(public.aggregate_id, public.version),
                source=self.source,
                type=self.contract.ce_type(type(public)),
                time=public.occurred_at,
                subject=str(public.aggregate_id),
                sequence=n.id,
                correlation_id=meta.get("correlation_id"),
                causation_id=meta.get("causation_id"),
            )
            return await producer.send(
                self.contract.topic,
                value=public.model_dump_json().encode(),
                key=str(public.aggregate_id).encode(),
                headers=envelope.headers(carrier),
            )
