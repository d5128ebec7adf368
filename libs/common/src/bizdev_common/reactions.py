"""Reactions: a service acting on other services' events, exactly once per event.

Each reaction consumes upstream topics with FastStream, in batches whose offsets are committed
once each is through, and for each record decides in the service's own domain what to do.
The new events and the upstream position (per topic and partition, the record's
`ce_sequence`) are recorded in one transaction through the eventsourcing library's tracking
table, so a redelivered or re-published record is skipped and a crash in between leaves
neither. A record of a type the reaction's tolerant reader has no model of cannot make it
act: known by its raw `ce_type` header, it is passed over without decoding it or a
transaction, and the position past such records is recorded in bulk, at most every
IGNORED_FLUSH_SECONDS (the position only ever moves forward, so this never hides an event
the reaction acts on). A record that keeps failing is parked with its position
(deadletters.py), so one bad record never holds back its partition; the rest of its batch
goes on. The new events carry the upstream correlation id and name the upstream
event as their cause, so the conversation can be followed across services.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from aiokafka import ConsumerRecord
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from bizdev_common import context
from bizdev_common.consuming import (
    Undecodable,
    ignored,
    raw_header,
    read_envelope,
    read_event,
    subscribe_batches,
)
from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.deadletters import DeadLetters, Handler, Letter, describe, retrying
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.settings import ServiceSettings

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

TRACE = frozenset({"traceparent", "tracestate"})

IGNORED_FLUSH_SECONDS = 5.0


class Reaction:
    """Subclasses set `name`, the upstream contracts, and implement `react`."""

    name: ClassVar[str]
    upstream: ClassVar[Sequence[EventContract]]

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        """Decides what the event means here; returns the aggregates whose new events to save.

        Runs in a worker thread, like every command; returns () for events it ignores."""
        raise NotImplementedError


class ReactionRunner:
    def __init__(
        self,
        broker: KafkaBroker,
        app: ServiceApplication,
        reaction: Reaction,
        settings: ServiceSettings,
        dead_letters: DeadLetters,
    ) -> None:
        self.app = app
        self.reaction = reaction
        self.settings = settings
        self.dead_letters = dead_letters
        self.contracts = {c.topic: c for c in reaction.upstream}
        group = f"{settings.schema_name}.{reaction.name}"
        self.handler = Handler("reaction", reaction.name, group)
        self.subscriber = subscribe_batches(
            broker,
            settings,
            self.contracts,
            group,
            self._handle,
            description=f"{settings.service} reacts: {type(reaction).__doc__ or reaction.name}",
        )
        self._ignored: dict[str, int] = {}
        """Tracking name -> the last sequence passed over, not yet recorded."""
        self._ignored_recorded_at = time.monotonic()

    async def _handle(self, body: Any, msg: KafkaMessage) -> None:
        """A batch, record by record: each the reaction acts on is retried, then parked, on
        its own, so one bad record neither stops the rest nor is applied twice. The batch's
        offsets are committed once it is through."""
        records: Sequence[ConsumerRecord] = msg.raw_message
        for record in records:
            if not await self._ignorable(record):
                await self._handle_one(record)

    async def _handle_one(self, record: ConsumerRecord) -> None:
        async def attempt(n: int, last: bool) -> None:
            try:
                await asyncio.to_thread(self.process, record)
            except Undecodable as e:
                # Retrying the same bytes with the same code cannot help: park it now.
                await self.park(record, e, 1)
            except Exception as e:
                if not last:
                    raise
                await self.park(record, e, n)

        # Its own consumer span, child of the upstream publish: the events it causes are
        # published in the trace of the request that started the conversation.
        headers = {k: v.decode("utf-8", "replace") for k, v in record.headers if k in TRACE}
        with tracer.start_as_current_span(
            f"{record.topic} process",
            context=propagate.extract(headers),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.kafka.destination.partition": record.partition,
                "messaging.kafka.message.offset": record.offset,
                "messaging.consumer.group.name": self.handler.group,
            },
        ):
            await retrying(
                self.settings,
                f"reaction {self.reaction.name}: {record.topic}/{record.partition}@{record.offset}",
                attempt,
            )

    async def _ignorable(self, record: ConsumerRecord) -> bool:
        """Passes over a record of a type the reaction has no model of, by its raw headers,
        noting its position; records the positions passed over when they have waited long
        enough."""
        if not ignored(self.contracts[record.topic], record):
            return False
        try:
            sequence = int(raw_header(record, "ce_sequence") or b"")
        except ValueError:
            sequence = 0  # no position to note: the committed offset moves past it
        if sequence > 0:
            name = self._tracking_name(record)
            self._ignored[name] = max(self._ignored.get(name, 0), sequence)
        if time.monotonic() - self._ignored_recorded_at >= IGNORED_FLUSH_SECONDS:
            self._ignored_recorded_at = time.monotonic()
            ignored_positions, self._ignored = self._ignored, {}
            for name, position in ignored_positions.items():
                await asyncio.to_thread(self._record_ignored, name, position)
        return True

    def _record_ignored(self, name: str, sequence: int) -> None:
        recorder: Any = self.app.recorder
        try:
            with recorder.datastore.transaction(commit=True) as curs:
                recorder._insert_tracking(curs, Tracking(name, sequence))
        except IntegrityError:
            pass  # a position at or past it is recorded: another replica moved on
        except Exception as e:  # noqa: BLE001 - only bookkeeping: the next flush retries
            log.warning("reaction %s: position %s not recorded: %s", self.reaction.name, name, e)
            self._ignored[name] = max(self._ignored.get(name, 0), sequence)

    def _tracking_name(self, record: ConsumerRecord) -> str:
        return f"{self.reaction.name}:{record.topic}#{record.partition}"

    def process(self, record: ConsumerRecord) -> bool:
        """Applies one upstream record; False when it had been applied before."""
        envelope = read_envelope(record)
        tracking_name = self._tracking_name(record)
        conflict: IntegrityError | None = None
        for _attempt in range(3):
            done = self.app.recorder.max_tracking_id(tracking_name) or 0  # type: ignore[attr-defined]
            if envelope.sequence <= done:
                return False
            event = read_event(self.contracts[record.topic], record, envelope)
            try:
                react_and_save(
                    self.app,
                    self.reaction,
                    event,
                    envelope,
                    Tracking(tracking_name, envelope.sequence),
                )
                return True
            except IntegrityError as e:
                # Another consumer of this partition (a rebalance) or a concurrent command
                # got there first: look again from the top.
                log.info("reaction %s retrying %s", self.reaction.name, envelope.id)
                conflict = e
        raise RuntimeError(
            f"reaction {self.reaction.name} kept conflicting on {envelope.id}: {conflict}"
        )

    async def park(self, record: ConsumerRecord, error: BaseException, attempts: int) -> None:
        letter = Letter(self.handler, record, describe(error), attempts)
        await self.dead_letters.publish(letter)
        await asyncio.to_thread(self._record_parked, letter)
        self.dead_letters.parked(letter)

    def _record_parked(self, letter: Letter) -> None:
        """The dead letter and the upstream position past it, in one transaction of the event
        store, where the reaction keeps its position."""
        recorder: Any = self.app.recorder
        try:
            envelope: Envelope | None = read_envelope(letter.record)
        except Undecodable:
            envelope = None  # no position to record: Kafka's committed offset moves past it
        try:
            with recorder.datastore.transaction(commit=True) as curs:
                if envelope is not None:
                    tracking = Tracking(self._tracking_name(letter.record), envelope.sequence)
                    recorder._insert_tracking(curs, tracking)
                curs.execute(self.dead_letters.insert_statement(), letter.row())
        except IntegrityError:
            log.info("reaction %s: %s was handled meanwhile", self.reaction.name, letter.record)


def react_and_save(
    app: ServiceApplication,
    reaction: Reaction,
    event: PublicEvent | None,
    envelope: Envelope,
    tracking: Tracking,
) -> None:
    """The reaction's decision and its new events, saved with `tracking` in one transaction."""
    with context.caused_by(envelope.correlation_id, envelope.id):
        aggregates = () if event is None else reaction.react(app, event, envelope)
        pending = [e for a in aggregates for e in a.collect_events()]
        app.events.put(pending, tracking=tracking)


def replay(
    app: ServiceApplication, reaction: Reaction, letter_id: int, record: ConsumerRecord
) -> bool:
    """Puts a parked record through the reaction again, once: its new events are saved with
    the tracking row `dead-letter:<id>`, so a second replay finds it and does nothing. False
    when it had been replayed before."""
    marker = f"dead-letter:{letter_id}"
    if app.recorder.max_tracking_id(marker):  # type: ignore[attr-defined]
        return False
    envelope = read_envelope(record)
    event = read_event({c.topic: c for c in reaction.upstream}[record.topic], record, envelope)
    try:
        react_and_save(app, reaction, event, envelope, Tracking(marker, 1))
    except IntegrityError:
        return False
    return True
