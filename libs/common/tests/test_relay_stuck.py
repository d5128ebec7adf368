"""The relay never skips: at an event it cannot publish it stops, says where, and resumes from
that very event once a version that can publish it runs."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from bizdev_common.producer import Record, Unreachable
from bizdev_common.relay import OutboxRelay, Stuck, command_link
from bizdev_common.settings import ServiceSettings
from opentelemetry import propagate, trace


@dataclass
class Note:
    """What the relay reads of a notification."""

    id: int
    originator_id: uuid.UUID
    originator_version: int
    state: bytes = json.dumps({}).encode()


class Public:
    def __init__(self, n: Note) -> None:
        self.aggregate_id = n.originator_id
        self.version = n.originator_version
        self.occurred_at = datetime.now(UTC)

    def model_dump_json(self) -> str:
        return json.dumps({"id": str(self.aggregate_id)})


class Contract:
    topic = "bizdev.test.events.v1"

    def __init__(self, refuse: int | None, internal: frozenset[int] = frozenset()) -> None:
        self.refuse = refuse
        self.internal = internal
        """Events the service does not publish."""

    def to_public(self, n: Note) -> Public | None:
        if n.id == self.refuse:
            raise ValueError("date out of range")  # the bug in this version's mapping
        return None if n.id in self.internal else Public(n)

    def ce_type(self, model: type) -> str:
        return "bizdev.test.Happened.v1"


class Producer:
    """The relay's side of BatchProducer (test_relay_producer.py runs the real one against
    Kafka): acknowledges every record but the one at `refuse`, which the broker refuses, or
    which cannot reach it when `unreachable`."""

    def __init__(self, refuse: int | None = None, unreachable: bool = False) -> None:
        self.sent: list[int] = []
        self.refuse = refuse
        self.unreachable = unreachable

    async def publish(self, topic: str, records: list[Record]) -> tuple[int, str | None]:
        for i, (_, _, headers) in enumerate(records):
            position = int(dict(headers)["ce_sequence"])
            if position == self.refuse:
                if self.unreachable:
                    raise Unreachable("KafkaError _TRANSPORT: connection refused")
                return i, "KafkaError MSG_SIZE_TOO_LARGE: Broker: Message size too large"
            self.sent.append(position)
        return len(records), None

    def poll(self) -> None:
        return None


class Conn:
    def __init__(self) -> None:
        self.position = 0

    async def fetchval(self, sql: str) -> int:
        return self.position

    async def execute(self, sql: str, position: int) -> None:
        self.position = position

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        return None  # no notifications here: the relay finds the events by polling


class App:
    def __init__(self, notes: list[Note]) -> None:
        self.notes = notes
        self.mapper = self
        self.recorder = self
        self.channel_name = "stored_events"

    def to_domain_event(self, n: Note) -> Note:
        return n

    def select_notifications(self, after: int, limit: int, inclusive_of_start: bool) -> list[Note]:
        return [n for n in self.notes if n.id > after][:limit]


def relay_with(notes: list[Note], contract: Contract) -> OutboxRelay:
    settings = ServiceSettings(service="test", relay_poll_seconds=0.01)
    return OutboxRelay(App(notes), contract, settings)  # type: ignore[arg-type]


async def run_until(
    relay: OutboxRelay, conn: Conn, producer: Producer, done: Any, within: float = 5.0
) -> None:
    stopping = asyncio.Event()
    task = asyncio.create_task(relay._publish_loop(conn, producer, stopping))  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(within):
            while not done():  # noqa: ASYNC110 - polls what the relay keeps, not an event
                await asyncio.sleep(0.01)
    finally:
        stopping.set()
        await task


NOTES = [Note(i, uuid.uuid4(), 1) for i in range(1, 6)]


@pytest.mark.parametrize(
    ("contract", "producer"),
    [
        (Contract(refuse=3), Producer()),
        (Contract(refuse=None), Producer(refuse=3)),
    ],
    ids=["mapping-fails", "broker-refuses"],
)
async def test_stops_at_an_event_it_cannot_publish_and_resumes_there(
    contract: Contract, producer: Producer
) -> None:
    relay = relay_with(NOTES, contract)
    conn = Conn()
    await run_until(
        relay, conn, producer, lambda: relay.stuck is not None and relay.stuck.retries >= 2
    )
    assert producer.sent == [1, 2]  # never 4 or 5: nothing after the event is skipped to
    assert conn.position == 2
    stuck = relay.stuck
    assert isinstance(stuck, Stuck)
    assert (stuck.position, stuck.aggregate_id, stuck.version) == (
        3,
        str(NOTES[2].originator_id),
        1,
    )
    assert stuck.as_dict()["stuck_at"] == 3

    # The fixed version starts from the recorded position, at the very event.
    fixed = relay_with(NOTES, Contract(refuse=None))
    after_fix = Producer()
    await run_until(fixed, conn, after_fix, lambda: conn.position == 5)
    assert after_fix.sent == [3, 4, 5]
    assert fixed.stuck is None


async def test_the_event_the_broker_refuses_is_found_among_unpublished_ones() -> None:
    """Records are only some of the batch's events: the refusal of the second record names
    the fourth event, and the unpublished third before it is done."""
    relay = relay_with(NOTES, Contract(refuse=None, internal=frozenset({1, 3})))
    conn = Conn()
    producer = Producer(refuse=4)
    await run_until(relay, conn, producer, lambda: relay.stuck is not None)
    assert producer.sent == [2]
    assert conn.position == 3
    assert relay.stuck is not None
    assert relay.stuck.position == 4


async def test_a_broker_out_of_reach_is_not_the_events_fault() -> None:
    relay = relay_with(NOTES, Contract(refuse=None))
    with pytest.raises(Unreachable):
        await relay._publish_loop(
            Conn(),  # type: ignore[arg-type]
            Producer(refuse=1, unreachable=True),  # type: ignore[arg-type]
            asyncio.Event(),
        )
    assert relay.stuck is None


def test_logs_a_stuck_event_at_most_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    stuck = Stuck(3, "a", 1, "ValueError: date out of range")
    for _ in range(50):
        stuck.report()
    assert len([r for r in caplog.records if "relay stuck at notification 3" in r.message]) == 1


@pytest.mark.parametrize(
    "traceparent",
    [
        "00-" + "4bf92f3577b34da6a3ce929d0e0e4736" + "-" + "00f067aa0ba902b7" + "-01",
        "00-" + "4bf92f3577b34da6a3ce929d0e0e4736" + "-" + "00f067aa0ba902b7" + "-00",
        "00-" + "0" * 32 + "-" + "00f067aa0ba902b7" + "-01",  # an invalid trace id
        "00-" + "4bf92f3577b34da6a3ce929d0e0e4736" + "-" + "zz" * 8 + "-01",
        "garbage",
    ],
)
def test_links_to_the_command_as_the_propagators_read_its_context(traceparent: str) -> None:
    meta = {"correlation_id": "c", "traceparent": traceparent}
    context = trace.get_current_span(propagate.extract(meta)).get_span_context()
    link = command_link(meta)
    if context.is_valid:
        assert link is not None
        assert (link.context.trace_id, link.context.span_id, link.context.trace_flags) == (
            context.trace_id,
            context.span_id,
            context.trace_flags,
        )
    else:
        assert link is None
    assert command_link({"correlation_id": "c"}) is None  # stored without a trace
