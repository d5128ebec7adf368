"""Projections: read models in PostgreSQL, fed the service's own events from its event store
(feed.py) and other services' events from their Kafka topics (the Projector here).

Each batch of records is applied in one asyncpg transaction together with the projection's
tracking rows (per topic and partition: the last applied `ce_sequence` and Kafka offset; the
event store is the own topic's partition `STORE_PARTITION`, its sequence the notification id),
so a view and its position never disagree:
- a record redelivered by Kafka, or re-published by a relay, has a sequence at or below the
  tracked one and is skipped, so applying is exactly once;
- on partition assignment the consumer seeks to the tracked offset, so the tracking table,
  not Kafka's committed offsets, says where to resume; a projector killed mid-batch rolls
  back and resumes at the last committed batch;
- rebuilding a projection is: empty its tables and tracking rows, and restart it;
- a record of another service's event type the projection has no model of is passed over by
  its raw `ce_type` header, decoding nothing; only the batch's one position write notes it;
- a record that keeps failing is parked (deadletters.py) in the transaction that moves the
  position past it, and the rest of its batch is applied: one bad record never stops a view;
- behind the tracking position, the write helpers below are guarded by version and keyed, so
  an event applied twice, or after a newer one, leaves the view as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import zlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

import asyncpg
from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from bizdev_common.consuming import (
    Undecodable,
    ignored,
    read_envelope,
    read_event,
    subscribe_batches,
)
from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.deadletters import DeadLetters, Handler, Letter, describe, retrying
from bizdev_common.envelope import Envelope
from bizdev_common.settings import ServiceSettings

log = logging.getLogger(__name__)

STORE_PARTITION = -1
"""The tracking rows' partition of the service's own events, read from its event store."""
SOURCES = "own events from the event store, others' from Kafka"
"""Part of every projection's fingerprint: views built when the own events came from Kafka are
rebuilt once from the event store, whose positions are notification ids."""

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


class BatchConnection:
    """The connection a batch's `apply` calls write through: writes that need no answer are
    queued and sent together, one `executemany` per run of the same statement on a table, in
    place of a round trip per event (most of a projection's time was waiting on those).

    Anything that asks the database (a fetch, an `execute` whose status is read) first sends
    what is queued, so a read sees every write before it. A savepoint (`transaction()`) sends
    its writes before it ends, so a write that fails is undone and parked with its record.
    Statements on different tables may be sent in another order than queued (none of the
    writes reads another table); on one table they keep their order."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._queued: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}

    def queue(self, table: str, sql: str, args: Sequence[Any]) -> None:
        self._queued.setdefault(table, []).append((sql, tuple(args)))

    async def flush(self) -> None:
        queued, self._queued = self._queued, {}
        for statements in queued.values():
            for sql, run in itertools.groupby(statements, key=lambda s: s[0]):
                await self.conn.executemany(sql, [args for _, args in run])

    def discard(self) -> None:
        self._queued = {}

    async def execute(self, sql: str, *args: Any) -> str:
        await self.flush()
        status: str = await self.conn.execute(sql, *args)
        return status

    async def executemany(self, sql: str, args: Any) -> None:
        await self.flush()
        await self.conn.executemany(sql, args)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        await self.flush()
        rows: list[asyncpg.Record] = await self.conn.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        await self.flush()
        row: asyncpg.Record | None = await self.conn.fetchrow(sql, *args)
        return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        await self.flush()
        return await self.conn.fetchval(sql, *args)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        await self.flush()
        try:
            async with self.conn.transaction():
                yield
                await self.flush()
        except BaseException:
            self.discard()
            raise


ViewConnection: TypeAlias = asyncpg.Connection | BatchConnection
"""Where a projection writes: a batch's connection, or a bare one (tests, one-off writes)."""


async def _write(conn: ViewConnection, table: str, sql: str, args: Sequence[Any]) -> None:
    if isinstance(conn, BatchConnection):
        conn.queue(table, sql, args)
    else:
        await conn.execute(sql, *args)


async def insert_row(conn: ViewConnection, table: str, row: Mapping[str, Any]) -> None:
    """A child row of a record (a history line, a milestone, an action item), keyed so that
    inserting it again changes nothing. Sent with the batch."""
    cols = ", ".join(row)
    params = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    await _write(
        conn,
        table,
        f"INSERT INTO {table} ({cols}) VALUES ({params}) ON CONFLICT DO NOTHING",
        list(row.values()),
    )


async def update_row(
    conn: ViewConnection, table: str, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """Sent with the batch."""
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(values, start=1))
    where = " AND ".join(f"{k} = ${i}" for i, k in enumerate(key, start=len(values) + 1))
    await _write(
        conn, table, f"UPDATE {table} SET {sets} WHERE {where}", [*values.values(), *key.values()]
    )


def _record_upsert(
    table: str, event: PublicEvent, values: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    row = {
        "id": event.aggregate_id,
        "version": event.version,
        **values,
        "created_at": event.occurred_at,
        "updated_at": event.occurred_at,
    }
    cols = ", ".join(row)
    params = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    sets = ", ".join(f"{k} = EXCLUDED.{k}" for k in row if k not in ("id", "created_at"))
    return (
        f"INSERT INTO {table} AS v ({cols}) VALUES ({params}) "
        f"ON CONFLICT (id) DO UPDATE SET {sets} WHERE v.version < EXCLUDED.version",
        list(row.values()),
    )


def _record_update(
    table: str, event: PublicEvent, values: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    row = {**values, "version": event.version, "updated_at": event.occurred_at}
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(row, start=1))
    n = len(row)
    return (
        f"UPDATE {table} SET {sets} WHERE id = ${n + 1} AND version < ${n + 2}",
        [*row.values(), event.aggregate_id, event.version],
    )


async def put_record(
    conn: ViewConnection, table: str, event: PublicEvent, values: Mapping[str, Any]
) -> None:
    """The row of the record an event creates (its id, version and times from the event),
    sent with the batch: `insert_record` for a handler that needs no verdict."""
    await _write(conn, table, *_record_upsert(table, event, values))


async def change_record(
    conn: ViewConnection, table: str, event: PublicEvent, values: Mapping[str, Any]
) -> None:
    """The row of the record an event changes, moved to the event's version, sent with the
    batch: `update_record` for a handler that needs no verdict."""
    await _write(conn, table, *_record_update(table, event, values))


async def insert_record(
    conn: ViewConnection, table: str, event: PublicEvent, values: Mapping[str, Any]
) -> bool:
    """The row of the record an event creates: its id, version and times from the event.

    An upsert guarded by version: the event applies only over an older row, so a redelivered
    creation changes nothing. Returns whether it applied; the event's other writes (child
    rows, deadlines) follow that verdict."""
    sql, args = _record_upsert(table, event, values)
    applied = await conn.fetchval(f"{sql} RETURNING true", *args)
    return bool(applied)


async def update_record(
    conn: ViewConnection, table: str, event: PublicEvent, values: Mapping[str, Any]
) -> bool:
    """The row of the record an event changes, moved to the event's version.

    Guarded by version: a row already at or past the event (a redelivery, an older event
    applied again) is left as it is. Returns whether it applied; the event's other writes
    (child rows, deadlines) follow that verdict."""
    return await updated_record(conn, table, event, values) is not None


async def updated_record(
    conn: ViewConnection,
    table: str,
    event: PublicEvent,
    values: Mapping[str, Any],
    returning: Sequence[str] = ("id",),
) -> asyncpg.Record | None:
    """`update_record`, answering the updated row's `returning` columns (None when it did not
    apply) in the same statement, for an event whose other writes need what the row holds."""
    sql, args = _record_update(table, event, values)
    return await conn.fetchrow(f"{sql} RETURNING {', '.join(returning)}", *args)


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
        self.t = {t: f'"{schema}".{t}' for t in self.tables}
        """Its tables by name, qualified with its schema, for its SQL."""

    @property
    def topics(self) -> list[str]:
        return list(self.contracts)

    @property
    def own_topics(self) -> list[str]:
        """The service's own topic, if the projection reads it: fed from the event store. A
        contract of the service's own events is the one that tolerates nothing unknown."""
        return [t for t, c in self.contracts.items() if not c.tolerant]

    @property
    def foreign_topics(self) -> list[str]:
        """Other services' topics the projection reads, from Kafka."""
        return [t for t, c in self.contracts.items() if c.tolerant]

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        raise NotImplementedError

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256("\n".join([*self.ddl, SOURCES]).encode()).hexdigest()[:16]

    async def create(self, conn: asyncpg.Connection) -> bool:
        """Creates the projection's tables; when their definition changed since they were
        built, drops them and its tracking, so the new shape is rebuilt from its sources.
        Tables of its names found with no fingerprint of this projection were built by
        another (one split out of a larger projection takes its tables): dropped too, since
        its tracking starts from nothing. Returns True when it did so."""
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
            changed = built != self.fingerprint and (
                built is not None or await self._tables_exist(conn)
            )
            if changed:
                log.warning(
                    "projection %s changed shape: rebuilding it from its sources", self.name
                )
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

    async def _tables_exist(self, conn: asyncpg.Connection) -> bool:
        found: bool = await conn.fetchval(
            "SELECT EXISTS (SELECT FROM pg_tables WHERE schemaname = $1 "
            "AND tablename = ANY($2::text[]))",
            self.schema,
            list(self.tables),
        )
        return found

    async def reset(self, conn: asyncpg.Connection) -> None:
        """Forgets everything this projection built, so that it is rebuilt from the topics."""
        async with conn.transaction():
            for table in self.tables:
                await conn.execute(f'TRUNCATE "{self.schema}".{table}')
            await conn.execute(
                f'DELETE FROM "{self.schema}".projection_tracking WHERE projection = $1',
                self.name,
            )

    async def apply_batch(
        self,
        conn: asyncpg.Connection,
        records: Sequence[ConsumerRecord],
        parking: Parking | None = None,
        through: int | None = None,
        decoded: Mapping[int, tuple[Envelope, PublicEvent]] | None = None,
    ) -> int:
        """Applies new records of one batch atomically; returns how many were applied.

        With `parking`, a record that cannot be decoded is parked at once, and on the final
        attempt each record is applied in a savepoint and one that fails is parked, in the
        same transaction that moves the tracking position past it. `through` is the event
        store's notification id the batch was read up to (feed.py), the position even where
        the last events are ones the service does not publish; `decoded`, the events of its
        records by offset, made once for every projection of the service rather than decoded
        again by each."""
        applied = 0
        view = BatchConnection(conn)
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
                last = moved.get(tp, (seen.get(tp, 0), -1))[0]
                if ignored(self.contracts[rec.topic], rec):
                    moved[tp] = (last, rec.offset)  # written once for the batch, below
                    continue
                try:
                    known = decoded.get(rec.offset) if decoded is not None else None
                    envelope = known[0] if known else read_envelope(rec)
                    fresh = envelope.sequence > last
                    if not fresh:
                        event = None
                    elif known:
                        event = known[1]
                    else:
                        event = read_event(self.contracts[rec.topic], rec, envelope)
                except Undecodable as e:
                    if parking is None:
                        raise
                    # Retrying the same bytes with the same code cannot help: park it now.
                    await view.flush()
                    await parking.park(conn, rec, e, attempts=1)
                    moved[tp] = (last, rec.offset)
                    continue
                if fresh:
                    if event is not None and await self._apply_one(
                        view, rec, event, envelope, parking
                    ):
                        applied += 1
                    last = envelope.sequence
                moved[tp] = (last, rec.offset)
            await view.flush()
            if through is not None:
                store = (self.own_topics[0], STORE_PARTITION)
                if through > moved.get(store, (seen.get(store, 0), 0))[0]:
                    moved[store] = (through, through)
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

    async def _apply_one(
        self,
        view: BatchConnection,
        rec: ConsumerRecord,
        event: PublicEvent,
        envelope: Envelope,
        parking: Parking | None,
    ) -> bool:
        if parking is None or not parking.final:
            await self.apply(view, event, envelope)
            return True
        try:
            async with view.transaction():  # a savepoint: only this record is undone
                await self.apply(view, event, envelope)
        except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError):
            raise  # the connection, not the record: retry the batch
        except Exception as e:  # noqa: BLE001 - whatever the record did, park it
            await parking.park(view.conn, rec, e)
            return False
        return True

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


@dataclass(frozen=True)
class Parking:
    """Where a projector's batch parks the records it gives up on, and on which attempt."""

    dead_letters: DeadLetters
    handler: Handler
    attempt: int
    final: bool
    letters: list[Letter] = field(default_factory=list)

    async def park(
        self,
        conn: asyncpg.Connection,
        rec: ConsumerRecord,
        error: BaseException,
        attempts: int | None = None,
    ) -> None:
        letter = Letter(self.handler, rec, describe(error), attempts or self.attempt)
        await self.dead_letters.park(conn, letter)
        self.letters.append(letter)


class Projector:
    """Binds a projection to a FastStream batch subscriber of the other services' topics it
    reads (its own events come from the event store: feed.py)."""

    def __init__(
        self,
        broker: KafkaBroker,
        pool: asyncpg.Pool,
        projection: Projection,
        settings: ServiceSettings,
        dead_letters: DeadLetters,
    ) -> None:
        self.pool = pool
        self.projection = projection
        self.settings = settings
        self.dead_letters = dead_letters
        # One consumer group per schema: a second copy of a service's views (a rebuild side by
        # side, a test) must read every partition itself, not share them with the first.
        group = f"{settings.schema_name}.{projection.name}"
        self.handler = Handler("projection", projection.name, group)
        self.subscriber = subscribe_batches(
            broker,
            settings,
            projection.foreign_topics,
            group,
            self._handle,
            description=f"Read model {projection.name} of {settings.service}",
            listener=_ResumeFromTracking(self),
        )

    async def _handle(self, body: Any, msg: KafkaMessage) -> None:
        records: Sequence[ConsumerRecord] = msg.raw_message

        async def attempt(n: int, last: bool) -> None:
            parking = Parking(self.dead_letters, self.handler, n, last)
            async with self.pool.acquire() as conn:
                await self.projection.apply_batch(conn, records, parking)
            for letter in parking.letters:  # committed: count and log them once
                self.dead_letters.parked(letter)

        first = records[0]
        await retrying(
            self.settings,
            f"projection {self.projection.name}: batch of {len(records)} from "
            f"{first.topic}/{first.partition}@{first.offset}",
            attempt,
        )
