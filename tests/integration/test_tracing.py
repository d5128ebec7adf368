"""A request's trace followed through the event store, the relay's Kafka publish and into the
consumers that read the event, and into the service's own views' feed, as exported over OTLP
by the real processes. The relay publishes in batches: by OpenTelemetry's convention for a
batch, its publish span is a trace of its own linking to the command of every event in it,
and the consumers find that publish through each record's trace context."""

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

    # Consumers in batches start traces of their own, by OpenTelemetry's convention: other
    # services' projectors reading projects' topic link to the publish of every message in
    # the batch, and projects' own views' feed, reading its event store, to the command of
    # every event in the batch.
    assert all(c.kind == CONSUMER for c in collector.linked_to(publish))

    def own_feed() -> list[Span]:
        return [
            s
            for s in collector.linked_to_trace(trace_id)
            if s.service == "projects" and s.kind != PRODUCER
        ]

    fed = await eventually(own_feed)
    assert {(s.kind, s.name) for s in fed} == {(CONSUMER, "bizdev.projects.events.v1 apply")}


async def test_a_reaction_in_another_service_descends_from_the_publish_of_the_request(
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

    # crm's reaction consumes one record at a time, so its span is a child of the publish,
    # which links to the approval's command. The approval saves two events (published in one
    # batch or two) and crm consumes each; each process exports on its own schedule: wait
    # until a crm consumer span is found below one of projects' publishes of this request.
    def publish_to_consumer() -> tuple[Span, list[str]] | None:
        for publish in collector.linked_to_trace(trace_id):
            if publish.kind != PRODUCER or publish.service != "projects":
                continue
            spans = collector.trace(publish.trace_id)
            ids = {s.span_id: s for s in spans}
            for consumer in (s for s in spans if s.kind == CONSUMER and s.service == "crm"):
                chain = []
                span: Span | None = consumer
                while span is not None:
                    chain.append(span.span_id)
                    span = ids.get(span.parent_span_id)
                if publish.span_id in chain:
                    return consumer, chain
        return None

    found = await eventually(publish_to_consumer)
    assert found is not None, "crm's consumer span does not descend from a publish"
