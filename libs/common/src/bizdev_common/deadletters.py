"""Dead letters: a message a consumer cannot handle is parked, so that it never stops the rest.

A projector or reaction retries a failing message with exponential backoff a bounded number
of times (`consumer_retry_*` settings), then parks it:
- on the service's dead-letter topic `bizdev.<service>.dlq.v1`, with the original key, value
  and headers plus `dlq_*` headers (consumer group, handler, error, attempts, original topic,
  partition and offset), for whoever watches it;
- in the `dead_letters` table of the service's schema, in the same transaction that records
  the message as handled (the tracking position moves past it), so the partition moves on.

A message that cannot be decoded (consuming.py: not CloudEvents, not valid JSON of its
model, a type the service does not know on its own topic, an event of another service that
does not cross the boundary types) is parked at once: retrying the same bytes with the same
code cannot change the answer. `bizdev-<service> dlq list` shows what is parked and
`dlq replay [ID]` puts it back through its handler once the cause is fixed; replaying twice
applies once. `/readyz` reports the service degraded while anything is parked, and
`/metrics` counts it (`bizdev_dead_letters_parked_total`, `bizdev_dead_letters_waiting`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord
from prometheus_client import CollectorRegistry, Counter, Gauge

from bizdev_common.settings import ServiceSettings

log = logging.getLogger(__name__)

DLQ_SCHEME = "bizdev.{service}.dlq.v1"

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    handler text NOT NULL,
    consumer_group text NOT NULL,
    topic text NOT NULL,
    partition int NOT NULL,
    kafka_offset bigint NOT NULL,
    key bytea,
    value bytea,
    header_keys bytea[] NOT NULL,
    header_values bytea[] NOT NULL,
    ce_id text,
    ce_type text,
    error text NOT NULL,
    attempts int NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    UNIQUE (consumer_group, topic, partition, kafka_offset)
)
"""

COLUMNS = (
    "kind",
    "handler",
    "consumer_group",
    "topic",
    "partition",
    "kafka_offset",
    "key",
    "value",
    "header_keys",
    "header_values",
    "ce_id",
    "ce_type",
    "error",
    "attempts",
)

ERROR_MAX = 2000


def dlq_topic(service: str) -> str:
    return DLQ_SCHEME.format(service=service)


