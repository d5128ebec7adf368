"""Customers over HTTP (REGULATIONS 4.1, 4.2), against the real crm and projects services,
Kafka and PostgreSQL: the customer file and its 360° view, follow-ups, customer events,
dealings from the projects service, erasure of personal data, and every refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from .conftest import (
    Infra,
    ServiceProcess,
    auth,
    by_subject,
    eventually,
    headers_of,
    problem_of,
    read_topic,
    unique,
)
from .crm_flows import (
    CRM_TOPIC,
    CrmPeople,
    closed,
    contact_body,
    customer_body,
    read_every_topic,
    register,
    view,
)
from .flows import People, approved, ok

if TYPE_CHECKING:
    # Imported by name at run time, pytest would try to collect it as a test class.
    from .conftest import TestClock


async def test_customer_file_and_its_360_view(crm_http: httpx.AsyncClient) -> None:
    people = CrmPeople()
    zhang = contact_body()
    created = await register(crm_http, people, contacts=[zhang], owner=people.owner_id)
    customer_id = created["id"]

    li = contact_body("CFO")
    added = await ok(
        await crm_http.post(f"/customers/{customer_id}/contacts", json=li, headers=people.owner),
        201,
    )
    updated = await ok(
        await crm_http.patch(
            f"/customers/{customer_id}",
            json={"needs": "Cold storage as well"},
            headers={**people.owner, "If-Match": f'"{added["version"]}"'},
        )
    )
    proposal = await ok(
        await crm_http.post(
            f"/customers/{customer_id}/proposals",
            json={
                "title": "Pilot warehouse",
                "description": "One warehouse for three months",
                "value": {"amount": "380000.00", "currency": "CNY"},
            },
            headers=people.rep,
        ),
        201,
    )
    await ok(
        await crm_http.post(
            f"/customers/{customer_id}/proposals/{proposal['proposal_id']}/outcome",
            json={"outcome": "accepted", "notes": "Start in January"},
            headers=people.rep,
        )
    )

    visit = await ok(
        await crm_http.post(
            "/follow-ups",
            json={"customer_id": customer_id, "due_on": "2026-12-15", "purpose": "Pilot review"},
            headers=people.rep,
        ),
        201,
    )
    await ok(
        await crm_http.post(
            f"/follow-ups/{visit['id']}/outcome",
            json={"visited_on": "2026-12-14", "satisfaction": 5, "notes": "Very happy"},
            headers=people.rep,
        )
    )
    closing = await closed(crm_http, people, customer_id, satisfaction=3)

    seminar = await ok(
        await crm_http.post(
            "/customer-events",
            json={
                "kind": "industry_seminar",
                "title": "Logistics 2027",
                "held_on": "2027-03-01",
                "venue": "Shenzhen HQ",
            },
            headers=people.rep,
        ),
        201,
    )
    await ok(
        await crm_http.post(
            f"/customer-events/{seminar['id']}/invitations",
            json={"customer_id": customer_id},
            headers=people.rep,
        )
    )
    attendance = await ok(
        await crm_http.post(
            f"/customer-events/{seminar['id']}/attendance",
            json={"customer_id": customer_id, "attended": True},
            headers=people.rep,
        )
    )
    event = await ok(
        await crm_http.get(
            f"/customer-events/{seminar['id']}",
            params={"min_version": attendance["version"]},
            headers=people.rep,
        )
    )
    assert event["attended"] == 1
    [invitee] = event["invitations"]
    assert (invitee["customer_id"], invitee["attended"]) == (customer_id, True)

    await ok(
        await crm_http.get(
            f"/complaints/{closing['id']}",
            params={"min_version": closing["version"]},
            headers=people.rep,
        )
    )
    await ok(
        await crm_http.get(
            f"/follow-ups/{visit['id']}", params={"min_version": 2}, headers=people.rep
        )
    )
    # The owner sees the contact persons in the clear (test_need_to_know: who else does).
    whole = await view(crm_http, customer_id, updated["version"] + 2, people.owner)
    file = whole["customer"]
    assert file["owner"] == people.owner_id
    assert file["department"] == people.department
    assert file["needs"] == "Cold storage as well"
    assert file["channel"] == "trade_show"
    assert len(file["contact_ids"]) == 2
    contacts = {c["contact_id"]: c for c in whole["contacts"]}
    assert set(contacts) == set(file["contact_ids"])
    assert contacts[added["contact_id"]]["position"] == "CFO"
    shown = sorted((c["name"], c["phone"], c["email"]) for c in whole["contacts"])
    assert shown == sorted((c["name"], c["phone"], c["email"]) for c in (zhang, li))
    assert not any(c["erased"] for c in whole["contacts"])
    [offered] = whole["proposals"]
    assert offered["value"] == {"amount": "380000.00", "currency": "CNY"}
    assert offered["outcome"] == "accepted"
    assert [f["satisfaction"] for f in whole["follow_ups"]] == [5]
    assert [c["state"] for c in whole["complaints"]] == ["closed"]
    assert [e["title"] for e in whole["events"]] == ["Logistics 2027"]
    assert [(p["source"], p["score"]) for p in whole["satisfaction_trend"]] == [
        ("follow_up", 5),
        ("complaint", 3),
    ]
    assert whole["average_satisfaction"] == 4.0

    listed = await ok(
        await crm_http.get(
            "/customers",
            params={"department": people.department, "q": file["name"][-12:]},
            headers=people.rep,
        )
    )
    assert [c["id"] for c in listed["items"]] == [customer_id]


async def test_overdue_follow_ups_are_listed_by_the_service_clock(
    crm_http: httpx.AsyncClient, clocks: Callable[[str], TestClock]
) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    clock = clocks("crm")
    clock.set(datetime(2031, 5, 10, 12, tzinfo=UTC))
    try:
        ids = {}
        for due in ("2031-05-07", "2031-05-08", "2031-05-09", "2031-05-10", "2031-05-12"):
            ids[due] = (
                await ok(
                    await crm_http.post(
                        "/follow-ups",
                        json={"customer_id": customer["id"], "due_on": due, "purpose": "Visit"},
                        headers=people.rep,
                    ),
                    201,
                )
            )["id"]
        await ok(
            await crm_http.post(
                f"/follow-ups/{ids['2031-05-09']}/cancel",
                json={"reason": "Customer on holiday"},
                headers=people.rep,
            )
        )
        await ok(
            await crm_http.get(
                "/follow-ups",
                params={"wait_for": ids["2031-05-09"], "min_version": 2},
                headers=people.rep,
            )
        )
        overdue = await ok(
            await crm_http.get(
                "/follow-ups/overdue", params={"visitor": people.rep_id}, headers=people.head
            )
        )
        assert [(f["id"], f["days_overdue"]) for f in overdue["items"]] == [
            (ids["2031-05-07"], 3),
            (ids["2031-05-08"], 2),
        ]
        # One at a time by cursor: the same rows, most overdue first, then no next page.
        walked, cursor = [], None
        for _ in range(3):
            page = await ok(
                await crm_http.get(
                    "/follow-ups/overdue",
                    params={"visitor": people.rep_id, "limit": 1}
                    | ({"cursor": cursor} if cursor else {}),
                    headers=people.head,
                )
            )
            assert page["total"] == 2
            walked += [f["id"] for f in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert walked == [ids["2031-05-07"], ids["2031-05-08"]]
        scheduled = await ok(
            await crm_http.get(
                "/follow-ups",
                params={"customer_id": customer["id"], "state": "scheduled"},
                headers=people.rep,
            )
        )
        assert [f["due_on"] for f in scheduled["items"]] == [
            "2031-05-07",
            "2031-05-08",
            "2031-05-10",
            "2031-05-12",
        ]
    finally:
        clock.reset()


async def test_dealings_list_a_project_opened_for_the_customer(
    crm_http: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    people = CrmPeople()
    customer_id = (await register(crm_http, people))["id"]

    applicants = People()
    decision = await approved(
        http, applicants, customer_id=customer_id, title="Smart warehouse for ACME"
    )
    await approved(http, applicants)  # a project for nobody in particular

    async def dealings() -> list[dict[str, Any]]:
        whole = await view(crm_http, customer_id, 1, people.rep)
        found: list[dict[str, Any]] = whole["dealings"]
        return found

    [dealing] = await eventually(dealings, lambda d: len(d) > 0, within=60)
    assert dealing["project_id"] == decision["project_id"]
    assert dealing["project_name"] == "Smart warehouse for ACME"
    assert dealing["department"] == applicants.department
    assert dealing["application_id"] == decision["id"]

    history = await ok(
        await crm_http.get(f"/customers/{customer_id}/history", headers=people.auditor)
    )
    recorded = [h for h in history if h["event"] == "DealingRecorded"]
    assert len(recorded) == 1
    assert recorded[0]["data"]["project_id"] == decision["project_id"]


async def test_erasure_leaves_no_personal_data_anywhere_but_keeps_the_history(
    crm_http: httpx.AsyncClient, crm: ServiceProcess, infra: Infra
) -> None:
    people = CrmPeople()
    zhang, li = contact_body(), contact_body("CFO")
    created = await register(crm_http, people, contacts=[zhang, li])
    customer_id = created["id"]
    whole = await view(crm_http, customer_id, created["version"], people.rep)
    by_name = {c["name"]: c["contact_id"] for c in whole["contacts"]}
    moved = {**li, "phone": contact_body()["phone"]}
    changed = await ok(
        await crm_http.put(
            f"/customers/{customer_id}/contacts/{by_name[li['name']]}",
            json=moved,
            headers=people.rep,
        )
    )
    wang = contact_body("Warehouse lead")
    added = await ok(
        await crm_http.post(f"/customers/{customer_id}/contacts", json=wang, headers=people.rep),
        201,
    )
    assert added["version"] == changed["version"] + 1
    complaint = await ok(
        await crm_http.post(
            "/complaints",
            json={
                "customer_id": customer_id,
                "contact_id": by_name[zhang["name"]],
                "channel": "online_chat",
                "severity": "low",
                "subject": "Invoice twice",
                "description": "Billed twice for November",
            },
            headers=people.rep,
        ),
        201,
    )
    personal = [
        value
        for contact in (zhang, li, moved, wang)
        for value in (contact["name"], contact["phone"], contact["email"])
    ]
    shown = await view(crm_http, customer_id, added["version"], people.rep)
    assert {c["name"] for c in shown["contacts"]} == {zhang["name"], li["name"], wang["name"]}

    bad_email = await crm_http.post(
        f"/customers/{customer_id}/contacts",
        json={**contact_body(), "email": f"not-an-address-{zhang['name']}"},
        headers=people.rep,
    )
    assert bad_email.status_code == 422
    assert zhang["name"] not in bad_email.text

    refused = await crm_http.post(
        f"/customers/{customer_id}/erase-personal-data",
        json={"reason": "Requested by the customer"},
        headers=people.head,
    )
    assert refused.status_code == 403
    erased = await ok(
        await crm_http.post(
            f"/customers/{customer_id}/erase-personal-data",
            json={"reason": "Requested by the customer"},
            headers=people.manager,
        )
    )
    again = await crm_http.post(
        f"/customers/{customer_id}/erase-personal-data",
        json={"reason": "Twice"},
        headers=people.manager,
    )
    assert again.status_code == 409
    problem_of(again)
    no_more = await crm_http.post(
        f"/customers/{customer_id}/contacts", json=contact_body(), headers=people.rep
    )
    assert no_more.status_code == 409

    after = await view(crm_http, customer_id, erased["version"], people.auditor)
    assert after["customer"]["personal_data_erased"] is True
    assert len(after["contacts"]) == 3
    for contact in after["contacts"]:
        assert contact["erased"] is True
        assert (contact["name"], contact["phone"], contact["email"]) == (None, None, None)
        assert contact["position"] in {"Purchasing manager", "CFO", "Warehouse lead"}
    assert [c["contact_id"] for c in after["complaints"]] == [by_name[zhang["name"]]]
    assert after["complaints"][0]["id"] == complaint["id"]

    # The history stays readable: who did what and when, with the sealed values as such.
    history = await ok(
        await crm_http.get(f"/customers/{customer_id}/history", headers=people.auditor)
    )
    assert [h["event"] for h in history] == [
        "Registered",
        "ContactPersonAdded",
        "ContactPersonAdded",
        "ContactPersonChanged",
        "ContactPersonAdded",
        "PersonalDataErased",
    ]
    assert history[1]["data"]["name"] == "(sealed personal data)"
    assert history[-1]["data"]["reason"] == "Requested by the customer"
    assert sorted(history[-1]["data"]["contact_ids"]) == sorted(after["customer"]["contact_ids"])

    records = await read_topic(
        infra.kafka_bootstrap,
        CRM_TOPIC,
        lambda rs: "CustomerDataErased" in [_type(r) for r in by_subject(rs, customer_id)],
    )
    [notice] = [r for r in by_subject(records, customer_id) if _type(r) == "CustomerDataErased"]
    assert sorted(json.loads(notice.value)["contact_ids"]) == sorted(
        after["customer"]["contact_ids"]
    )

    # Nowhere: the event store and read models (every table of every schema), any topic, logs.
    conn = await asyncpg.connect(infra.database_url)
    try:
        stored = await _every_row(conn)
        assert (
            await conn.fetchval(
                'SELECT count(*) FROM "crm".customer_keys WHERE customer_id = $1', customer_id
            )
            == 0
        )
    finally:
        await conn.close()
    # The searches do see what is there: read models in the clear, stored events as bytea,
    # and this customer's events on the crm topic.
    assert "Invoice twice" in stored
    assert b"Invoice twice".hex() in stored
    published = [
        r.value + repr(r.headers).encode() for r in await read_every_topic(infra.kafka_bootstrap)
    ]
    assert any(customer_id.encode() in p for p in published)
    logged = "".join(role.log_path.read_text() for role in crm.roles.values())
    for value in personal:
        assert value not in stored, value
        assert value.encode().hex() not in stored, value
        assert not any(value.encode() in p for p in published), value
        assert value not in logged, value


def _type(record: Any) -> str:
    return str(headers_of(record)["ce_type"].split(".")[2])


async def _every_row(conn: asyncpg.Connection) -> str:
    """Every row of every table in the database as JSON text (bytea as hex)."""
    tables = await conn.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
    )
    parts = []
    for t in tables:
        rows = await conn.fetch(
            f'SELECT row_to_json(t)::text AS j FROM "{t["table_schema"]}"."{t["table_name"]}" t'
        )
        parts.extend(r["j"] for r in rows)
    return "\n".join(parts)


async def test_customer_events_are_planned_invited_and_cancelled(
    crm_http: httpx.AsyncClient,
) -> None:
    people = CrmPeople()
    customer_id = (await register(crm_http, people))["id"]
    planned = await ok(
        await crm_http.post(
            "/customer-events",
            json={
                "kind": "appreciation",
                "title": "Year-end dinner",
                "held_on": "2026-12-20",
                "venue": "Harbour Hotel",
            },
            headers=people.rep,
        ),
        201,
    )
    event_id = planned["id"]
    stranger = await crm_http.post(
        f"/customer-events/{event_id}/invitations",
        json={"customer_id": customer_id},
        headers=people.owner,
    )
    assert stranger.status_code == 403
    await ok(
        await crm_http.post(
            f"/customer-events/{event_id}/invitations",
            json={"customer_id": customer_id},
            headers=people.head,
        )
    )
    twice = await crm_http.post(
        f"/customer-events/{event_id}/invitations",
        json={"customer_id": customer_id},
        headers=people.rep,
    )
    assert twice.status_code == 422
    not_invited = await crm_http.post(
        f"/customer-events/{event_id}/attendance",
        json={"customer_id": (await register(crm_http, people))["id"], "attended": True},
        headers=people.rep,
    )
    assert problem_of(not_invited)["errors"][0]["field"] == "body.customer_id"
    cancelled = await ok(
        await crm_http.post(
            f"/customer-events/{event_id}/cancel",
            json={"reason": "Venue closed"},
            headers=people.rep,
        )
    )
    late = await crm_http.post(
        f"/customer-events/{event_id}/attendance",
        json={"customer_id": customer_id, "attended": True},
        headers=people.rep,
    )
    assert late.status_code == 409
    listed = await ok(
        await crm_http.get(
            "/customer-events",
            params={
                "department": people.department,
                "wait_for": event_id,
                "min_version": cancelled["version"],
            },
            headers=people.rep,
        )
    )
    assert [(e["id"], e["state"]) for e in listed["items"]] == [(event_id, "cancelled")]


async def test_customer_refusals(crm_http: httpx.AsyncClient) -> None:
    people = CrmPeople()
    created = await register(crm_http, people)
    customer_id = created["id"]

    for r in [
        await crm_http.get("/customers"),
        await crm_http.post("/customers", json=customer_body()),
        await crm_http.get(f"/customers/{customer_id}", headers={"Authorization": "Bearer x"}),
    ]:
        assert r.status_code == 401
        problem_of(r)

    other = auth(unique("rep"), people.department, "employee")
    forbidden = [
        await crm_http.post("/customers", json=customer_body(), headers=people.auditor),
        await crm_http.patch(f"/customers/{customer_id}", json={"needs": "x"}, headers=other),
        await crm_http.post(
            f"/customers/{customer_id}/contacts", json=contact_body(), headers=other
        ),
        await crm_http.post(
            f"/customers/{customer_id}/erase-personal-data",
            json={"reason": "x"},
            headers=people.rep,
        ),
        await crm_http.post(
            "/follow-ups",
            json={"customer_id": customer_id, "due_on": "2027-01-01", "purpose": "Visit"},
            headers=people.auditor,
        ),
    ]
    for r in forbidden:
        assert r.status_code == 403, (r.request.url, r.text)
        problem_of(r)

    missing = "00000000-0000-0000-0000-0000000000ff"
    for r in [
        await crm_http.get(f"/customers/{missing}", headers=people.rep),
        await crm_http.patch(f"/customers/{missing}", json={"needs": "x"}, headers=people.rep),
        await crm_http.put(
            f"/customers/{customer_id}/contacts/{missing}", json=contact_body(), headers=people.rep
        ),
        await crm_http.post(
            f"/customers/{customer_id}/proposals/{missing}/outcome",
            json={"outcome": "accepted"},
            headers=people.rep,
        ),
        await crm_http.get(f"/follow-ups/{missing}", headers=people.rep),
    ]:
        assert r.status_code == 404, (r.request.url, r.text)
        problem_of(r)

    stale = await crm_http.patch(
        f"/customers/{customer_id}",
        json={"needs": "x"},
        headers={**people.rep, "If-Match": '"9"'},
    )
    assert stale.status_code == 409
    assert problem_of(stale)["type"].endswith("/stale-version")

    invalid = {
        "body.channel": customer_body(channel="cold_call"),
        "body.name": customer_body(name=""),
        "body.contacts.0.email": customer_body(contacts=[{**contact_body(), "email": "x at y"}]),
        "body.contacts.0.phone": customer_body(contacts=[{**contact_body(), "phone": "call me"}]),
        "body.contacts.0.name": customer_body(contacts=[{"position": "CFO", "name": ""}]),
        "body.unexpected": {**customer_body(), "unexpected": 1},
    }
    for field, body in invalid.items():
        r = await crm_http.post("/customers", json=body, headers=people.rep)
        assert r.status_code == 422, (field, r.text)
        assert field in [e["field"] for e in problem_of(r)["errors"]], (field, r.text)
    nothing = await crm_http.patch(f"/customers/{customer_id}", json={}, headers=people.rep)
    assert problem_of(nothing)["errors"][0]["field"] == "body.body"
    unknown_customer = await crm_http.post(
        "/follow-ups",
        json={"customer_id": missing, "due_on": str(date(2027, 1, 1)), "purpose": "Visit"},
        headers=people.rep,
    )
    assert problem_of(unknown_customer)["errors"][0]["field"] == "body.customer_id"
    bad_score = await crm_http.post(
        "/follow-ups",
        json={"customer_id": customer_id, "due_on": "2027-01-01", "purpose": ""},
        headers=people.rep,
    )
    assert bad_score.status_code == 422


async def test_crm_documents_its_events_and_routes(crm_http: httpx.AsyncClient) -> None:
    spec = (await crm_http.get("/asyncapi.json")).json()
    assert CRM_TOPIC in str(spec)
    for name in [
        "CustomerRegistered",
        "FollowUpRecorded",
        "ComplaintReceived",
        "ComplaintEscalated",
        "ComplaintResolved",
        "ComplaintClosed",
        "CustomerDataErased",
    ]:
        assert name in spec["components"]["schemas"], name
    openapi = (await crm_http.get("/openapi.json")).json()
    for path in ["/customers/{customer_id}", "/complaints/queue", "/follow-ups/overdue"]:
        assert path in openapi["paths"]
    ready = await crm_http.get("/readyz")
    assert ready.json()["checks"] == {"postgresql": "ok", "views": "ok", "kafka": "ok"}
