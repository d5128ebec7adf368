"""The service's own views, fed from its own event store rather than through Kafka.

A command commits its events; the event store NOTIFYs; the feed wakes, reads the new
notifications in order (the same notification log the outbox relay publishes from, with no
gaps: the library's insert holds the table lock), turns each into the record the relay
publishes (its public model and CloudEvents headers, `ce_sequence` its notification id), and
hands the batch to each projection of the service's own events: `apply_batch` applies it and
records the notification id reached in the same transaction as the view rows, so each event is
applied exactly once, and a feed killed mid-batch resumes at the last committed one. Views,
inboxes and deadlines thus keep moving while Kafka is down, and a user reading what they just
wrote waits for one PostgreSQL round trip, not for a relay, a broker and a consumer.

One feed per service is active (leader.py), like the relay: replicas stand by and one takes
over within a lease. Two active at once would still be correct (each projection's batch locks
its tracking rows and skips what is applied), only wasteful. Its ceiling is one process
applying the service's own events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from aiokafka import ConsumerRecord
from eventsourcing.persistence import Notification
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind

from bizdev_common.consuming import record_of
from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.deadletters import DeadLetters, Handler, retrying
from bizdev_common.envelope import Envelope, source_for
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.leader import lead
from bizdev_common.projector import STORE_PARTITION, Parking, Projection
from bizdev_common.relay import published_form
from bizdev_common.settings import ServiceSettings
from bizdev_common.tasks import IdlePolls, pause, wake_or_pause

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class StoreBatch:
    """Notifications read from the event store, as the records the relay publishes of them
    (on the event store's partition of the service's topic, at their notification ids, for a
    dead letter to keep), their events already decoded, and the notification id read up to."""

    records: list[ConsumerRecord]
    decoded: dict[int, tuple[Envelope, PublicEvent]]
    through: int
    links: list[Link]
    """The trace context each event's command stored with it."""


def store_batch(
    app: ServiceApplication,
    contract: EventContract,
    source: str,
    notifications: Sequence[Notification],
) -> StoreBatch:
    records, decoded, links = [], {}, []
    for n in notifications:
        form = published_form(app, contract, source, n)
        if form is None:
            continue
        if form.link is not None:
            links.append(form.link)
        records.append(
            record_of(
                contract.topic,
                STORE_PARTITION,
                n.id,
                form.key,
                form.value,
                form.envelope.headers({}),
            )
        )
        decoded[n.id] = (form.envelope, form.public)
    return StoreBatch(records, decoded, notifications[-1].id, links)


class StoreFeed:
    """Feeds the projections of the service's own events from its notification log."""

    def __init__(
        self,
        app: ServiceApplication,
        contract: EventContract,
        settings: ServiceSettings,
        pool: asyncpg.Pool,
        projections: Sequence[Projection],
        dead_letters: DeadLetters,
    ) -> None:
        self.app = app
        self.contract = contract
        self.settings = settings
        self.pool = pool
        self.projections = [p for p in projections if contract.topic in p.own_topics]
        self.dead_letters = dead_letters
        self.handlers = {
            p.name: Handler("projection", p.name, f"{settings.schema_name}.{p.name}")
            for p in self.projections
        }
        self.applied = 0

    async def run(self, stopping: asyncio.Event) -> None:
        """Runs until `stopping`; every failure is retried from the recorded positions."""
        if not self.projections:
            return
        backoff = 0.5
        while not stopping.is_set():
            try:
                await self._run_once(stopping)
                backoff = 0.5
            except Exception as e:  # noqa: BLE001 - any failure: resume from the recorded positions
                log.warning("own views' feed interrupted, retrying in %.1fs: %s", backoff, e)
                await pause(stopping, backoff)
                backoff = min(backoff * 2, 10.0)

    async def _run_once(self, stopping: asyncio.Event) -> None:
        s = self.settings
        async with lead(
            s.database_url, f"bizdev-views:{s.schema_name}", s.leader_lease_seconds, stopping
        ) as leader:
            if leader is None:
                return
            # Woken by the event store's NOTIFY, cleared before each look so that one arriving
            # meanwhile is not missed; the poll covers a notification lost in a reconnect.
            woken = asyncio.Event()
            await leader.listen(self.app.recorder.channel_name, woken.set)  # type: ignore[attr-defined]
            polls = IdlePolls(s.relay_poll_seconds)
            while not leader.resigned.is_set():
                woken.clear()
                if await self.step():
                    polls.found()
                else:
                    await wake_or_pause(woken, leader.resigned, polls.next())

    async def step(self) -> int:
        """Applies the next batch of notifications to every projection behind it; returns how
        many notifications it read (0: all caught up)."""
        async with self.pool.acquire() as conn:
            positions = await self.positions(conn)
        after = min(positions.values())
        notifications = await asyncio.to_thread(self._select, after)
        if not notifications:
            return 0
        batch = store_batch(
            self.app, self.contract, source_for(self.settings.service), notifications
        )
        # A batch, so by OpenTelemetry's convention a trace of its own linking to each
        # event's command, as the projectors of other services' topics link to the publish.
        with tracer.start_as_current_span(
            f"{self.contract.topic} apply", kind=SpanKind.CONSUMER, links=batch.links
        ) as span:
            span.set_attribute("bizdev.position", batch.through)
            for projection in self.projections:
                if positions[projection.name] < batch.through:
                    self.applied += await self._apply(projection, batch)
        return len(notifications)

    def _select(self, after: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(
            after, self.settings.projector_batch_size, inclusive_of_start=False
        )

    async def positions(self, conn: asyncpg.Connection) -> dict[str, int]:
        """The notification id each projection has applied up to (0: none)."""
        rows = await conn.fetch(
            f'SELECT projection, sequence FROM "{self.settings.schema_name}".projection_tracking '
            "WHERE topic = $1 AND partition = $2 AND projection = ANY($3::text[])",
            self.contract.topic,
            STORE_PARTITION,
            [p.name for p in self.projections],
        )
        done = {r["projection"]: r["sequence"] for r in rows}
        return {p.name: done.get(p.name, 0) for p in self.projections}

    async def _apply(self, projection: Projection, batch: StoreBatch) -> int:
        applied = 0

        async def attempt(n: int, last: bool) -> None:
            nonlocal applied
            parking = Parking(self.dead_letters, self.handlers[projection.name], n, last)
            async with self.pool.acquire() as conn:
                applied = await projection.apply_batch(
                    conn, batch.records, parking, batch.through, batch.decoded
                )
            for letter in parking.letters:  # committed: count and log them once
                self.dead_letters.parked(letter)

        await retrying(
            self.settings,
            f"projection {projection.name}: notifications up to {batch.through}",
            attempt,
        )
        return applied