def storable(text: str, limit: int = ERROR_MAX) -> str:
    """Text PostgreSQL accepts whatever the message held: the NUL that may have made it fail,
    lone surrogates and invalid UTF-8 come out escaped."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return safe[:limit]


@dataclass(frozen=True)
class Handler:
    """Who failed on a message: a projection or a reaction, by name, and its consumer group."""

    kind: str
    name: str
    group: str


@dataclass(frozen=True)
class Letter:
    handler: Handler
    record: ConsumerRecord
    error: str
    attempts: int

    def _header(self, key: str) -> str | None:
        for k, v in self.record.headers or ():
            if k == key and v is not None:
                return storable(v.decode("utf-8", "replace"), 200)
        return None

    def row(self) -> tuple[Any, ...]:
        r = self.record
        headers = list(r.headers or ())
        return (
            self.handler.kind,
            self.handler.name,
            self.handler.group,
            r.topic,
            r.partition,
            r.offset,
            r.key,
            r.value,
            [k.encode("utf-8", "surrogatepass") for k, _ in headers],
            [v for _, v in headers],
            self._header("ce_id"),
            self._header("ce_type"),
            self.error,
            self.attempts,
        )

    def dlq_headers(self) -> list[tuple[str, bytes]]:
        r = self.record
        extra = {
            "dlq_group": self.handler.group,
            "dlq_handler": f"{self.handler.kind}:{self.handler.name}",
            "dlq_error": self.error[:1000],
            "dlq_attempts": str(self.attempts),
            "dlq_topic": r.topic,
            "dlq_partition": str(r.partition),
            "dlq_offset": str(r.offset),
        }
        return [*(r.headers or ()), *((k, v.encode()) for k, v in extra.items())]


def describe(error: BaseException) -> str:
    return storable(f"{type(error).__name__}: {error}")


class DeadLetters:
    """The service's dead letters: its DLQ topic, its `dead_letters` table and their metrics."""

    def __init__(
        self, settings: ServiceSettings, registry: CollectorRegistry | None = None
    ) -> None:
        self.settings = settings
        self.topic = dlq_topic(settings.service)
        self.table = f'"{settings.schema_name}".dead_letters'
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()
        self.parked_total = Counter(
            "bizdev_dead_letters_parked",
            "Messages parked by this process after their handler kept failing",
            ["consumer_group"],
            registry=registry,
        )
        self.waiting_gauge = Gauge(
            "bizdev_dead_letters_waiting",
            "Parked messages not replayed yet (all replicas, from the dead_letters table)",
            registry=registry,
        )

    async def create(self, conn: asyncpg.Connection) -> None:
        await conn.execute(DDL.format(schema=f'"{self.settings.schema_name}"'))

    async def waiting(self, conn: asyncpg.Connection | asyncpg.Pool) -> int:
        count: int = await conn.fetchval(
            f"SELECT count(*) FROM {self.table} WHERE replayed_at IS NULL"
        )
        self.waiting_gauge.set(count)
        return count

    async def publish(self, letter: Letter) -> None:
        """Puts the letter on the DLQ topic and waits for the broker's ack: a crash before the
        letter is recorded publishes it again (at least once on the topic)."""
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.settings.kafka_bootstrap_servers,
                    acks="all",
                    enable_idempotence=True,
                    client_id=f"{self.settings.service}-dlq",
                )
                await producer.start()
                self._producer = producer
        await self._producer.send_and_wait(
            self.topic,
            value=letter.record.value,
            key=letter.record.key,
            headers=letter.dlq_headers(),
        )

    def parked(self, letter: Letter) -> None:
        self.parked_total.labels(letter.handler.group).inc()
        log.error(
            "%s %s parked %s/%d@%d (%s) after %d attempt(s): %s",
            letter.handler.kind,
            letter.handler.name,
            letter.record.topic,
            letter.record.partition,
            letter.record.offset,
            letter._header("ce_id") or "no ce_id",
            letter.attempts,
            letter.error,
        )

    async def park(self, conn: asyncpg.Connection, letter: Letter) -> None:
        """Parks a letter within the caller's transaction (a projector's batch); the caller
        reports it with `parked` once that transaction committed."""
        await self.publish(letter)
        params = ", ".join(f"${i}" for i in range(1, len(COLUMNS) + 1))
        await conn.execute(
            f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) VALUES ({params}) "
            "ON CONFLICT (consumer_group, topic, partition, kafka_offset) DO NOTHING",
            *letter.row(),
        )

    def insert_statement(self) -> str:
        """The same insert for psycopg (reactions record through the event store's driver)."""
        params = ", ".join(["%s"] * len(COLUMNS))
        return (
            f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) VALUES ({params}) "
            "ON CONFLICT (consumer_group, topic, partition, kafka_offset) DO NOTHING"
        )

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


async def retrying(
    settings: ServiceSettings, what: str, attempt: Callable[[int, bool], Awaitable[None]]
) -> None:
    """Calls `attempt(n, last)` until it returns, waiting with exponential backoff between
    failures and logging one line for each. From the last attempt on (`last` is True) the
    handler parks what still fails instead of raising, so the loop ends unless parking itself
    fails (PostgreSQL or Kafka down), which is retried at the longest backoff."""
    n = 0
    while True:
        n += 1
        last = n >= settings.consumer_retry_attempts
        try:
            await attempt(n, last)
            return
        except Exception as e:  # noqa: BLE001 - every failure is retried, then parked
            delay = min(
                settings.consumer_retry_backoff_seconds * 2 ** (n - 1),
                settings.consumer_retry_backoff_max_seconds,
            )
            log.warning(
                "%s failed (attempt %d of %d), retrying in %.1fs: %s",
                what,
                n,
                settings.consumer_retry_attempts,
                delay,
                describe(e),
            )
            await asyncio.sleep(delay)
