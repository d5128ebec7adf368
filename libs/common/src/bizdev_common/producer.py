"""The relay's Kafka producer: librdkafka (confluent-kafka) seen from asyncio, a batch at a time.

librdkafka builds, compresses and partitions records in C: measured beside aiokafka in the same
run it sends the same records at twice the rate (docs/performance.md). Its delivery reports
are served by `flush`, which blocks, so a batch is handed to librdkafka on the event loop
(`produce` only queues) and its acknowledgements are awaited in a worker thread.

Its settings keep the relay's guarantees: acks from every in-sync replica and the idempotent
producer (no duplicate or reordering from its own retries), and `murmur2_random`, the Java
client's default partitioner (and aiokafka's), so that an aggregate's events go to the
partition its earlier ones went to, whichever client published those.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

log = logging.getLogger(__name__)

REFUSED = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.RECORD_LIST_TOO_LARGE,
        KafkaError.INVALID_MSG,  # the Java client's CORRUPT_MESSAGE
        KafkaError.INVALID_RECORD,
        KafkaError._BAD_MSG,
    }
)
"""What the broker (or librdkafka before it) says of the record itself: sending it again
cannot help. Any other error is the broker's or the network's, and passes."""

MESSAGE_TIMEOUT_SECONDS = 30.0
"""How long librdkafka keeps retrying a record before it reports it undelivered: a broker away
longer than this makes the relay reconnect, as a failed `connect` does."""
WAIT_ROUND_SECONDS = 1.0
"""A worker thread waits for acknowledgements at most this long at a time, so that a cancelled
relay leaves no thread blocked for long."""

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]
"""A record's key, value and headers."""


class Unreachable(Exception):
    """The broker cannot be reached or answers with an error that is not the record's fault."""


def refused(error: KafkaError) -> bool:
    return error.code() in REFUSED


class BatchProducer:
    def __init__(self, bootstrap_servers: str, client_id: str, **settings: Any) -> None:
        """`settings` are librdkafka's, over the relay's own (the tests make the queue small)."""
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap_servers,
                "client.id": client_id,
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 5,
                "partitioner": "murmur2_random",
                "message.timeout.ms": int(MESSAGE_TIMEOUT_SECONDS * 1000),
                # Its log and errors through Python's logging (served by poll and flush).
                "logger": log,
                "error_cb": _log_error,
                **settings,
            }
        )

    async def connect(self, topic: str, within: float = 10.0) -> None:
        """Raises Unreachable unless the broker answers and the topic exists (the worker creates
        it, maybe after the relay starts)."""
        try:
            metadata = await asyncio.to_thread(self._producer.list_topics, topic, within)
        except KafkaException as e:
            raise Unreachable(f"Kafka: {e.args[0]}") from e
        found = metadata.topics.get(topic)
        if found is None or found.error is not None or not found.partitions:
            raise Unreachable(f"topic {topic} not there: {found and found.error}")

    async def publish(self, topic: str, records: Sequence[Record]) -> tuple[int, str | None]:
        """Sends the records in order and waits until the broker has acknowledged each one.
        Returns how many from the first were acknowledged before one the broker refused, and
        that refusal (None when all were). Raises Unreachable when a record could not be
        delivered for any other reason: the relay reconnects and sends the batch again."""
        self._producer.poll(0)  # what the idle relay left: logs, errors
        acknowledged, refusal, by_broker = await self._send(topic, records)
        if refusal is None or not by_broker:
            return acknowledged, refusal
        # The broker refuses a request whole for one record in it (a batch of records larger
        # than the topic's max.message.bytes): sent alone, each says whether it is that one.
        for i in range(acknowledged, len(records)):
            _, alone, _ = await self._send(topic, records[i : i + 1])
            if alone is not None:
                return i, alone
        return len(records), None

    async def _send(self, topic: str, records: Sequence[Record]) -> tuple[int, str | None, bool]:
        """`publish` in one go, also saying whether the refusal came from the broker."""
        outcomes: list[KafkaError | None] = [None] * len(records)
        delivered = [False] * len(records)
        refusal: tuple[int, str] | None = None
        produce, i = self._producer.produce, 0
        while i < len(records):
            key, value, headers = records[i]
            try:
                produce(
                    topic,
                    value,
                    key,
                    headers=headers,  # type: ignore[arg-type] # a list of (str, bytes) is one
                    on_delivery=partial(_record, outcomes, delivered, i),
                )
            except BufferError:
                # Its queue is full: wait until the broker has taken some, never drop.
                await asyncio.to_thread(self._producer.poll, 0.1)
                continue
            except KafkaException as e:
                if not refused(e.args[0]):
                    raise Unreachable(f"Kafka: {_describe(e.args[0])}") from e
                refusal = (i, _describe(e.args[0]))
                break
            except (TypeError, ValueError) as e:  # librdkafka takes no such record
                refusal = (i, f"{type(e).__name__}: {e}")
                break
            i += 1
        await self._wait_for_acknowledgements()
        for i, error in enumerate(outcomes):
            if refusal is not None and i >= refusal[0]:
                break
            if error is not None:
                if refused(error):
                    return i, _describe(error), True
                raise Unreachable(_describe(error))
            if not delivered[i]:
                raise Unreachable(f"no delivery report for record {i} of {len(records)}")
        return (len(records), None, False) if refusal is None else (*refusal, False)

    async def _wait_for_acknowledgements(self) -> None:
        while await asyncio.to_thread(self._producer.flush, WAIT_ROUND_SECONDS):
            pass  # each record gets its report within MESSAGE_TIMEOUT_SECONDS

    def poll(self) -> None:
        """Serves librdkafka's logs and errors without waiting: the relay calls it when idle."""
        self._producer.poll(0)

    async def close(self, within: float = 5.0) -> None:
        """Waits for what was sent, then drops what the broker has not taken `within` seconds
        (the relay has not recorded it: it is sent again by whoever leads next)."""
        left = await asyncio.to_thread(self._producer.flush, within)
        if left:
            log.warning("relay producer closing with %d records unacknowledged: dropped", left)
            self._producer.purge()
            await asyncio.to_thread(self._producer.flush, 0)
        await asyncio.to_thread(self._producer.close)


def _record(
    outcomes: list[KafkaError | None],
    delivered: list[bool],
    i: int,
    error: KafkaError | None,
    _: Message,
) -> None:
    outcomes[i] = error
    delivered[i] = True


def _describe(error: KafkaError) -> str:
    return f"KafkaError {error.name()}: {error.str()}"


def _log_error(error: KafkaError) -> None:
    # The code first, so that logthrottle passes one line per kind of error per interval.
    log.warning("Kafka: KafkaError %s: %s", error.name(), error.str())
