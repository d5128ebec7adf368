"""Outbox relay: the event store's notification log is the outbox.

Commands only write PostgreSQL, so they succeed while Kafka is down. The relay reads new
notifications in order, publishes each one's public form to the service's topic keyed by
aggregate id with an idempotent producer (acks=all), and records its position only after the
broker acknowledged the whole batch: a crash re-publishes at most one batch (at least once),
never skips. An event it cannot publish (its public form fails, the broker refuses the
record) stops it at that event, reported on /readyz and in /metrics and retried until a
version that can publish it runs. One relay per service is active (leader.py), so that
replicas never interleave their publications, and a standby takes over within a lease when
the active one dies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from eventsourcing.persistence import Notification
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags

from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.envelope import Envelope, ce_id, source_for
from bizdev_common.eventstore import META_KEY, ServiceApplication
from bizdev_common.leader import Leader, lead
from bizdev_common.producer import BatchProducer
from bizdev_common.settings import ServiceSettings
from bizdev_common.tasks import IdlePolls, pause, wake_or_pause

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


STUCK_LOG_INTERVAL = 60.0


@dataclass
class Stuck:
    """The event the relay cannot publish and stays at: on /readyz and in /metrics."""

    position: int
    aggregate_id: str
    version: int
    error: str
    since: float = field(default_factory=time.time)
    retries: int = 0
    logged_at: float | None = None

    def report(self) -> None:
        """Logs at most once a minute, however often the relay retries."""
        now = time.monotonic()
        if self.logged_at is None or now - self.logged_at >= STUCK_LOG_INTERVAL:
            self.logged_at = now
            log.error(
                "relay stuck at notification %d (%s version %d) since %s, retrying, never "
                "skipping it: %s",
                self.position,
                self.aggregate_id,
                self.version,
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.since)),
                self.error,
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "stuck_at": self.position,
            "aggregate_id": self.aggregate_id,
            "version": self.version,
            "error": self.error,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.since)),
        }


class OutboxRelay:
    def __init__(
        self, app: ServiceApplication, contract: EventContract, settings: ServiceSettings
    ) -> None:
        self.app = app
        self.contract = contract
        self.settings = settings
        self.source = source_for(settings.service)
        self.table = f'"{settings.schema_name}".outbox_position'
        self.published = 0
        self.stuck: Stuck | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        """Runs until `stopping` is set; every failure is retried from the recorded position."""
        backoff = 0.5
        while not stopping.is_set():
            try:
                await self._run_once(stopping)
                backoff = 0.5
            except Exception as e:  # noqa: BLE001 - any failure: reconnect and resume from the recorded position
                log.warning("relay interrupted, retrying in %.1fs: %s", backoff, e)
                await pause(stopping, backoff)
                backoff = min(backoff * 2, 10.0)

    async def _run_once(self, stopping: asyncio.Event) -> None:
        # One outbox per schema, so one leader per schema.
        name = f"bizdev-relay:{self.settings.schema_name}"
        async with lead(
            self.settings.database_url, name, self.settings.leader_lease_seconds, stopping
        ) as conn:
            if conn is None:
                return
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                "(id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), position bigint NOT NULL)"
            )
            await conn.execute(
                f"INSERT INTO {self.table} (position) VALUES (0) ON CONFLICT DO NOTHING"
            )
            producer = BatchProducer(
                self.settings.kafka_bootstrap_servers, f"{self.settings.service}-relay"
            )
            try:
                await producer.connect(self.contract.topic)
                # The position is written only through the leader's connection (fenced), and
                # the loop ends when the lease is lost or the service stops.
                await self._publish_loop(conn, producer, conn.resigned)
            finally:
                await producer.close()

    async def _publish_loop(
        self, conn: Leader, producer: BatchProducer, stopping: asyncio.Event
    ) -> None:
        position: int = await conn.fetchval(f"SELECT position FROM {self.table}")
        # The event store NOTIFYs in every transaction that inserts events: the relay wakes
        # on it rather than at the next poll, and still polls in case a notification is lost
        # (a reconnect). Cleared before each look, so one arriving meanwhile is not missed.
        woken = asyncio.Event()
        await conn.listen(self.app.recorder.channel_name, woken.set)  # type: ignore[attr-defined]
        polls = IdlePolls(self.settings.relay_poll_seconds)
        while not stopping.is_set():
            woken.clear()
            batch = await asyncio.to_thread(self._select, position)
            if not batch:
                producer.poll()
                await wake_or_pause(woken, stopping, polls.next())
                continue
            polls.found()
            done, failure = await self._publish(producer, batch)
            if done:
                position = done[-1].id
                await conn.execute(f"UPDATE {self.table} SET position = $1", position)
                self.published += len(done)
            if failure is None:
                self.stuck = None
                continue
            # Never skip: stay at the event until a version that can publish it runs.
            n, error = failure
            if self.stuck is None or self.stuck.position != n.id:
                self.stuck = Stuck(n.id, str(n.originator_id), n.originator_version, error)
            self.stuck.report()
            self.stuck.retries += 1
            await pause(stopping, min(0.5 * 2**self.stuck.retries, 30.0))

    async def _publish(
        self, producer: BatchProducer, batch: Sequence[Notification]
    ) -> tuple[list[Notification], tuple[Notification, str] | None]:
        """Publishes a batch in order; returns the notifications acknowledged up to the first
        one that cannot be published, and that one with its error. A broker that cannot be
        reached is not the event's fault: that raises, and the relay reconnects.

        One span for the batch, by OpenTelemetry's convention for batch publishing: it links
        to each record's creation context, which for an outbox is the command that stored the
        event. Each record carries that context, so a consumer continues the command's trace
        (a reaction in another service is in the request's trace) and finds the publish by
        its link."""
        topic = self.contract.topic
        forms: list[tuple[Notification, Published | None]] = []
        failure: tuple[Notification, str] | None = None
        for n in batch:
            try:
                forms.append((n, published_form(self.app, self.contract, self.source, n)))
            except Exception as e:  # noqa: BLE001 - any error in the mapping is this event's
                failure = (n, f"{type(e).__name__}: {e}")
                break
        records = [f for _, f in forms if f is not None]
        links = [f.link for f in records if f.link is not None]
        with tracer.start_as_current_span(
            f"{topic} publish", kind=SpanKind.PRODUCER, links=links
        ) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.destination.name", topic)
            span.set_attribute("messaging.batch.message_count", len(records))
            span.set_attribute("bizdev.position", batch[-1].id)
            acknowledged, refusal = await producer.publish(
                topic, [(f.key, f.value, f.envelope.headers(f.trace)) for f in records]
            )
        if refusal is None:
            return [n for n, _ in forms], failure
        # The broker refused the record after the acknowledged ones: the relay stays at its
        # event, and the events before it that it does not publish are done.
        at = [n for n, form in forms if form is not None][acknowledged]
        return [n for n, _ in forms if n.id < at.id], (at, refusal)

    def _select(self, after: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(
            after, self.settings.relay_batch_size, inclusive_of_start=False
        )


@dataclass(frozen=True)
class Published:
    """A stored event as the service publishes it: its public model, the record's key and
    value (the model's JSON, encoded once), its CloudEvents envelope (`ce_sequence` is its
    notification id), the trace context of the command that stored it (what the record
    carries) and a link to that command's span (what a batch's span links to)."""

    public: PublicEvent
    key: bytes
    value: bytes
    envelope: Envelope
    trace: dict[str, str]
    link: Link | None


def published_form(
    app: ServiceApplication, contract: EventContract, source: str, n: Notification
) -> Published | None:
    """None for an event the service does not publish. The relay sends this to Kafka, and the
    service's own views (feed.py) apply the same."""
    domain_event = app.mapper.to_domain_event(n)
    public = contract.to_public(domain_event)
    if public is None:
        return None
    meta: dict[str, str] = orjson.loads(n.state).get(META_KEY, {})
    subject = str(n.originator_id)
    envelope = Envelope(
        id=ce_id(subject, n.originator_version),
        source=source,
        type=contract.ce_type(type(public)),
        time=public.occurred_at,
        subject=subject,
        sequence=n.id,
        correlation_id=meta.get("correlation_id"),
        causation_id=meta.get("causation_id"),
    )
    return Published(
        public,
        subject.encode(),
        public.model_dump_json().encode(),
        envelope,
        meta,
        command_link(meta),
    )


OWN_META = frozenset({"correlation_id", "causation_id"})
"""What the event store saves in an event's meta beside what the propagators inject."""


def command_link(meta: dict[str, str]) -> Link | None:
    """A link to the span of the command that stored the event, from the trace context saved
    with it. Its W3C `traceparent` is read here directly: the propagators' extract (a context,
    a regular expression and validation per event) was a tenth of the relay's time. Another
    propagator's keys (OTEL_PROPAGATORS) go through the propagators, and an event stored
    outside any trace (nothing beside its ids: the propagators wrote nothing) links nowhere."""
    traceparent = meta.get("traceparent")
    if traceparent is None:
        if meta.keys() <= OWN_META:
            return None
        context = trace.get_current_span(propagate.extract(meta)).get_span_context()
        return Link(context) if context.is_valid else None
    parts = traceparent.split("-")
    if len(parts) != 4 or parts[0] != "00" or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        context = SpanContext(
            int(parts[1], 16), int(parts[2], 16), True, TraceFlags(int(parts[3], 16) & 0xFF)
        )
    except ValueError:
        return None
    return Link(context) if context.is_valid else None
