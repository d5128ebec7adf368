"""A reaction passes over the upstream events its tolerant reader has no model of without a
transaction each, and records the position past them in bulk; the events it acts on take
the usual, exactly-once path."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord
from bizdev_common import reactions
from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.deadletters import DeadLetters
from bizdev_common.envelope import Envelope
from bizdev_common.reactions import Reaction, ReactionRunner
from bizdev_common.settings import ServiceSettings
from eventsourcing.domain import Aggregate
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry


class Opened(PublicEvent):
    """The one upstream event the reaction reads."""


UPSTREAM = EventContract.reading("upstream", Opened)


class Watching(Reaction):
    name = "watching"
    upstream = (UPSTREAM,)

    def react(self, app: Any, event: PublicEvent, envelope: Envelope) -> Sequence[Aggregate]:
        return ()


class Recorder:
    """The event store's recorder, as far as recording a position goes."""

    def __init__(self) -> None:
        self.transactions: list[list[tuple[str, int]]] = []
        self.datastore = self

    @contextlib.contextmanager
    def transaction(self, commit: bool) -> Iterator[list[tuple[str, int]]]:
        written: list[tuple[str, int]] = []
        yield written
        self.transactions.append(written)

    def _insert_tracking(self, curs: list[tuple[str, int]], tracking: Any) -> None:
        curs.append((tracking.application_name, tracking.notification_id))


class App:
    def __init__(self) -> None:
        self.recorder = Recorder()


def record(ce_type: str, sequence: int, partition: int = 0) -> ConsumerRecord:  # type: ignore[type-arg]
    envelope = Envelope(
        id=f"{uuid4()}/1",
        source="/bizdev/upstream",
        type=ce_type,
        time=datetime.now(UTC),
        subject=str(uuid4()),
        sequence=sequence,
    )
    return ConsumerRecord(
        topic=UPSTREAM.topic,
        partition=partition,
        offset=sequence,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"{}",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=2,
        headers=envelope.headers({}),
    )


async def test_ignored_events_cost_no_transaction_each_and_their_position_is_recorded_in_bulk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = ServiceSettings(service="test")
    app = App()
    runner = ReactionRunner(
        KafkaBroker(), app, Watching(), settings, DeadLetters(settings, CollectorRegistry())
    )  # type: ignore[arg-type]
    now = [1000.0]
    monkeypatch.setattr(reactions.time, "monotonic", lambda: now[0])
    runner._ignored_recorded_at = now[0]

    other = "bizdev.upstream.Revised.v1"
    for sequence in range(1, 101):
        assert await runner._ignorable(record(other, sequence, partition=sequence % 2))
    assert app.recorder.transactions == []  # a hundred passed over, nothing written yet

    # The one type it reads takes the usual path (a transaction with its position).
    assert not await runner._ignorable(record(UPSTREAM.ce_type(Opened), 101))

    now[0] += reactions.IGNORED_FLUSH_SECONDS
    assert await runner._ignorable(record(other, 102))
    # One write per partition, each the furthest position passed over.
    assert sorted(t for written in app.recorder.transactions for t in written) == [
        (f"watching:{UPSTREAM.topic}#0", 102),
        (f"watching:{UPSTREAM.topic}#1", 99),
    ]
