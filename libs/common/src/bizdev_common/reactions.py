"""Reactions: a service acting on other services' events, exactly once per event.

Each reaction consumes upstream topics with FastStream and, for each record, decides in the
service's own domain what to do. The new events and the upstream position (per topic and
partition, the record's `ce_sequence`) are recorded in one transaction through the
eventsourcing library's tracking table, so a redelivered or re-published record is skipped
and a crash in between leaves neither. The new events carry the upstream correlation id and
name the upstream event as their cause, so the conversation can be followed across services.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from aiokafka import ConsumerRecord
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage

from bizdev_common import context
from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.settings import ServiceSettings

log = logging.getLogger(__name__)


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
    ) -> None:
        self.app = app
        self.reaction = reaction
        self.contracts = {c.topic: c for c in reaction.upstream}
        group = f"{settings.schema_name}.{reaction.name}"
        topics = [
            Topic(
                t,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
            )
            for t in self.contracts
        ]
        self.subscriber = broker.subscriber(
            *topics,
            group_id=group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=group,
            description=f"{settings.service} reacts: {type(reaction).__doc__ or reaction.name}",
        )
        self.subscriber(self._handle)

    async def _handle(self, body: Any, msg: KafkaMessage) -> None:
        record: ConsumerRecord = msg.raw_message
        await asyncio.to_thread(self.process, record)

    def process(self, record: ConsumerRecord) -> bool:
        """Applies one upstream record; False when it had been applied before."""
        envelope = Envelope.from_headers(record.headers)
        tracking_name = f"{self.reaction.name}:{record.topic}#{record.partition}"
        for _attempt in range(3):
            done = self.app.recorder.max_tracking_id(tracking_name) or 0  # type: ignore[attr-defined]
            if envelope.sequence <= done:
                return False
            event = self.contracts[record.topic].parse(envelope.type, record.value)
            with context.caused_by(envelope.correlation_id, envelope.id):
                aggregates = () if event is None else self.reaction.react(self.app, event, envelope)
                pending = [e for a in aggregates for e in a.collect_events()]
                try:
                    self.app.events.put(
                        pending, tracking=Tracking(tracking_name, envelope.sequence)
                    )
                    return True
                except IntegrityError:
                    # Another consumer of this partition (a rebalance) or a concurrent command
                    # got there first: look again from the top.
                    log.info("reaction %s retrying %s", self.reaction.name, envelope.id)
        raise RuntimeError(f"reaction {self.reaction.name} kept conflicting on {envelope.id}")
