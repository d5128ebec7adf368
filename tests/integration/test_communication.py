"""Communication over HTTP (REGULATIONS §6): meetings, minutes and action items, contacts with
outside parties; against the real service, Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from .conftest import Infra, auth, unique
from .flows import ok
from .planning_flows import Crew, executing_project, listed, named, published, refused, today


def meeting_body(crew: Crew, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "weekly",
        "title": "Week 12: pilot status",
        "meeting_date": (today() + timedelta(days=7)).isoformat(),
        "attendees": [crew.lead_id, crew.member_id],
        "agenda": "Pilot status; supplier",
    }
    body.update(overrides)
    return body


async def test_meeting_minutes_action_items_and_contacts(
    http: httpx.AsyncClient, infra: Infra
) -> None:
    crew = Crew()
    project_id, _ = await executing_project(http, crew)
    meeting = await ok(
        await http.post(
            f"/projects/{project_id}/meetings", json=meeting_body(crew), headers=crew.lead
        ),
        201,
    )
    todays, yesterdays = [
        await ok(
            await http.post(
                f"/projects/{project_id}/meetings",
                json=meeting_body(crew, kind="monthly", meeting_date=day.isoformat()),
                headers=crew.manager,
            ),
            201,
        )
        for day in (today(), today() - timedelta(days=1))
    ]
    for m in (meeting, todays, yesterdays):
        await ok(
            await http.get(f"/meetings/{m['id']}", params={"min_version": 1}, headers=crew.lead)
        )
    dashboard = await ok(await http.get(f"/projects/{project_id}/dashboard", headers=crew.member))
    assert [m["id"] for m in dashboard["next_meetings"]] == [todays["id"], meeting["id"]]

    due = (today() + timedelta(days=10)).isoformat()
    minutes = await ok(
        await http.post(
            f"/meetings/{meeting['id']}/minutes",
            json={
                "minutes": "Pilot on track; supplier confirmed",
                "attendees": [crew.lead_id, crew.member_id, crew.manager_id],
                "action_items": [
                    {"description": "Call the supplier", "owner": crew.member_id, "due_date": due},
                    {"description": "Update the plan", "owner": crew.lead_id, "due_date": due},
                ],
            },
            headers={**crew.lead, "If-Match": '"1"'},
        )
    )
    mine = await ok(
        await http.get(
            "/action-items",
            params={
                "owner": "me",
                "done": "false",
                "wait_for": meeting["id"],
                "min_version": minutes["version"],
            },
            headers=crew.member,
        )
    )
    [item] = mine["items"]
    assert (item["description"], item["owner"], item["done"]) == (
        "Call the supplier",
        crew.member_id,
        False,
    )
    assert (item["meeting_title"], item["project_id"]) == ("Week 12: pilot status", project_id)

    completed = await ok(
        await http.post(
            f"/meetings/{meeting['id']}/action-items/{item['id']}/done", headers=crew.member
        )
    )
    still_open = await ok(
        await http.get(
            "/action-items",
            params={
                "owner": "me",
                "done": "false",
                "wait_for": meeting["id"],
                "min_version": completed["version"],
            },
            headers=crew.member,
        )
    )
    assert still_open["items"] == []
    detail = await ok(await http.get(f"/meetings/{meeting['id']}", headers=crew.auditor))
    assert detail["state"] == "minuted"
    assert detail["attendees"] == [crew.lead_id, crew.member_id, crew.manager_id]
    assert sorted((i["owner"], i["done"]) for i in detail["action_items"]) == sorted(
        [(crew.member_id, True), (crew.lead_id, False)]
    )
    listed = await ok(
        await http.get(
            "/meetings", params={"project_id": project_id, "kind": "weekly"}, headers=crew.auditor
        )
    )
    assert [m["id"] for m in listed["items"]] == [meeting["id"]]

    customer_id = str(uuid.uuid4())
    contact = await ok(
        await http.post(
            f"/projects/{project_id}/contacts",
            json={
                "party_kind": "customer",
                "party": "ACME Logistics",
                "contact_date": today().isoformat(),
                "summary": "Agreed the pilot site",
                "customer_id": customer_id,
            },
            headers=crew.member,
        ),
        201,
    )
    contacts = await ok(
        await http.get(
            "/contacts",
            params={
                "project_id": project_id,
                "party_kind": "customer",
                "wait_for": contact["id"],
                "min_version": 1,
            },
            headers=crew.auditor,
        )
    )
    assert [(c["party"], c["logged_by"], c["customer_id"]) for c in contacts["items"]] == [
        ("ACME Logistics", crew.member_id, customer_id)
    ]

    events = await published(
        infra, [meeting["id"], contact["id"]], lambda es: named(es, "ContactLogged")
    )
    [recorded] = named(events, "MeetingMinutesRecorded")
    assert [i.owner for i in recorded.action_items] == [crew.member_id, crew.lead_id]
    [done] = named(events, "ActionItemCompleted")
    assert (str(done.item_id), done.by) == (item["id"], crew.member_id)


async def test_communication_commands_refuse_with_403_409_422(http: httpx.AsyncClient) -> None:
    crew = Crew()
    project_id, _ = await executing_project(http, crew)
    stranger = auth(unique("stranger"), unique("other"), "employee")
    meetings = f"/projects/{project_id}/meetings"

    refused(await http.post(meetings, json=meeting_body(crew), headers=crew.member), 403)
    refused(
        await http.post(meetings, json=meeting_body(crew, attendees=[]), headers=crew.lead),
        422,
        "body.attendees",
    )
    refused(
        await http.post(meetings, json=meeting_body(crew, kind="daily"), headers=crew.lead),
        422,
        "body.kind",
    )
    meeting = await ok(await http.post(meetings, json=meeting_body(crew), headers=crew.lead), 201)

    minutes = f"/meetings/{meeting['id']}/minutes"
    body = {
        "minutes": "Done",
        "attendees": [crew.lead_id],
        "action_items": [
            {"description": "Call", "owner": crew.member_id, "due_date": today().isoformat()}
        ],
    }
    refused(await http.post(minutes, json=body, headers=crew.member), 403)
    refused(
        await http.post(minutes, json={**body, "minutes": ""}, headers=crew.lead),
        422,
        "body.minutes",
    )
    refused(
        await http.post(
            minutes,
            json={**body, "action_items": [{"description": "Call", "owner": crew.member_id}]},
            headers=crew.lead,
        ),
        422,
        "body.action_items.0.due_date",
    )
    await ok(await http.post(minutes, json=body, headers=crew.lead))
    refused(await http.post(minutes, json=body, headers=crew.lead), 409)

    detail = await ok(
        await http.get(f"/meetings/{meeting['id']}", params={"min_version": 2}, headers=crew.lead)
    )
    item = detail["action_items"][0]["id"]
    done = f"/meetings/{meeting['id']}/action-items/{item}/done"
    refused(await http.post(done, headers=stranger), 403)
    refused(
        await http.post(
            f"/meetings/{meeting['id']}/action-items/not-an-id/done", headers=crew.lead
        ),
        422,
        "path.item_id",
    )
    refused(
        await http.post(
            f"/meetings/{meeting['id']}/action-items/{uuid.uuid4()}/done", headers=crew.lead
        ),
        404,
    )
    await ok(await http.post(done, headers=crew.member))
    refused(await http.post(done, headers=crew.lead), 409)

    contacts = f"/projects/{project_id}/contacts"
    contact = {
        "party_kind": "supplier",
        "party": "SensorCo",
        "contact_date": today().isoformat(),
        "summary": "Delivery dates",
    }
    refused(await http.post(contacts, json=contact, headers=stranger), 403)
    refused(await http.post(contacts, json=contact, headers=crew.auditor), 403)
    refused(
        await http.post(contacts, json={**contact, "party_kind": "rival"}, headers=crew.lead),
        422,
        "body.party_kind",
    )
    refused(
        await http.post(contacts, json={**contact, "summary": " "}, headers=crew.lead),
        422,
        "body.summary",
    )

    history = await listed(
        await http.get(f"/meetings/{meeting['id']}/history", headers=crew.auditor)
    )
    assert [h["event"] for h in history] == ["Scheduled", "MinutesRecorded", "ActionItemDone"]
