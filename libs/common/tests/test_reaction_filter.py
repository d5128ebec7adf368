"""A reaction passes over the upstream events its tolerant reader has no model of, by their
raw ce_type header, without decoding them or a transaction each, and records the position
past them in bulk; the events it acts on take the usual, exactly-once path."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord
from bizdev_common import reactions
from bizdev_common.consuming import Undecodable, ignored, read_envelope, read_event, record_of
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
    return record_of(UPSTREAM.topic, partition, sequence, b"k", b"{}", envelope.headers({}))


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


def raw(ce_type: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> ConsumerRecord:  # type: ignore[type-arg]
    return record_of(UPSTREAM.topic, 0, 7, b"k", value, [("ce_type", ce_type), *headers])


async def test_a_type_it_has_no_model_of_is_passed_over_by_its_raw_header_undecoded() -> None:
    """Neither the value (not JSON) nor the other headers (not CloudEvents: a consumer that
    decoded them would park the record) are read: the raw ce_type decides."""
    settings = ServiceSettings(service="test")
    app = App()
    runner = ReactionRunner(
        KafkaBroker(), app, Watching(), settings, DeadLetters(settings, CollectorRegistry())
    )  # type: ignore[arg-type]
    junk = raw(b"bizdev.upstream.Revised.v1", b"{not json", [("ce_sequence", b"\xff")])
    assert ignored(UPSTREAM, junk)
    assert await runner._ignorable(junk)
    assert runner._ignored == {}  # no readable position: Kafka's committed offset moves on

    readable = raw(b"bizdev.upstream.Revised.v1", b"{not json", [("ce_sequence", b"12")])
    assert await runner._ignorable(readable)
    assert runner._ignored == {f"watching:{UPSTREAM.topic}#0": 12}

    # The type it reads, however malformed, takes the usual path: decoded, parked if bad.
    mine = raw(UPSTREAM.ce_type(Opened).encode(), b"{not json", [])
    assert not ignored(UPSTREAM, mine)
    assert not await runner._ignorable(mine)
    with pytest.raises(Undecodable):
        read_envelope(mine)


def test_on_a_services_own_topic_an_unknown_type_is_not_ignored_but_parked() -> None:
    own = EventContract("upstream", {Opened: Opened})
    unknown = raw(b"bizdev.upstream.Revised.v1", b"{}", [])
    assert not ignored(own, unknown)
    good = record("bizdev.upstream.Revised.v1", 3)
    with pytest.raises(Undecodable, match="unknown event type"):
        read_event(own, good, read_envelope(good))
