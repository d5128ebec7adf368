"""Complaints over HTTP (REGULATIONS 4.3), against the real crm service, Kafka and PostgreSQL:
the whole path to ComplaintClosed on the topic, the response deadline escalating exactly once
with a clock the test moves, the owner's queue and the counts, and every refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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
    analysis,
    assigned,
    closed,
    receive,
    register,
    view,
)
from .flows import ok

if TYPE_CHECKING:
    # Imported by name at run time, pytest would try to collect it as a test class.
    from .conftest import TestClock


def _types(records: list[Any]) -> list[str]:
    return [headers_of(r)["ce_type"].split(".")[2] for r in records]


async def _complaint(
    crm_http: httpx.AsyncClient, complaint_id: str, headers: dict[str, str], version: int = 1
) -> dict[str, Any]:
    r = await crm_http.get(
        f"/complaints/{complaint_id}", params={"min_version": version}, headers=headers
    )
    return await ok(r)


async def test_complaint_path_over_http_to_complaint_closed_on_the_topic(
    crm_http: httpx.AsyncClient, infra: Infra
) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    [contact] = (await view(crm_http, customer["id"], customer["version"], people.rep))["contacts"]

    received = await receive(
        crm_http, people, customer["id"], channel="email", contact_id=contact["contact_id"]
    )
    complaint_id = received["id"]
    fresh = await _complaint(crm_http, complaint_id, people.rep)
    assert fresh["state"] == "received"
    assert fresh["department"] == people.department
    due = datetime.fromisoformat(fresh["response_due_at"])
    assert due - datetime.fromisoformat(fresh["received_at"]) == timedelta(hours=8)

    def post(step: str, body: dict[str, Any], who: dict[str, str]) -> Any:
        return crm_http.post(f"/complaints/{complaint_id}/{step}", json=body, headers=who)

    await ok(await post("assign", {"owner": people.owner_id}, people.head))
    await ok(await post("respond", {"proposal": "A discount on the next order"}, people.owner))
    await ok(await post("reopen", {"reason": "Wants the freight back"}, people.owner))
    await ok(await post("respond", {"proposal": "Refund the freight"}, people.owner))
    await ok(await post("resolve", {"resolution": "Freight refunded"}, people.owner))

    no_satisfaction = await post("close", analysis(satisfaction=None), people.owner)
    assert no_satisfaction.status_code == 422
    assert [e["field"] for e in problem_of(no_satisfaction)["errors"]] == ["body.satisfaction"]
    no_cause = await post("close", {"satisfaction": 4}, people.owner)
    assert no_cause.status_code == 422
    assert problem_of(no_cause)["errors"][0]["field"] == "body.cause"

    final = await ok(await post("close", analysis(), people.owner))
    assert final["version"] == 7

    done = await _complaint(crm_http, complaint_id, people.auditor, final["version"])
    assert done["state"] == "closed"
    assert done["owner"] == people.owner_id
    assert done["rounds"] == 2
    assert (done["cause"], done["satisfaction"]) == ("delivery", 4)
    assert done["escalated"] is False
    assert done["responded_at"] is not None

    history = await ok(
        await crm_http.get(f"/complaints/{complaint_id}/history", headers=people.auditor)
    )
    assert [h["event"] for h in history] == [
        "Received",
        "Assigned",
        "Responded",
        "Reopened",
        "Responded",
        "Resolved",
        "Closed",
    ]
    as_assigned = await ok(
        await crm_http.get(
            f"/complaints/{complaint_id}/as-of", params={"version": 2}, headers=people.rep
        )
    )
    assert (as_assigned["state"], as_assigned["owner"]) == ("assigned", people.owner_id)

    records = await read_topic(
        infra.kafka_bootstrap,
        CRM_TOPIC,
        lambda rs: "ComplaintClosed" in _types(by_subject(rs, complaint_id)),
    )
    mine = by_subject(records, complaint_id)
    assert _types(mine) == [
        "ComplaintReceived",
        "ComplaintAssigned",
        "ComplaintResponded",
        "ComplaintReopened",
        "ComplaintResponded",
        "ComplaintResolved",
        "ComplaintClosed",
    ]
    closing = mine[-1]
    h = headers_of(closing)
    assert h["ce_source"] == "/bizdev/crm"
    assert h["ce_id"] == f"{complaint_id}/7"
    body = json.loads(closing.value)
    assert body["cause"] == "delivery"
    assert body["satisfaction"] == 4
    assert body["customer_id"] == customer["id"]
    assert body["corrective_action"] == analysis()["corrective_action"]
    assert body["by"] == people.owner_id
    opening = json.loads(mine[0].value)
    assert opening["contact_id"] == contact["contact_id"]
    assert contact["name"] not in mine[0].value.decode()


async def test_an_unanswered_complaint_is_escalated_exactly_once_after_its_deadline(
    crm_http: httpx.AsyncClient, clocks: Callable[[str], TestClock], infra: Infra
) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    clock = clocks("crm")
    try:
        late = (await receive(crm_http, people, customer["id"], severity="critical"))["id"]
        not_due = (await receive(crm_http, people, customer["id"], severity="low"))["id"]
        answered = await assigned(crm_http, people, customer["id"], severity="critical")
        reply = await ok(
            await crm_http.post(
                f"/complaints/{answered}/respond",
                json={"proposal": "Replacement shipped today"},
                headers=people.owner,
            )
        )
        await _complaint(crm_http, answered, people.rep, reply["version"])
        await _complaint(crm_http, not_due, people.rep)
        due = datetime.fromisoformat(
            (await _complaint(crm_http, late, people.rep))["response_due_at"]
        )

        now = due + timedelta(minutes=1)
        clock.set(now)
        escalated = await eventually(
            lambda: _complaint(crm_http, late, people.rep), lambda c: c["escalated"]
        )
        assert datetime.fromisoformat(escalated["escalated_at"]) == now
        assert escalated["state"] == "received"

        # A scheduler that acted and crashed before marking the deadline fired asks again
        # after its restart: the complaint refuses a second escalation.
        conn = await asyncpg.connect(infra.database_url)
        try:
            await conn.execute(
                'INSERT INTO "crm".deadlines (kind, aggregate_id, item, due_at) '
                "VALUES ('complaint_response', $1, '', $2) "
                # As it stood before the escalation re-armed it for the next level.
                "ON CONFLICT (kind, aggregate_id, item) "
                "DO UPDATE SET fired_at = NULL, due_at = EXCLUDED.due_at",
                escalated["id"],
                due,
            )
            await eventually(
                lambda: conn.fetchval(
                    'SELECT fired_at FROM "crm".deadlines '
                    "WHERE aggregate_id = $1 AND kind = 'complaint_response'",
                    escalated["id"],
                ),
                lambda fired: fired is not None,
            )
        finally:
            await conn.close()

        history = await ok(await crm_http.get(f"/complaints/{late}/history", headers=people.rep))
        assert [h["event"] for h in history] == ["Received", "Escalated"]
        assert history[1]["by"] is None
        for other in (answered, not_due):
            assert (await _complaint(crm_http, other, people.rep))["escalated"] is False

        records = await read_topic(
            infra.kafka_bootstrap,
            CRM_TOPIC,
            lambda rs: "ComplaintEscalated" in _types(by_subject(rs, late)),
        )
        assert _types(by_subject(records, late)) == ["ComplaintReceived", "ComplaintEscalated"]
        for other in (answered, not_due):
            assert "ComplaintEscalated" not in _types(by_subject(records, other))
        body = json.loads(by_subject(records, late)[-1].value)
        assert body["by"] is None
        assert body["severity"] == "critical"
        assert body["department"] == people.department
        assert datetime.fromisoformat(body["response_due_at"]) == due
    finally:
        clock.reset()


async def test_a_deadline_armed_before_a_restart_fires_after_it(
    crm_http: httpx.AsyncClient, crm: ServiceProcess, clocks: Callable[[str], TestClock]
) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    complaint_id = await assigned(crm_http, people, customer["id"], severity="medium")
    waiting = await _complaint(crm_http, complaint_id, people.rep, version=2)
    clock = clocks("crm")
    crm.stop()
    try:
        clock.set(datetime.fromisoformat(waiting["response_due_at"]) + timedelta(seconds=1))
        crm.start()
        escalated = await eventually(
            lambda: _complaint(crm_http, complaint_id, people.rep), lambda c: c["escalated"]
        )
        assert escalated["owner"] == people.owner_id
        history = await ok(
            await crm_http.get(f"/complaints/{complaint_id}/history", headers=people.rep)
        )
        assert [h["event"] for h in history].count("Escalated") == 1
    finally:
        clock.reset()
        if not crm.running:
            crm.start()


async def test_owners_queue_shows_time_left_and_complaints_are_counted(
    crm_http: httpx.AsyncClient, clocks: Callable[[str], TestClock]
) -> None:
    people = CrmPeople()
    first = await register(crm_http, people)
    second = await register(crm_http, people)
    names = {
        c["id"]: (await view(crm_http, c["id"], 1, people.rep))["customer"]["name"]
        for c in (first, second)
    }
    clock = clocks("crm")
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set(now)
    try:
        urgent = await assigned(crm_http, people, first["id"], severity="critical")
        routine = await assigned(crm_http, people, second["id"], severity="low")
        await closed(crm_http, people, first["id"])
        last = await closed(crm_http, people, second["id"], cause="billing")
        await _complaint(crm_http, routine, people.rep, 2)
        await _complaint(crm_http, str(last["id"]), people.rep, last["version"])

        queue = await ok(await crm_http.get("/complaints/queue", headers=people.owner))
        assert [c["id"] for c in queue] == [urgent, routine]
        assert [c["time_left_seconds"] for c in queue] == [2 * 3600.0, 72 * 3600.0]
        for_head = await ok(
            await crm_http.get(
                "/complaints/queue", params={"owner": people.owner_id}, headers=people.head
            )
        )
        assert [c["id"] for c in for_head] == [urgent, routine]
        await ok(
            await crm_http.post(
                f"/complaints/{urgent}/respond",
                json={"proposal": "Call back"},
                headers=people.owner,
            )
        )
        await _complaint(crm_http, urgent, people.rep, 3)
        queue = await ok(await crm_http.get("/complaints/queue", headers=people.owner))
        assert [(c["id"], c["time_left_seconds"]) for c in queue] == [
            (routine, 72 * 3600.0),
            (urgent, None),
        ]

        period = {
            "from": (now - timedelta(seconds=1)).isoformat(),
            "to": (now + timedelta(seconds=1)).isoformat(),
            "department": people.department,
        }
        by_cause = await ok(
            await crm_http.get("/complaints/counts", params=period, headers=people.auditor)
        )
        assert by_cause["total"] == 4
        assert {c["key"]: c["count"] for c in by_cause["counts"]} == {
            "unanalysed": 2,
            "delivery": 1,
            "billing": 1,
        }
        by_customer = await ok(
            await crm_http.get(
                "/complaints/counts", params={**period, "by": "customer"}, headers=people.auditor
            )
        )
        assert {(c["key"], c["label"], c["count"]) for c in by_customer["counts"]} == {
            (customer_id, name, 2) for customer_id, name in names.items()
        }
        earlier = await ok(
            await crm_http.get(
                "/complaints/counts",
                params={**period, "to": period["from"], "from": "2020-01-01T00:00:00Z"},
                headers=people.auditor,
            )
        )
        assert earlier["total"] == 0

        listed = await ok(
            await crm_http.get(
                "/complaints",
                params={"department": people.department, "state": "closed", "sort": "received_at"},
                headers=people.rep,
            )
        )
        assert listed["total"] == 2
    finally:
        clock.reset()


async def test_complaint_refusals(crm_http: httpx.AsyncClient) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    complaint_id = (await receive(crm_http, people, customer["id"]))["id"]
    stranger = auth(unique("head"), unique("other-dept"), "employee", "department_head")

    def post(step: str, body: dict[str, Any], who: dict[str, str], **headers: str) -> Any:
        return crm_http.post(
            f"/complaints/{complaint_id}/{step}", json=body, headers={**who, **headers}
        )

    unauthenticated = [
        await crm_http.post("/complaints", json={"customer_id": customer["id"]}),
        await crm_http.get("/complaints/queue"),
    ]
    for r in unauthenticated:
        assert r.status_code == 401
        problem_of(r)

    forbidden = [
        await crm_http.post(
            "/complaints",
            json={
                "customer_id": customer["id"],
                "channel": "phone",
                "severity": "low",
                "subject": "S",
                "description": "D",
            },
            headers=people.auditor,
        ),
        await post("assign", {"owner": people.owner_id}, people.rep),
        await post("assign", {"owner": people.owner_id}, stranger),
    ]
    await ok(await post("assign", {"owner": people.owner_id}, people.head))
    forbidden.append(await post("respond", {"proposal": "Mine"}, people.rep))
    forbidden.append(await post("respond", {"proposal": "Mine"}, people.head))
    for r in forbidden:
        assert r.status_code == 403, (r.request.url, r.text)
        problem_of(r)

    conflicts = [
        await post("resolve", {"resolution": "Too early"}, people.owner),
        await post("close", analysis(), people.owner),
        await post("respond", {"proposal": "Stale"}, people.owner, **{"If-Match": '"1"'}),
    ]
    for r in conflicts:
        assert r.status_code == 409, (r.request.url, r.text)
    assert problem_of(conflicts[0])["type"].endswith("/invalid-transition")
    assert problem_of(conflicts[2])["type"].endswith("/stale-version")

    missing = "00000000-0000-0000-0000-0000000000ff"
    for r in [
        await crm_http.get(f"/complaints/{missing}", headers=people.rep),
        await crm_http.post(
            f"/complaints/{missing}/respond", json={"proposal": "x"}, headers=people.owner
        ),
        await crm_http.get(f"/complaints/{missing}/history", headers=people.rep),
    ]:
        assert r.status_code == 404, r.text
        problem_of(r)

    invalid = {
        "body.customer_id": {"customer_id": missing},
        "body.severity": {"severity": "urgent"},
        "body.channel": {"channel": "fax"},
        "body.subject": {"subject": ""},
        "body.contact_id": {"contact_id": missing},
    }
    for field, change in invalid.items():
        body = {
            "customer_id": customer["id"],
            "channel": "phone",
            "severity": "low",
            "subject": "S",
            "description": "D",
            **change,
        }
        r = await crm_http.post("/complaints", json=body, headers=people.rep)
        assert r.status_code == 422, (field, r.text)
        assert field in [e["field"] for e in problem_of(r)["errors"]], (field, r.text)
    bad_score = await post("close", analysis(satisfaction=9), people.owner)
    assert bad_score.status_code == 422
    assert problem_of(bad_score)["errors"][0]["field"] == "body.satisfaction"
    bad_period = await crm_http.get(
        "/complaints/counts", params={"from": "2026-01-01T00:00:00"}, headers=people.rep
    )
    assert bad_period.status_code == 422

    history = await ok(
        await crm_http.get(f"/complaints/{complaint_id}/history", headers=people.rep)
    )
    assert [h["event"] for h in history] == ["Received", "Assigned"]
