"""A request's trace followed through the event store, the relay's Kafka publish and into the
consumers that read the event, and into the service's own views' feed, as exported over OTLP
by the real processes. The relay publishes in batches: by OpenTelemetry's convention its
publish span is a trace of its own linking to each record's creation context, which for an
outbox is the command that stored the event; each record carries that context, so that a
consumer continues the request's trace."""

from __future__ import annotations

import uuid

import httpx

from .conftest import Collector, Span, eventually
from .crm_flows import CrmPeople, register
from .flows import APPROVAL, People, draft, ok, to_reviewed

SERVER, PRODUCER, CONSUMER = 2, 4, 5  # OTLP SpanKind values


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

    def request_and_publish() -> tuple[list[Span], list[Span]] | None:
        spans = collector.trace(trace_id)
        publishes = [s for s in collector.linked_to_trace(trace_id) if s.kind == PRODUCER]
        return (spans, publishes) if publishes and SERVER in {s.kind for s in spans} else None

    found = await eventually(request_and_publish)
    assert found is not None
    spans, publishes = found
    assert any(s.kind == SERVER and "submit" in s.name for s in spans), spans
    assert any(s.name.split()[0] in {"INSERT", "SELECT", "LOCK"} for s in spans), spans
    publish = publishes[0]
    assert publish.name == "bizdev.projects.events.v1 publish"
    assert publish.service == "projects"

    # What works in batches starts a trace of its own linking to the command of each event
    # in it: the relay's publish (above), and projects' own views' feed, reading its event
    # store, as other services' projectors reading projects' topic do.
    def own_feed() -> list[Span]:
        return [
            s
            for s in collector.linked_to_trace(trace_id)
            if s.service == "projects" and s.kind != PRODUCER
        ]

    fed = await eventually(own_feed)
    assert {(s.kind, s.name) for s in fed} == {(CONSUMER, "bizdev.projects.events.v1 apply")}


async def test_a_reaction_in_another_service_continues_the_request_trace(
    http: httpx.AsyncClient, crm_http: httpx.AsyncClient, collector: Collector
) -> None:
    customer_id = (await register(crm_http, CrmPeople()))["id"]
    people = People()
    app_id = await to_reviewed(http, people, customer_id=customer_id)
    trace_id = uuid.uuid4().hex
    await ok(
        await http.post(
            f"/applications/{app_id}/approve",
            json=APPROVAL,
            headers={**people.manager, "traceparent": f"00-{trace_id}-{'3' * 16}-01"},
        )
    )

    # crm's reaction consumes one record at a time, so its span is a child of the context
    # the record carries: the approval's command in projects. The approval saves two events
    # and crm consumes each; each process exports on its own schedule: wait until a crm
    # consumer span is found below a projects span of the request, and the publish of that
    # record linking to the request.
    def command_to_consumer() -> tuple[Span, list[str]] | None:
        spans = collector.trace(trace_id)
        ids = {s.span_id: s for s in spans}
        published = {
            span_id
            for p in collector.linked_to_trace(trace_id)
            if p.kind == PRODUCER and p.service == "projects"
            for t, span_id in p.links
            if t == trace_id
        }
        for consumer in (s for s in spans if s.kind == CONSUMER and s.service == "crm"):
            chain = [consumer.span_id]
            span: Span | None = consumer
            while span is not None:
                chain.append(span.parent_span_id)  # exported or not
                span = ids.get(span.parent_span_id)
            if published & set(chain):
                return consumer, chain
        return None

    found = await eventually(command_to_consumer)
    assert found is not None, "crm's consumer span does not descend from a published command"
    # crm and any other service reacting to the approval (finance) continue the same trace.
    assert {"projects", "crm"} <= {s.service for s in collector.trace(trace_id)}
