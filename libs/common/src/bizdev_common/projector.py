"""Projector runtime: FastStream Kafka subscribers that keep read models in PostgreSQL.

Each batch of records is applied in one asyncpg transaction together with the projection's
tracking rows (per topic and partition: the last applied `ce_sequence` and Kafka offset), so
a view and its position never disagree:
- a record redelivered by Kafka, or re-published by a relay, has a sequence at or below the
  tracked one and is skipped, so applying is exactly once;
- on partition assignment the consumer seeks to the tracked offset, so the tracking table,
  not Kafka's committed offsets, says where to resume; a projector killed mid-batch rolls
  back and resumes at the last committed batch;
- rebuilding a projection is: empty its tables and tracking rows, and restart it.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import asyncpg
from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage

from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.settings import ServiceSettings

log = logging.getLogger(__name__)

TRACKING_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.projection_tracking (
    projection text NOT NULL,
    topic text NOT NULL,
    partition int NOT NULL,
    sequence bigint NOT NULL,
    kafka_offset bigint NOT NULL,
    PRIMARY KEY (projection, topic, partition)
)
"""


async def insert_row(conn: asyncpg.Connection, table: str, row: Mapping[str, Any]) -> None:
    cols = ", ".join(row)
    params = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    await conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({params})", *row.values())


async def update_row(
    conn: asyncpg.Connection, table: str, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(values, start=1))
    where = " AND ".join(f"{k} = ${i}" for i, k in enumerate(key, start=len(values) + 1))
    await conn.execute(f"UPDATE {table} SET {sets} WHERE {where}", *values.values(), *key.values())


async def insert_record(
    conn: asyncpg.Connection, table: str, event: PublicEvent, values: Mapping[str, Any]
) -> None:
    """The row of the record an event creates: its id, version and times from the event."""
    await insert_row(
        conn,
        table,
        {
            "id": event.aggregate_id,
            "version": event.version,
            **values,
            "created_at": event.occurred_at,
            "updated_at": event.occurred_at,
        },
    )


async def update_record(
    conn: asyncpg.Connection, table: str, event: PublicEvent, values: Mapping[str, Any]
) -> None:
    """The row of the record an event changes, moved to the event's version."""
    await update_row(
        conn,
        table,
        {"id": event.aggregate_id},
        {**values, "version": event.version, "updated_at": event.occurred_at},
    )


