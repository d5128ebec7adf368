"""Consuming other services' topics: the consumer group's set-up (batches, the waits of an
idle consumer), and reading what it takes off a topic: the record as FastStream hands it over,
its CloudEvents envelope, and its public event through the service's contract, refused as
Undecodable (parked at once, deadletters.py) when it cannot be read at all."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import ConsumerRebalanceListener, ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from bizdev_common.boundary import Refused, refuse_unsafe
from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.deadletters import describe
from bizdev_common.envelope import Envelope
from bizdev_common.settings import ServiceSettings


def record_of(
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, bytes]],
) -> ConsumerRecord:
    """A consumed record made from what a dead letter kept of it (a replay), or a test's."""
    return ConsumerRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key or b""),
        serialized_value_size=len(value or b""),
        headers=headers,
    )


def _readable(record: ConsumerRecord) -> ConsumerRecord:
    """The record with headers FastStream can read: it decodes every one as UTF-8."""
    try:
        for _, v in record.headers:
            v.decode()
    except (AttributeError, UnicodeDecodeError):
        readable = [(k, (v or b"").decode("utf-8", "replace").encode()) for k, v in record.headers]
        return dataclasses.replace(record, headers=readable)
    return record


async def tolerant_parser(
    msg: ConsumerRecord | tuple[ConsumerRecord, ...],
    original: Callable[[Any], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream's parser, given records whose headers it can read, that hands the handlers
    the records as they came: a header that is not UTF-8 reaches the handler, to be parked,
    instead of failing in the framework before it, for ever."""
    readable = tuple(map(_readable, msg)) if isinstance(msg, tuple) else _readable(msg)
    parsed = await original(readable)
    parsed.raw_message = msg
    return parsed


async def undecoded(msg: StreamMessage[Any]) -> None:
    """Handlers read each record's value themselves: FastStream must not parse it as JSON
    first, or a malformed value fails before the handler can park it."""
    return None


class Undecodable(Exception):
    """The message cannot be read at all: retrying the same bytes cannot help."""


def raw_header(rec: ConsumerRecord, key: str) -> bytes | None:
    for k, v in rec.headers or ():
        if k == key:
            return v
    return None


def ignored(contract: EventContract, rec: ConsumerRecord) -> bool:
    """Whether the record is, by its raw `ce_type` header, of another service's event type the
    consumer has no model of: it is passed over without decoding anything, so what a consumer
    ignores costs it a header comparison, and a malformed record of such a type is not parked
    (it is none of this consumer's business). On a service's own topic nothing is ignored:
    every type must be known."""
    if not contract.tolerant:
        return False
    ce_type = raw_header(rec, "ce_type")
    return ce_type is not None and ce_type not in contract.wire_types


def read_envelope(rec: ConsumerRecord) -> Envelope:
    try:
        return Envelope.from_headers(rec.headers)
    except Exception as e:
        raise Undecodable(f"not a CloudEvents record: {describe(e)}") from e


def read_event(
    contract: EventContract, rec: ConsumerRecord, envelope: Envelope
) -> PublicEvent | None:
    """The record's public event; None for an event of another service that the consumer does
    not read (a tolerant reader). On a service's own topic every type must be known.

    An event of another service crosses the boundary types first (`boundary.refuse_unsafe`):
    what its producer should have refused (a NUL in a name) is refused here, before a reaction
    decides anything or stores it in its own event store, where no replay could ever apply it.
    A service's own topic holds what its own store holds: its views read it as it is."""
    try:
        event = contract.parse(envelope.type, rec.value)
    except Exception as e:
        raise Undecodable(f"{envelope.type} does not match its model: {describe(e)}") from e
    if event is None:
        if not contract.tolerant:
            raise Undecodable(f"unknown event type {envelope.type!r} on {rec.topic}")
    elif contract.tolerant:
        try:
            refuse_unsafe(event)
        except Refused as e:
            raise Undecodable(f"{envelope.type} refused at the boundary: {describe(e)}") from e
    return event


FOREIGN_WAIT_MS = 500
"""How long a consumer of other services' topics waits for records: nobody waits on it as
closely as on the own views (fed from the event store), and a long wait leaves it asleep while
idle and gathers records into batches."""

FOREIGN_FETCH_WAIT_MS = 5000
"""How long the broker holds a consumer's fetch while it has no record for it. A record that
arrives answers the fetch at once, so this costs no freshness; at the client's default 500 ms,
each consumer of an idle service (a worker has several) asked twice a second."""


def subscribe_batches(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topics: Iterable[str],
    group: str,
    handle: Callable[[Any, KafkaMessage], Awaitable[None]],
    *,
    description: str,
    listener: ConsumerRebalanceListener | None = None,
) -> Any:
    """A consumer group of other services' topics, handed its records in batches: the
    framework's path (middlewares, acknowledgement, the offset commit) once per batch, not
    once per record, most of which a reaction ignores. Records are decoded by the handler,
    which parks what it cannot read (deadletters.py)."""
    subscriber = broker.subscriber(
        *[
            Topic(
                t,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
            )
            for t in topics
        ],
        batch=True,
        max_records=settings.projector_batch_size,
        # How long a poll waits for records; FastStream sleeps as long again after an
        # empty one, so this bounds what an idle consumer adds to a view's freshness.
        batch_timeout_ms=FOREIGN_WAIT_MS,
        fetch_max_wait_ms=FOREIGN_FETCH_WAIT_MS,
        group_id=group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        parser=tolerant_parser,
        decoder=undecoded,
        listener=listener,
        title=group,
        description=description,
    )
    subscriber(handle)
    return subscriber
