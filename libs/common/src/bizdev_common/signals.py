"""What an operator alerts on, measured where it really is, for the worker's /metrics and
`bizdev lag`:

- each consumer's position and lag per partition: a projection's position is in its
  `projection_tracking` rows (it seeks there on every assignment; its Kafka group's commits
  are not what it resumes from), a reaction's in its Kafka group's committed offsets; a
  projection of the service's own events reads them from its event store (feed.py), shown as
  the own topic's partition -1 whose positions are notification ids;
- how old the oldest record a consumer has not read is (the view is that far behind);
- the outbox relay's backlog: events stored but not yet published, behind its position in the
  service's event log.

Every worker replica measures the whole service (the figures are the same from each): the
alert rules take the highest (deploy/manifests/signals.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bizdev_common.projector import STORE_PARTITION
from bizdev_common.settings import ServiceSettings
from bizdev_common.tasks import pause

log = logging.getLogger(__name__)

FETCH_SECONDS = 3.0
"""How long a measurement waits for the oldest unread records, to date them."""


@dataclass(frozen=True)
class ConsumerLag:
    consumer_group: str
    kind: str
    """projection or reaction"""
    topic: str
    partition: int
    position: int | None
    """The offset it reads next; None before it has read anything."""
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.position or 0)


@dataclass(frozen=True)
class RelayBacklog:
    position: int | None
    """Notification id of the last event published; None before the first."""
    end: int
    waiting: int


async def consumer_lags(
    parts: Any, conn: asyncpg.Connection, consumer: AIOKafkaConsumer, admin: AIOKafkaAdminClient
) -> list[ConsumerLag]:
    """Every projection's and reaction's position and lag per partition of its topics."""
    s: ServiceSettings = parts.settings
    rows: list[ConsumerLag] = []
    for make in parts.projections:
        projection = make(s.schema_name)
        try:
            done = await projection.positions(conn)
        except asyncpg.UndefinedTableError:
            done = {}
        group = f"{s.schema_name}.{projection.name}"
        for topic in projection.own_topics:
            rows.append(await _store_lag(conn, s, group, topic, done))
        tps = await _partitions(consumer, projection.foreign_topics)
        ends = await consumer.end_offsets(tps) if tps else {}
        for tp in tps:
            last = done.get((tp.topic, tp.partition))
            at = None if last is None else last + 1
            rows.append(ConsumerLag(group, "projection", tp.topic, tp.partition, at, ends[tp]))
    for make in parts.reactions:
        reaction = make()
        group = f"{s.schema_name}.{reaction.name}"
        committed = await admin.list_consumer_group_offsets(group)
        tps = await _partitions(consumer, [c.topic for c in reaction.upstream])
        ends = await consumer.end_offsets(tps) if tps else {}
        for tp in tps:
            meta = committed.get(tp)
            at = meta.offset if meta is not None and meta.offset >= 0 else None
            rows.append(ConsumerLag(group, "reaction", tp.topic, tp.partition, at, ends[tp]))
    return rows


def _events(s: ServiceSettings) -> str:
    return f'"{s.schema_name}".{s.service}_events'


async def _store_lag(
    conn: asyncpg.Connection,
    s: ServiceSettings,
    group: str,
    topic: str,
    done: dict[tuple[str, int], int],
) -> ConsumerLag:
    """Offsets here are notification ids: the next one to apply, and one past the last."""
    try:
        end = await conn.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {_events(s)}")
    except asyncpg.UndefinedTableError:
        end = 0
    last = done.get((topic, STORE_PARTITION))
    return ConsumerLag(
        group, "projection", topic, STORE_PARTITION, None if last is None else last + 1, end + 1
    )


async def store_written(
    conn: asyncpg.Connection, s: ServiceSettings, lags: Sequence[ConsumerLag]
) -> dict[tuple[str, int, int | None], float]:
    """When the oldest event each lagging projection of the event store has not applied was
    stored (its domain event's timestamp), like `oldest_unread` for Kafka's partitions."""
    found: dict[tuple[str, int, int | None], float] = {}
    for r in lags:
        if r.partition != STORE_PARTITION or r.lag <= 0:
            continue
        at = await conn.fetchval(
            "SELECT (convert_from(state, 'UTF8')::jsonb #>> '{timestamp,_data_}')::timestamptz "
            f"FROM {_events(s)} WHERE notification_id >= $1 ORDER BY notification_id LIMIT 1",
            r.position or 0,
        )
        if at is not None:
            found[(r.topic, r.partition, r.position)] = at.timestamp()
    return found


async def relay_backlog(conn: asyncpg.Connection, s: ServiceSettings) -> RelayBacklog:
    schema = f'"{s.schema_name}"'
    try:
        at = await conn.fetchval(f"SELECT position FROM {schema}.outbox_position")
    except asyncpg.UndefinedTableError:
        at = None
    try:
        end, waiting = await conn.fetchrow(
            f"SELECT coalesce(max(notification_id), 0), "
            f"count(*) FILTER (WHERE notification_id > $1) FROM {_events(s)}",
            at or 0,
        )
    except asyncpg.UndefinedTableError:
        end, waiting = 0, 0
    return RelayBacklog(at, end, waiting)


async def oldest_unread(
    consumer: AIOKafkaConsumer, lags: Sequence[ConsumerLag], wait: float = FETCH_SECONDS
) -> dict[tuple[str, int, int | None], float]:
    """When the oldest record each lagging consumer has not read was written (Kafka's record
    timestamp, in seconds), by its (topic, partition, position); one fetch per partition and
    position. A record not fetched within `wait` is left out."""
    behind = {
        (r.topic, r.partition, r.position)
        for r in lags
        if r.lag > 0 and r.partition != STORE_PARTITION
    }
    if not behind:
        return {}
    firsts = await consumer.beginning_offsets(sorted({TopicPartition(t, p) for t, p, _ in behind}))
    found: dict[tuple[str, int, int | None], float] = {}
    while behind:
        # Consumers of one partition at different positions: one position per pass.
        this_pass: dict[TopicPartition, int | None] = {}
        for t, p, at in sorted(behind, key=str):
            this_pass.setdefault(TopicPartition(t, p), at)
        behind -= {(tp.topic, tp.partition, at) for tp, at in this_pass.items()}
        consumer.assign(list(this_pass))
        for tp, at in this_pass.items():
            consumer.seek(tp, firsts[tp] if at is None else at)
        deadline = time.monotonic() + wait
        missing = dict(this_pass)
        while missing and time.monotonic() < deadline:
            timeout = max(1, int((deadline - time.monotonic()) * 1000))
            batch = await consumer.getmany(*missing, timeout_ms=timeout, max_records=len(missing))
            for tp, records in batch.items():
                if records and tp in missing:
                    found[(tp.topic, tp.partition, missing.pop(tp))] = records[0].timestamp / 1000
    consumer.assign([])
    return found


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    await consumer._client.force_metadata_update()
    return [
        TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())
    ]


@dataclass(frozen=True)
class Measurement:
    lags: list[ConsumerLag]
    written: dict[tuple[str, int, int | None], float]
    """When the oldest record each lagging consumer has not read was written."""
    relay: RelayBacklog
    at: float


class Signals(Collector):
    """The worker's gauges of consumer lag, relay backlog and how far behind each consumer is,
    from the last measurement (`run` measures every `signals_seconds`)."""

    def __init__(
        self, parts: Any, registry: CollectorRegistry, clock: Callable[[], float] = time.time
    ) -> None:
        self.parts = parts
        self.settings: ServiceSettings = parts.settings
        self.clock = clock
        self.last: Measurement | None = None
        self._kafka: tuple[AIOKafkaConsumer, AIOKafkaAdminClient] | None = None
        registry.register(self)

    async def measure(self, conn: asyncpg.Connection) -> Measurement:
        consumer, admin = await self._clients()
        lags = await consumer_lags(self.parts, conn, consumer, admin)
        written = await oldest_unread(consumer, lags) | await store_written(
            conn, self.settings, lags
        )
        relay = await relay_backlog(conn, self.settings)
        self.last = Measurement(lags, written, relay, self.clock())
        return self.last

    async def run(self, pool: asyncpg.Pool, stopping: asyncio.Event) -> None:
        """Measures until `stopping`; a failure (Kafka or PostgreSQL away) keeps the last
        figures, whose age `bizdev_signals_measured_timestamp_seconds` shows, and is logged
        once until a measurement succeeds again."""
        failing = False
        try:
            while True:
                try:
                    async with pool.acquire() as conn:
                        await self.measure(conn)
                    failing = False
                except Exception as e:  # noqa: BLE001 - measure again at the next round
                    if not failing:
                        log.warning("lag and backlog not measured: %r", e)
                    failing = True
                    await self.close()
                if await pause(stopping, self.settings.signals_seconds):
                    return
        finally:
            await self.close()

    async def _clients(self) -> tuple[AIOKafkaConsumer, AIOKafkaAdminClient]:
        if self._kafka is None:
            s = self.settings
            consumer = AIOKafkaConsumer(
                bootstrap_servers=s.kafka_bootstrap_servers,
                client_id=f"{s.application_name}-signals",
                enable_auto_commit=False,
            )
            admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap_servers)
            self._kafka = (consumer, admin)
            await consumer.start()
            await admin.start()
        return self._kafka

    async def close(self) -> None:
        if self._kafka is not None:
            consumer, admin = self._kafka
            self._kafka = None
            with contextlib.suppress(Exception):
                await admin.close()
            with contextlib.suppress(Exception):
                await consumer.stop()

    def collect(self) -> Iterator[Metric]:
        service = self.settings.service
        keys = ["service", "consumer_group", "kind", "topic", "partition"]
        lag = GaugeMetricFamily(
            "bizdev_consumer_lag",
            "Records of a partition a projection or reaction has not read yet",
            labels=keys,
        )
        position = GaugeMetricFamily(
            "bizdev_consumer_position",
            "The offset a projection or reaction reads next in a partition (0: from the start)",
            labels=keys,
        )
        behind = GaugeMetricFamily(
            "bizdev_consumer_lag_seconds",
            "Age of the oldest record of a partition a consumer has not read; 0 when caught up",
            labels=keys,
        )
        backlog = GaugeMetricFamily(
            "bizdev_relay_backlog",
            "Events stored but not yet published to Kafka by the outbox relay",
            labels=["service"],
        )
        relay_position = GaugeMetricFamily(
            "bizdev_relay_position",
            "Notification id of the last event the outbox relay published",
            labels=["service"],
        )
        measured = GaugeMetricFamily(
            "bizdev_signals_measured_timestamp_seconds",
            "When lag and backlog were last measured (Unix time)",
            labels=["service"],
        )
        m = self.last
        if m is not None:
            now = self.clock()
            for r in m.lags:
                values = [service, r.consumer_group, r.kind, r.topic, str(r.partition)]
                lag.add_metric(values, r.lag)
                position.add_metric(values, r.position or 0)
                written = m.written.get((r.topic, r.partition, r.position))
                if r.lag <= 0:
                    behind.add_metric(values, 0.0)
                elif written is not None:
                    behind.add_metric(values, max(0.0, now - written))
            backlog.add_metric([service], m.relay.waiting)
            relay_position.add_metric([service], m.relay.position or 0)
            measured.add_metric([service], m.at)
        yield from (lag, position, behind, backlog, relay_position, measured)