class Projection:
    """A read model fed by one or more services' topics.

    Subclasses name their tables and DDL, and implement `apply` for the events they use;
    `apply` runs inside the batch's transaction and must only use the given connection.
    Events of different aggregates arrive on different partitions in no fixed order, so an
    `apply` writes only rows of its event's own aggregate, from that event's content."""

    name: ClassVar[str]
    tables: ClassVar[Sequence[str]]
    ddl: ClassVar[Sequence[str]]

    def __init__(self, schema: str, contracts: Sequence[EventContract]) -> None:
        self.schema = schema
        self.contracts = {c.topic: c for c in contracts}

    @property
    def topics(self) -> list[str]:
        return list(self.contracts)

    async def apply(self, conn: asyncpg.Connection, event: PublicEvent, envelope: Envelope) -> None:
        raise NotImplementedError

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256("\n".join(self.ddl).encode()).hexdigest()[:16]

    async def create(self, conn: asyncpg.Connection) -> bool:
        """Creates the projection's tables; when their definition changed since they were
        built, drops them and its tracking, so the new shape is rebuilt from the topics.
        Returns True when it did so."""
        schema = f'"{self.schema}"'
        async with conn.transaction():
            # Replicas starting together must not drop and create over each other.
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1)",
                zlib.crc32(f"bizdev-projection:{self.schema}.{self.name}".encode()),
            )
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            await conn.execute(TRACKING_DDL.format(schema=schema))
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {schema}.projection_versions "
                "(projection text PRIMARY KEY, fingerprint text NOT NULL)"
            )
            built = await conn.fetchval(
                f"SELECT fingerprint FROM {schema}.projection_versions WHERE projection = $1",
                self.name,
            )
            changed = built is not None and built != self.fingerprint
            if changed:
                log.warning("projection %s changed shape: rebuilding it from its topics", self.name)
                for table in self.tables:
                    await conn.execute(f"DROP TABLE IF EXISTS {schema}.{table} CASCADE")
                await conn.execute(
                    f"DELETE FROM {schema}.projection_tracking WHERE projection = $1", self.name
                )
            for statement in self.ddl:
                await conn.execute(statement.format(schema=schema))
            await conn.execute(
                f"INSERT INTO {schema}.projection_versions VALUES ($1, $2) "
                "ON CONFLICT (projection) DO UPDATE SET fingerprint = EXCLUDED.fingerprint",
                self.name,
                self.fingerprint,
            )
        return changed

    async def reset(self, conn: asyncpg.Connection) -> None:
        """Forgets everything this projection built, so that it is rebuilt from the topics."""
        async with conn.transaction():
            for table in self.tables:
                await conn.execute(f'TRUNCATE "{self.schema}".{table}')
            await conn.execute(
                f'DELETE FROM "{self.schema}".projection_tracking WHERE projection = $1',
                self.name,
            )

    async def apply_batch(self, conn: asyncpg.Connection, records: Sequence[ConsumerRecord]) -> int:
        """Applies new records of one batch atomically; returns how many were applied."""
        applied = 0
        async with conn.transaction():
            rows = await conn.fetch(
                f'SELECT topic, partition, sequence FROM "{self.schema}".projection_tracking '
                "WHERE projection = $1 FOR UPDATE",
                self.name,
            )
            seen = {(r["topic"], r["partition"]): r["sequence"] for r in rows}
            moved: dict[tuple[str, int], tuple[int, int]] = {}
            for rec in records:
                tp = (rec.topic, rec.partition)
                envelope = Envelope.from_headers(rec.headers)
                last = moved.get(tp, (seen.get(tp, 0), -1))[0]
                if envelope.sequence > last:
                    contract = self.contracts[rec.topic]
                    event = contract.parse(envelope.type, rec.value)
                    if event is not None:
                        await self.apply(conn, event, envelope)
                        applied += 1
                    last = envelope.sequence
                moved[tp] = (last, rec.offset)
            if moved:
                await conn.executemany(
                    f'INSERT INTO "{self.schema}".projection_tracking '
                    "(projection, topic, partition, sequence, kafka_offset) "
                    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (projection, topic, partition) "
                    "DO UPDATE SET sequence = EXCLUDED.sequence, "
                    "kafka_offset = EXCLUDED.kafka_offset",
                    [(self.name, t, p, s, o) for (t, p), (s, o) in moved.items()],
                )
        return applied

    async def positions(self, conn: asyncpg.Connection) -> dict[tuple[str, int], int]:
        rows = await conn.fetch(
            f'SELECT topic, partition, kafka_offset FROM "{self.schema}".projection_tracking '
            "WHERE projection = $1",
            self.name,
        )
        return {(r["topic"], r["partition"]): r["kafka_offset"] for r in rows}


class _ResumeFromTracking(ConsumerRebalanceListener):
    def __init__(self, projector: Projector) -> None:
        self.projector = projector

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        consumer = self.projector.subscriber.consumer
        assert consumer is not None, "partitions are assigned only to a started consumer"
        async with self.projector.pool.acquire() as conn:
            offsets = await self.projector.projection.positions(conn)
        for tp in assigned:
            offset = offsets.get((tp.topic, tp.partition))
            if offset is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(TopicPartition(tp.topic, tp.partition), offset + 1)


class Projector:
    """Binds a projection to a FastStream batch subscriber."""

    def __init__(
        self,
        broker: KafkaBroker,
        pool: asyncpg.Pool,
        projection: Projection,
        settings: ServiceSettings,
    ) -> None:
        self.pool = pool
        self.projection = projection
        # One consumer group per schema: a second copy of a service's views (a rebuild side by
        # side, a test) must read every partition itself, not share them with the first.
        group = f"{settings.schema_name}.{projection.name}"
        topics = [
            Topic(
                t,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
            )
            for t in projection.topics
        ]
        self.subscriber = broker.subscriber(
            *topics,
            batch=True,
            max_records=settings.projector_batch_size,
            group_id=group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            listener=_ResumeFromTracking(self),
            title=group,
            description=f"Read model {projection.name} of {settings.service}",
        )
        self.subscriber(self._handle)

    async def _handle(self, body: Any, msg: KafkaMessage) -> None:
        records: Sequence[ConsumerRecord] = msg.raw_message
        async with self.pool.acquire() as conn:
            await self.projection.apply_batch(conn, records)
