"""One trace from the HTTP request through the event store and the relay's Kafka publish
into the consumers that read the event, as exported over OTLP by the real processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import httpx

from .conftest import Collector, Span
from .flows import People, draft, ok

SERVER, PRODUCER, CONSUMER = 2, 4, 5  # OTLP SpanKind values


async def _eventually(find: Callable[[], list[Span]], within: float = 30) -> list[Span]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if found := find():
            return found
        await asyncio.sleep(0.2)
    return []


async def test_request_trace_reaches_the_kafka_publish_and_the_projector(
    http: httpx.AsyncClient, collector: Collector
) -> None:
    people = People()
    trace_id = uuid.uuid4().hex
    created = await draft(http, people)
    r = await http.post(
        f"/applications/{created['id']}/submit",
        headers={**people.applicant, "traceparent": f"00-{trace_id}-{'2' * 16}-01"},
    )
    await ok(r)

    publishes = await _eventually(
        lambda: [s for s in collector.trace(trace_id) if s.kind == PRODUCER]
    )
    assert publishes, collector.trace(trace_id)
    spans = collector.trace(trace_id)
    assert any(s.kind == SERVER and "submit" in s.name for s in spans), spans
    assert any(s.name.split()[0] in {"INSERT", "SELECT", "LOCK"} for s in spans), spans
    publish = publishes[0]
    assert publish.name == "bizdev.projects.events.v1 publish"

    # The projector consumes in batches, so by OpenTelemetry's convention its span starts a
    # trace of its own that links to the publish of every message in the batch.
    consumers = await _eventually(lambda: collector.linked_to(publish))
    assert consumers, "no consumer span links to the publish"
    assert all(c.kind == CONSUMER and c.service == "projects" for c in consumers)
