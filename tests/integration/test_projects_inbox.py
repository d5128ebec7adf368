"""What waits on whom in the projects service (REGULATIONS §3.3, §6), over HTTP against the
real service, Kafka and PostgreSQL: `GET /inbox` for a department head, management and an
action item's owner, and an overdue action item reported once under a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx

from . import conftest
from .conftest import Infra, auth, unique
from .flows import APPROVAL, REVIEW, People, application_body, ok
from .planning_flows import (
    Crew,
    drafted_plan,
    executing_project,
    led_project,
    named,
    published,
    review,
    today,
)


async def inbox(
    http: httpx.AsyncClient, who: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    page = await ok(await http.get("/inbox", params={"limit": 200, **params}, headers=who))
    items: list[dict[str, Any]] = page["items"]
    return items


def of(items: list[dict[str, Any]], record_id: str) -> list[tuple[str, str]]:
    return [(i["kind"], i["item"]) for i in items if i["record_id"] == record_id]


async def detail(http: httpx.AsyncClient, path: str, version: int, who: dict[str, str]) -> None:
    """Waits until the views (and the inbox, kept in their transaction) show `version`."""
    await ok(await http.get(path, params={"min_version": version}, headers=who))


async def test_applications_wait_on_the_head_then_management(http: httpx.AsyncClient) -> None:
    people = People()
    title = unique("Cold chain for ACME")
    app_id = (
        await ok(
            await http.post(
                "/applications", json=application_body(title=title), headers=people.applicant
            ),
            201,
        )
    )["id"]
    submitted = await ok(
        await http.post(f"/applications/{app_id}/submit", headers=people.applicant)
    )
    await detail(http, f"/applications/{app_id}", submitted["version"], people.head)

    [waiting] = [i for i in await inbox(http, people.head) if i["record_id"] == app_id]
    assert waiting["kind"] == "application_review"
    assert waiting["link"] == f"/applications/{app_id}/review"
    assert waiting["waits_on"] == {
        "user": None,
        "role": "department_head",
        "department": people.department,
    }
    assert title in waiting["title"]
    # Not the applicant's, not another department's head's, not management's to review.
    other_head = auth(unique("head"), unique("dept"), "employee", "department_head")
    for who in (people.applicant, other_head, people.manager):
        assert of(await inbox(http, who, q=title), app_id) == []

    reviewed = await ok(
        await http.post(f"/applications/{app_id}/review", json=REVIEW, headers=people.head)
    )
    await detail(http, f"/applications/{app_id}", reviewed["version"], people.head)
    assert of(await inbox(http, people.head), app_id) == []
    decide = await inbox(http, people.manager, q=title, kind="application_decision")
    assert [(i["record_id"], i["link"], i["overdue"]) for i in decide] == [
        (app_id, f"/applications/{app_id}/approve", False)
    ]

    approved = await ok(
        await http.post(f"/applications/{app_id}/approve", json=APPROVAL, headers=people.manager)
    )
    await detail(http, f"/applications/{app_id}", approved["version"], people.head)
    assert of(await inbox(http, people.manager, q=title), app_id) == []


async def test_an_application_of_the_head_waits_on_management(http: httpx.AsyncClient) -> None:
    people = People()
    title = unique("Own proposal")
    app_id = (
        await ok(
            await http.post(
                "/applications", json=application_body(title=title), headers=people.head
            ),
            201,
        )
    )["id"]
    submitted = await ok(await http.post(f"/applications/{app_id}/submit", headers=people.head))
    await detail(http, f"/applications/{app_id}", submitted["version"], people.head)
    assert of(await inbox(http, people.head), app_id) == []
    [waiting] = await inbox(http, people.manager, q=title)
    assert (waiting["kind"], waiting["waits_on"]["role"]) == ("application_review", "management")


async def test_plans_wait_on_each_named_departments_head_and_deviations_on_management(
    http: httpx.AsyncClient,
) -> None:
    crew = Crew()
    project_id = await led_project(http, crew)
    plan_id = await drafted_plan(http, crew, project_id)
    submitted = await ok(await http.post(f"/plans/{plan_id}/submit", headers=crew.applicant))
    await detail(http, f"/plans/{plan_id}", submitted["version"], crew.auditor)
    assert of(await inbox(http, crew.head), plan_id) == [("plan_review", crew.department)]
    assert of(await inbox(http, crew.finance_head), plan_id) == [("plan_review", crew.finance)]
    assert of(await inbox(http, crew.applicant), plan_id) == []

    passed = await review(http, plan_id, crew.head)
    await detail(http, f"/plans/{plan_id}", passed["version"], crew.auditor)
    assert of(await inbox(http, crew.head), plan_id) == []
    sent_back = await review(http, plan_id, crew.finance_head, comments="Budget too high")
    await detail(http, f"/plans/{plan_id}", sent_back["version"], crew.auditor)
    assert of(await inbox(http, crew.finance_head), plan_id) == []

    executing_crew = Crew()
    executing_id, _ = await executing_project(http, executing_crew)
    deviation = unique("The pilot slips")
    report = await ok(
        await http.post(
            f"/projects/{executing_id}/deviations",
            json={"deviation": deviation, "cause": "Supplier late", "adjusted_strategy": "Swap"},
            headers=executing_crew.lead,
        ),
        201,
    )
    await detail(http, f"/deviations/{report['id']}", 1, executing_crew.auditor)
    [waiting] = await inbox(http, executing_crew.manager, q=deviation)
    assert (waiting["kind"], waiting["record_id"], waiting["link"]) == (
        "deviation_acknowledgement",
        report["id"],
        f"/deviations/{report['id']}/acknowledge",
    )
    assert of(await inbox(http, executing_crew.head), report["id"]) == []
    acknowledged = await ok(
        await http.post(
            f"/deviations/{report['id']}/acknowledge",
            json={"decision": "Swap the supplier"},
            headers=executing_crew.manager,
        )
    )
    await detail(
        http, f"/deviations/{report['id']}", acknowledged["version"], executing_crew.auditor
    )
    assert await inbox(http, executing_crew.manager, q=deviation) == []


async def test_an_action_item_past_due_is_reported_overdue_once_and_waits_on_its_owner(
    http: httpx.AsyncClient, infra: Infra, clocks: Callable[[str], conftest.TestClock]
) -> None:
    crew = Crew()
    project_id, _ = await executing_project(http, crew)
    meeting = await ok(
        await http.post(
            f"/projects/{project_id}/meetings",
            json={
                "kind": "weekly",
                "title": "Week 1",
                "meeting_date": today().isoformat(),
                "attendees": [crew.lead_id, crew.member_id],
            },
            headers=crew.lead,
        ),
        201,
    )
    due = today() + timedelta(days=3)
    description = unique("Call the sensor supplier")
    minuted = await ok(
        await http.post(
            f"/meetings/{meeting['id']}/minutes",
            json={
                "minutes": "Supplier late",
                "attendees": [crew.lead_id, crew.member_id],
                "action_items": [
                    {"description": description, "owner": crew.member_id, "due_date": str(due)}
                ],
            },
            headers=crew.lead,
        )
    )
    await detail(http, f"/meetings/{meeting['id']}", minuted["version"], crew.member)
    due_at = datetime.combine(due + timedelta(days=1), time.min, tzinfo=UTC)
    [item] = await inbox(http, crew.member, kind="action_item")
    assert (item["title"], item["record_id"], item["overdue"]) == (
        description,
        meeting["id"],
        False,
    )
    assert datetime.fromisoformat(item["due_at"]) == due_at
    assert item["link"] == f"/meetings/{meeting['id']}/action-items/{item['item']}/done"
    assert await inbox(http, crew.lead, kind="action_item") == []

    clock = clocks("projects")
    try:
        clock.set(due_at + timedelta(hours=1))
        events = await published(infra, [meeting["id"]], lambda es: named(es, "ActionItemOverdue"))
        [overdue] = named(events, "ActionItemOverdue")
        assert (str(overdue.item_id), overdue.owner, overdue.due_date, overdue.by) == (
            item["item"],
            crew.member_id,
            due,
            None,
        )
        assert overdue.detected_at == due_at + timedelta(hours=1)
        # Many scheduler ticks later (one every 0.2 s), still one report.
        await asyncio.sleep(3)
        clock.set(due_at + timedelta(days=2))
        await asyncio.sleep(2)
        again = await published(infra, [meeting["id"]], lambda es: named(es, "ActionItemOverdue"))
        assert len(named(again, "ActionItemOverdue")) == 1

        [still] = await inbox(http, crew.member, kind="action_item", overdue=True)
        assert (still["record_id"], still["item"], still["overdue"]) == (
            meeting["id"],
            item["item"],
            True,
        )
    finally:
        clock.reset()

    done = await ok(
        await http.post(
            f"/meetings/{meeting['id']}/action-items/{item['item']}/done", headers=crew.member
        )
    )
    await detail(http, f"/meetings/{meeting['id']}", done["version"], crew.member)
    assert await inbox(http, crew.member, kind="action_item") == []
