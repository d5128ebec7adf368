"""What an outside consumer (another service, an analytics job) reads from the topic:
CloudEvents 1.0 binary-mode headers, a body valid against the published contract, keyed by
aggregate, traceable to the request that caused it."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import httpx
from bizdev_projects.published import CONTRACT, ApplicationApproved, ProjectOpened

from .conftest import Infra, by_subject, headers_of, read_topic
from .flows import APPROVAL, REVIEW, People, draft, ok

TOPIC = "bizdev.projects.events.v1"


async def test_events_carry_cloudevents_headers_and_contract_body(
    http: httpx.AsyncClient, infra: Infra
) -> None:
    people = People()
    correlation = str(uuid.uuid4())
    trace_id = uuid.uuid4().hex
    traced = {"X-Correlation-Id": correlation, "traceparent": f"00-{trace_id}-{'1' * 16}-01"}

    lead = await ok(
        await http.post(
            "/leads",
            json={
                "customer": "Northwind",
                "need": "Analytics",
                "source": "referral",
                "estimated_value": {"amount": "120000.50", "currency": "CNY"},
            },
            headers={**people.applicant, **traced},
        ),
        201,
    )
    app_id = (await draft(http, people, lead_id=lead["id"]))["id"]
    await ok(await http.post(f"/applications/{app_id}/submit", headers=people.applicant))
    await ok(await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head))
    approval = await http.post(
        f"/applications/{app_id}/approve",
        json={**APPROVAL, "comments": "Yes"},
        headers={**people.manager, **traced},
    )
    decision = await ok(approval)
    assert approval.headers["x-correlation-id"] == correlation
    project_id = decision["project_id"]

    records = await read_topic(
        infra.kafka_bootstrap,
        TOPIC,
        lambda rs: len(by_subject(rs, app_id, project_id, lead["id"])) >= 6,
    )
    mine = by_subject(records, app_id, project_id, lead["id"])
    types = [headers_of(r)["ce_type"] for r in mine]
    for expected in [
        "LeadSubmitted",
        "ApplicationDrafted",
        "ApplicationSubmitted",
        "ApplicationReviewed",
        "ApplicationApproved",
        "ProjectOpened",
    ]:
        assert f"bizdev.projects.{expected}.v1" in types, types

    for record in mine:
        h = headers_of(record)
        assert h["ce_specversion"] == "1.0"
        assert h["ce_source"] == "/bizdev/projects"
        assert h["content-type"] == "application/json"
        assert record.key.decode() == h["ce_subject"]
        event = CONTRACT.parse(h["ce_type"], record.value)
        assert event is not None
        assert str(event.aggregate_id) == h["ce_subject"]
        assert h["ce_id"] == f"{event.aggregate_id}/{event.version}"
        assert datetime.fromisoformat(h["ce_time"]) == event.occurred_at
        assert int(h["ce_sequence"]) > 0
        assert h["traceparent"].startswith("00-")

    # One aggregate's events come in version order on one partition.
    app_records = by_subject(mine, app_id)
    assert len({r.partition for r in app_records}) == 1
    assert [
        CONTRACT.parse(headers_of(r)["ce_type"], r.value).version  # type: ignore[union-attr]
        for r in app_records
    ] == [1, 2, 3, 4]

    approved = next(r for r in mine if headers_of(r)["ce_type"].endswith("ApplicationApproved.v1"))
    body = ApplicationApproved.model_validate_json(approved.value)
    assert body.by is not None
    assert body.comments == "Yes"
    assert body.lead_id == uuid.UUID(lead["id"])
    assert body.expected_revenue.amount == Decimal("1250000.00")
    opened_record = next(r for r in mine if headers_of(r)["ce_type"].endswith("ProjectOpened.v1"))
    opened = ProjectOpened.model_validate_json(opened_record.value)
    assert str(opened.aggregate_id) == project_id

    # The approval and the project it opened share the request's correlation id and trace.
    for record in (approved, opened_record):
        h = headers_of(record)
        assert h["ce_correlationid"] == correlation
        assert h["ce_causationid"].startswith("request:")
        assert h["traceparent"].split("-")[1] == trace_id
    lead_record = by_subject(mine, lead["id"])[0]
    assert headers_of(lead_record)["ce_correlationid"] == correlation


async def test_asyncapi_page_documents_the_published_events(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/asyncapi.json")).json()
    text = str(spec)
    assert TOPIC in text
    for name in [
        "ApplicationSubmitted",
        "ApplicationApproved",
        "ApplicationRejected",
        "ProjectOpened",
        "LeadSubmitted",
    ]:
        assert name in spec["components"]["schemas"], name
    page = await http.get("/asyncapi")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    openapi = (await http.get("/openapi.json")).json()
    assert "/applications/{application_id}/approve" in openapi["paths"]


async def test_operations_endpoints(http: httpx.AsyncClient) -> None:
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"postgresql": "ok", "views": "ok", "kafka": "ok"}
    await http.get("/applications")
    metrics = (await http.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/applications",status="401"}' in metrics
