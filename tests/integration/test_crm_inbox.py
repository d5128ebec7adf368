"""What waits on whom in crm, over HTTP against the real service, Kafka and PostgreSQL, with
a clock the test moves: a complaint not resolved in time is escalated once to the head of its
department, then once to management, and shows in their inboxes; a customer not visited in
its cycle is reported overdue once and waits in its owner's inbox until visited; a corrective
action past its due date likewise."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from .conftest import Infra, by_subject, eventually, headers_of, read_topic
from .crm_flows import CRM_TOPIC, CrmPeople, analysis, assigned, register, view
from .flows import ok

if TYPE_CHECKING:
    from .conftest import TestClock


def _types(records: list[Any]) -> list[str]:
    return [headers_of(r)["ce_type"].split(".")[2] for r in records]


async def _inbox(
    crm_http: httpx.AsyncClient, headers: dict[str, str], record_id: str, **params: Any
) -> list[dict[str, Any]]:
    body = await ok(
        await crm_http.get(
            "/inbox", params={"limit": 200, "record_id": record_id, **params}, headers=headers
        )
    )
    return [i for i in body["items"] if i["record_id"] == record_id]


async def _history(crm_http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> list[str]:
    return [h["event"] for h in await ok(await crm_http.get(f"{path}/history", headers=headers))]


async def _detail(
    crm_http: httpx.AsyncClient, complaint_id: str, headers: dict[str, str], version: int = 1
) -> dict[str, Any]:
    r = await crm_http.get(
        f"/complaints/{complaint_id}", params={"min_version": version}, headers=headers
    )
    return await ok(r)


async def _quiet(clock_ticks: int = 10) -> None:
    """Lets the scheduler (every 0.2 s in the tests) look again a few times."""
    await asyncio.sleep(0.2 * clock_ticks)


async def test_a_complaint_not_resolved_in_time_goes_to_the_head_then_once_to_management(
    crm_http: httpx.AsyncClient, clocks: Callable[[str], TestClock], infra: Infra
) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    clock = clocks("crm")
    try:
        complaint_id = await assigned(crm_http, people, customer["id"], severity="critical")
        # The inbox is written in the transaction that writes the complaint's view: once the
        # view shows the assignment (version 2), so does the inbox.
        await _detail(crm_http, complaint_id, people.rep, version=2)
        assigning = await _inbox(crm_http, people.head, complaint_id)
        assert all(i["kind"] != "complaint_to_assign" for i in assigning)  # assigned already
        answer = await eventually(
            lambda: _inbox(crm_http, people.owner, complaint_id, kind="complaint_to_answer"),
        )
        assert answer[0]["link"] == f"/complaints/{complaint_id}/respond"
        replied = await ok(
            await crm_http.post(
                f"/complaints/{complaint_id}/respond",
                json={"proposal": "Replacement shipped today"},
                headers=people.owner,
            )
        )
        waiting = await _detail(crm_http, complaint_id, people.rep, replied["version"])
        due = datetime.fromisoformat(waiting["resolution_due_at"])
        assert due - datetime.fromisoformat(waiting["received_at"]) == timedelta(hours=24)
        to_resolve = await _inbox(crm_http, people.owner, complaint_id)
        assert [(i["kind"], i["overdue"]) for i in to_resolve] == [("complaint_to_resolve", False)]

        clock.set(due + timedelta(minutes=1))
        first = await eventually(
            lambda: _detail(crm_http, complaint_id, people.rep),
            lambda c: c["resolution_escalation_level"] == 1,
        )
        assert first["state"] == "responded"
        head_items = await eventually(
            lambda: _inbox(crm_http, people.head, complaint_id, kind="complaint_escalated")
        )
        assert [
            (i["item"], i["waits_on"]["role"], i["waits_on"]["department"]) for i in head_items
        ] == [("resolution-1", "department_head", people.department)]
        assert head_items[0]["overdue"] is True
        assert await _inbox(crm_http, people.manager, complaint_id) == []
        owner_items = await _inbox(crm_http, people.owner, complaint_id)
        assert [(i["kind"], i["overdue"]) for i in owner_items] == [("complaint_to_resolve", True)]
        await _quiet()
        assert (await _history(crm_http, f"/complaints/{complaint_id}", people.rep)).count(
            "Escalated"
        ) == 1

        clock.set(due + timedelta(hours=24, minutes=1))
        await eventually(
            lambda: _detail(crm_http, complaint_id, people.rep),
            lambda c: c["resolution_escalation_level"] == 2,
        )
        management = await eventually(
            lambda: _inbox(crm_http, people.manager, complaint_id, kind="complaint_escalated")
        )
        assert [(i["item"], i["waits_on"]["role"]) for i in management] == [
            ("resolution-2", "management")
        ]
        await _quiet()
        assert (await _history(crm_http, f"/complaints/{complaint_id}", people.rep)).count(
            "Escalated"
        ) == 2

        records = await read_topic(
            infra.kafka_bootstrap,
            CRM_TOPIC,
            lambda rs: _types(by_subject(rs, complaint_id)).count("ComplaintEscalated") == 2,
        )
        escalations = [
            r
            for r in by_subject(records, complaint_id)
            if "ComplaintEscalated" in headers_of(r)["ce_type"]
        ]
        bodies = [json.loads(r.value) for r in escalations]
        assert [(b["deadline"], b["level"], b["to_role"], b["to_department"]) for b in bodies] == [
            ("resolution", 1, "department_head", people.department),
            ("resolution", 2, "management", None),
        ]

        # Resolved: nothing waits on the head or management any more; the owner closes it.
        resolved = await ok(
            await crm_http.post(
                f"/complaints/{complaint_id}/resolve",
                json={"resolution": "Replacement accepted"},
                headers=people.owner,
            )
        )
        await _detail(crm_http, complaint_id, people.rep, resolved["version"])
        assert await _inbox(crm_http, people.head, complaint_id) == []
        assert await _inbox(crm_http, people.manager, complaint_id) == []
        assert [i["kind"] for i in await _inbox(crm_http, people.owner, complaint_id)] == [
            "complaint_to_close"
        ]
    finally:
        clock.reset()


async def test_a_customer_not_visited_in_its_cycle_is_overdue_once_in_its_owners_inbox(
    crm_http: httpx.AsyncClient, clocks: Callable[[str], TestClock], infra: Infra
) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people, owner=people.owner_id)
    customer_id = str(customer["id"])
    file = (await view(crm_http, customer_id, 1, people.rep))["customer"]
    assert file["status"] == "prospect"
    due = date.fromisoformat(file["next_visit_due_on"])
    clock = clocks("crm")
    try:
        clock.set(datetime.combine(due, time(23, 59), tzinfo=UTC))
        await _quiet()
        assert await _inbox(crm_http, people.owner, customer_id) == []  # due until the day ends

        clock.set(datetime.combine(due + timedelta(days=1), time(9), tzinfo=UTC))
        items = await eventually(lambda: _inbox(crm_http, people.owner, customer_id))
        assert [(i["kind"], i["overdue"], i["link"]) for i in items] == [
            ("customer_visit_overdue", True, f"/customers/{customer_id}")
        ]
        await _quiet()
        history = await _history(crm_http, f"/customers/{customer_id}", people.rep)
        assert history.count("FollowUpOverdue") == 1
        overdue = (await view(crm_http, customer_id, 1, people.rep))["customer"]
        assert overdue["visit_overdue_since"] == due.isoformat()

        records = await read_topic(
            infra.kafka_bootstrap,
            CRM_TOPIC,
            lambda rs: "FollowUpOverdue" in _types(by_subject(rs, customer_id)),
        )
        assert _types(by_subject(records, customer_id)).count("FollowUpOverdue") == 1

        # A visit recorded: the item is settled and the cycle starts again from it.
        visit = await ok(
            await crm_http.post(
                "/follow-ups",
                json={
                    "customer_id": customer_id,
                    "due_on": (due + timedelta(days=1)).isoformat(),
                    "purpose": "Catch up",
                    "visitor": people.owner_id,
                },
                headers=people.rep,
            ),
            201,
        )
        await ok(
            await crm_http.post(
                f"/follow-ups/{visit['id']}/outcome",
                json={
                    "visited_on": (due + timedelta(days=1)).isoformat(),
                    "satisfaction": 4,
                    "notes": "Fine",
                },
                headers=people.owner,
            )
        )
        visited = await eventually(
            lambda: view(crm_http, customer_id, 1, people.rep),
            lambda v: v["customer"]["last_visited_on"] is not None,
        )
        assert visited["customer"]["visit_overdue_since"] is None
        assert visited["customer"]["next_visit_due_on"] == (due + timedelta(days=31)).isoformat()
        assert await _inbox(crm_http, people.owner, customer_id) == []
    finally:
        clock.reset()


async def test_a_corrective_action_past_due_is_reported_once_and_waits_on_its_owner(
    crm_http: httpx.AsyncClient, clocks: Callable[[str], TestClock]
) -> None:
    people = CrmPeople()
    customer = await register(crm_http, people)
    clock = clocks("crm")
    try:
        complaint_id = await assigned(crm_http, people, customer["id"])
        for step, body in (
            ("respond", {"proposal": "Refund the freight"}),
            ("resolve", {"resolution": "Freight refunded"}),
        ):
            await ok(
                await crm_http.post(
                    f"/complaints/{complaint_id}/{step}", json=body, headers=people.owner
                )
            )
        today = datetime.now(UTC).date()
        added = await ok(
            await crm_http.post(
                f"/complaints/{complaint_id}/corrective-actions",
                json={"description": "Second carrier", "owner": people.rep_id,
                      "due_on": today.isoformat()},
                headers=people.owner,
            ),
            201,
        )  # fmt: skip
        action_id = added["action_id"]
        closed = await ok(
            await crm_http.post(
                f"/complaints/{complaint_id}/close", json=analysis(), headers=people.owner
            )
        )
        await _detail(crm_http, complaint_id, people.rep, closed["version"])
        [item] = await _inbox(crm_http, people.rep, complaint_id)
        assert (item["kind"], item["item"], item["overdue"]) == (
            "corrective_action_due", action_id, False,
        )  # fmt: skip

        clock.set(datetime.combine(today + timedelta(days=1), time(0, 1), tzinfo=UTC))
        detail = await eventually(
            lambda: _detail(crm_http, complaint_id, people.rep),
            lambda c: c["corrective_actions"][0]["overdue"],
        )
        assert detail["state"] == "closed"
        [item] = await _inbox(crm_http, people.rep, complaint_id)
        assert item["overdue"] is True
        await _quiet()
        history = await _history(crm_http, f"/complaints/{complaint_id}", people.rep)
        assert history.count("CorrectiveActionOverdue") == 1

        done = await ok(
            await crm_http.post(
                f"/complaints/{complaint_id}/corrective-actions/{action_id}/complete",
                json={"outcome": "Second carrier booked"},
                headers=people.rep,
            )
        )
        await _detail(crm_http, complaint_id, people.rep, done["version"])
        assert await _inbox(crm_http, people.rep, complaint_id) == []
    finally:
        clock.reset()
