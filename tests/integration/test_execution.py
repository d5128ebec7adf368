"""Team and execution over HTTP (REGULATIONS 3.2, 3.3): progress, health, deviations, the
overdue check across a restart, closing; against the real service, Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import asyncpg
import httpx
from bizdev_common.scheduler import set_deadline
from bizdev_projects.domain import MILESTONE_OVERDUE, milestone_due_at

from . import conftest
from .conftest import Infra, ServiceProcess, auth, eventually, unique
from .flows import ok
from .planning_flows import (
    Crew,
    executing_project,
    listed,
    named,
    plan_body,
    project_at,
    published,
    refused,
    today,
)


def milestone_ids(plan: dict[str, Any]) -> tuple[str, str]:
    first, second = (m["id"] for m in plan["milestones"])
    return first, second


async def test_team_progress_health_and_the_dashboard(
    http: httpx.AsyncClient, infra: Infra
) -> None:
    crew = Crew()
    project_id, plan = await executing_project(http, crew)
    first, second = milestone_ids(plan)
    team = await listed(
        await http.get(
            f"/projects/{project_id}/team", params={"min_version": 4}, headers=crew.auditor
        )
    )
    assert [(m["user_id"], m["is_lead"]) for m in team] == [
        (crew.lead_id, True),
        (crew.member_id, False),
    ]

    progress = f"/projects/{project_id}/milestones/{first}/progress"
    await ok(
        await http.post(progress, json={"percent": 60, "note": "Sensors in"}, headers=crew.lead)
    )
    await ok(
        await http.post(
            progress,
            json={"percent": 100, "completed_on": today().isoformat()},
            headers={**crew.lead, "If-Match": '"5"'},
        )
    )
    await ok(
        await http.put(
            f"/projects/{project_id}/health",
            json={"status": "at_risk", "note": "Rollout supplier late"},
            headers=crew.lead,
        )
    )
    new_lead_id = unique("lead")
    new_lead = auth(new_lead_id, unique("ops"), "employee", "team_lead")
    await ok(
        await http.put(
            f"/projects/{project_id}/team-lead",
            json={"user_id": new_lead_id, "responsibilities": "Takes over the rollout"},
            headers=crew.manager,
        )
    )
    # One lead at a time: the previous one no longer acts for the team.
    refused(
        await http.post(
            f"/projects/{project_id}/milestones/{second}/progress",
            json={"percent": 10},
            headers=crew.lead,
        ),
        403,
    )
    await ok(
        await http.put(
            f"/projects/{project_id}/members/{crew.member_id}",
            json={"responsibilities": "Sensors and installation"},
            headers=new_lead,
        )
    )
    removed = await ok(
        await http.delete(f"/projects/{project_id}/members/{crew.lead_id}", headers=new_lead)
    )
    assert removed["version"] == 10

    dashboard = await ok(
        await http.get(
            f"/projects/{project_id}/dashboard", params={"min_version": 10}, headers=crew.member
        )
    )
    assert dashboard["project"]["health"] == "at_risk"
    assert dashboard["project"]["health_note"] == "Rollout supplier late"
    assert dashboard["project"]["team_lead"] == new_lead_id
    assert [(m["name"], m["percent"], m["status"]) for m in dashboard["milestones"]] == [
        ("Pilot live", 100, "done"),
        ("Rollout", 0, "open"),
    ]
    assert dashboard["milestones"][0]["completed_on"] == today().isoformat()
    assert [(t["user_id"], t["is_lead"], t["responsibilities"]) for t in dashboard["team"]] == [
        (new_lead_id, True, "Takes over the rollout"),
        (crew.member_id, False, "Sensors and installation"),
    ]
    assert dashboard["plan"]["state"] == "approved"

    # The team as it was, before the lead changed.
    before = await ok(
        await http.get(f"/projects/{project_id}/as-of", params={"version": 6}, headers=crew.auditor)
    )
    assert before["team_lead"] == crew.lead_id
    assert before["members"] == {crew.lead_id: "Runs the team", crew.member_id: "Sensors"}
    assert [m["percent"] for m in before["milestones"]] == [100, 0]

    done = await ok(
        await http.get(
            "/milestones", params={"project_id": project_id, "status": "done"}, headers=crew.auditor
        )
    )
    assert [m["id"] for m in done["items"]] == [first]

    events = await published(infra, [project_id], lambda es: named(es, "TeamMemberRemoved"))
    [completed] = named(events, "MilestoneCompleted")
    assert (str(completed.milestone_id), completed.late, completed.by) == (
        first,
        False,
        crew.lead_id,
    )
    [health] = named(events, "ProjectHealthChanged")
    assert (health.health, health.previous_health) == ("at_risk", "on_track")
    appointments = named(events, "TeamLeadAppointed")
    assert [(a.team_lead, a.previous_team_lead) for a in appointments] == [
        (crew.lead_id, None),
        (new_lead_id, crew.lead_id),
    ]


async def test_deviation_report_escalated_and_acknowledged(
    http: httpx.AsyncClient, infra: Infra
) -> None:
    crew = Crew()
    project_id, plan = await executing_project(http, crew)
    first, _ = milestone_ids(plan)
    report = await ok(
        await http.post(
            f"/projects/{project_id}/deviations",
            json={
                "deviation": "Pilot slips by a month",
                "cause": "The sensor supplier is late",
                "adjusted_strategy": "Order from a second supplier",
                "milestone_id": first,
            },
            headers=crew.lead,
        ),
        201,
    )
    inbox = await ok(
        await http.get(
            "/deviations",
            params={
                "state": "escalated",
                "department": crew.department,
                "wait_for": report["id"],
                "min_version": 1,
            },
            headers=crew.manager,
        )
    )
    assert [d["id"] for d in inbox["items"]] == [report["id"]]
    dashboard = await ok(await http.get(f"/projects/{project_id}/dashboard", headers=crew.lead))
    assert [d["id"] for d in dashboard["open_deviations"]] == [report["id"]]

    await ok(
        await http.post(
            f"/deviations/{report['id']}/acknowledge",
            json={"decision": "Approved: switch supplier, keep the budget"},
            headers={**crew.manager, "If-Match": '"1"'},
        )
    )
    view = await ok(
        await http.get(
            f"/deviations/{report['id']}", params={"min_version": 2}, headers=crew.auditor
        )
    )
    assert (view["state"], view["acknowledged_by"], view["reported_by"]) == (
        "acknowledged",
        crew.manager_id,
        crew.lead_id,
    )
    assert view["decision"] == "Approved: switch supplier, keep the budget"
    dashboard = await ok(await http.get(f"/projects/{project_id}/dashboard", headers=crew.lead))
    assert dashboard["open_deviations"] == []

    events = await published(infra, [report["id"]], lambda es: named(es, "DeviationAcknowledged"))
    [reported] = named(events, "DeviationReported")
    assert (reported.by, str(reported.project_id), str(reported.milestone_id)) == (
        crew.lead_id,
        project_id,
        first,
    )
    assert reported.cause == "The sensor supplier is late"
    assert reported.adjusted_strategy == "Order from a second supplier"
    history = await listed(
        await http.get(f"/deviations/{report['id']}/history", headers=crew.auditor)
    )
    assert [(h["event"], h["by"]) for h in history] == [
        ("Reported", crew.lead_id),
        ("Acknowledged", crew.manager_id),
    ]


async def test_milestone_overdue_emitted_exactly_once_even_when_the_checker_restarts(
    http: httpx.AsyncClient,
    infra: Infra,
    projects: ServiceProcess,
    clocks: Callable[[str], conftest.TestClock],
) -> None:
    crew = Crew()
    first_due, second_due = today() + timedelta(days=10), today() + timedelta(days=20)
    project_id, plan = await executing_project(
        http, crew, first_due=first_due, second_due=second_due
    )
    first, second = milestone_ids(plan)
    clock = clocks("projects")
    db = await asyncpg.connect(infra.database_url)
    try:
        clock.set(datetime.combine(first_due + timedelta(days=1), time(1), tzinfo=UTC))
        events = await published(infra, [project_id], lambda es: named(es, "MilestoneOverdue"))
        [overdue] = named(events, "MilestoneOverdue")
        assert (str(overdue.milestone_id), overdue.due_date, overdue.by) == (first, first_due, None)
        assert overdue.owner == crew.member_id

        # The view has taken the report in (and so cleared the deadline) before the stop.
        await project_at(http, crew, project_id, 5)
        projects.stop()
        # As if the checker had crashed after acting and before recording it: the deadline
        # is due again when it comes back, and the project must refuse to report twice.
        await set_deadline(
            db,
            "projects",
            MILESTONE_OVERDUE,
            uuid.UUID(project_id),
            milestone_due_at(first_due),
            item=first,
        )
        projects.start()

        async def asked_again() -> bool:
            fired = await db.fetchval(
                "SELECT fired_at FROM projects.deadlines "
                "WHERE kind = $1 AND aggregate_id = $2 AND item = $3",
                MILESTONE_OVERDUE,
                uuid.UUID(project_id),
                first,
            )
            return fired is not None

        await eventually(asked_again)
        # The planted deadline served its purpose; left fired, it would be the one row a
        # rebuild of the views does not reproduce.
        await db.execute(
            "DELETE FROM projects.deadlines WHERE kind = $1 AND aggregate_id = $2 AND item = $3",
            MILESTONE_OVERDUE,
            uuid.UUID(project_id),
            first,
        )
        clock.set(datetime.combine(second_due + timedelta(days=1), time(1), tzinfo=UTC))
        events = await published(
            infra, [project_id], lambda es: len(named(es, "MilestoneOverdue")) >= 2
        )
        assert [str(e.milestone_id) for e in named(events, "MilestoneOverdue")] == [first, second]
    finally:
        clock.reset()
        await db.close()

    async with httpx.AsyncClient(base_url=projects.url, timeout=30) as fresh:
        overdue_list = await ok(
            await fresh.get(
                "/milestones/overdue",
                params={"project_id": project_id, "wait_for": project_id, "min_version": 6},
                headers=crew.auditor,
            )
        )
        assert [m["id"] for m in overdue_list["items"]] == [first, second]
        history = await listed(
            await fresh.get(f"/projects/{project_id}/history", headers=crew.auditor)
        )
        assert [h["event"] for h in history].count("MilestoneOverdue") == 2


async def test_closed_project_records_its_outcome_and_refuses_changes(
    http: httpx.AsyncClient, infra: Infra
) -> None:
    crew = Crew()
    project_id, plan = await executing_project(http, crew)
    first, _ = milestone_ids(plan)
    deviation = {"deviation": "Late", "cause": "Supplier", "adjusted_strategy": "Another"}
    report = await ok(
        await http.post(f"/projects/{project_id}/deviations", json=deviation, headers=crew.lead),
        201,
    )
    meeting = await ok(
        await http.post(
            f"/projects/{project_id}/meetings",
            json={
                "kind": "progress",
                "title": "Pilot review",
                "meeting_date": today().isoformat(),
                "attendees": [crew.lead_id],
            },
            headers=crew.lead,
        ),
        201,
    )
    await ok(
        await http.post(
            f"/projects/{project_id}/close",
            json={"outcome": "cancelled", "summary": "The customer withdrew"},
            headers={**crew.manager, "If-Match": '"4"'},
        )
    )
    project = await project_at(http, crew, project_id, 5)
    assert (project["state"], project["outcome"], project["closed_by"]) == (
        "closed",
        "cancelled",
        crew.manager_id,
    )
    db = await asyncpg.connect(infra.database_url)
    try:
        armed = await db.fetchval(
            "SELECT count(*) FROM projects.deadlines WHERE aggregate_id = $1",
            uuid.UUID(project_id),
        )
    finally:
        await db.close()
    assert armed == 0

    p = f"/projects/{project_id}"
    attempts = [
        await http.post(
            f"{p}/close", json={"outcome": "achieved", "summary": "x"}, headers=crew.manager
        ),
        await http.put(
            f"{p}/team-lead", json={"user_id": "x", "responsibilities": "y"}, headers=crew.manager
        ),
        await http.post(
            f"{p}/members", json={"user_id": "x", "responsibilities": "y"}, headers=crew.lead
        ),
        await http.put(
            f"{p}/members/{crew.member_id}", json={"responsibilities": "y"}, headers=crew.lead
        ),
        await http.delete(f"{p}/members/{crew.member_id}", headers=crew.lead),
        await http.post(f"{p}/milestones/{first}/progress", json={"percent": 5}, headers=crew.lead),
        await http.put(f"{p}/health", json={"status": "at_risk", "note": "x"}, headers=crew.lead),
        await http.post(f"{p}/deviations", json=deviation, headers=crew.lead),
        await http.post(
            f"/deviations/{report['id']}/acknowledge", json={"decision": "ok"}, headers=crew.manager
        ),
        await http.put(f"/plans/{plan['id']}", json=plan_body(crew), headers=crew.applicant),
        await http.post(f"/plans/{plan['id']}/submit", headers=crew.applicant),
        await http.post(
            f"{p}/meetings",
            json={
                "kind": "weekly",
                "title": "x",
                "meeting_date": today().isoformat(),
                "attendees": [crew.lead_id],
            },
            headers=crew.lead,
        ),
        await http.post(
            f"/meetings/{meeting['id']}/minutes",
            json={"minutes": "x", "attendees": [crew.lead_id]},
            headers=crew.lead,
        ),
        await http.post(
            f"{p}/contacts",
            json={
                "party_kind": "customer",
                "party": "ACME",
                "contact_date": today().isoformat(),
                "summary": "x",
            },
            headers=crew.lead,
        ),
    ]
    for r in attempts:
        assert "closed" in refused(r, 409)["detail"], r.request.url

    events = await published(infra, [project_id], lambda es: named(es, "ProjectClosed"))
    [closing] = named(events, "ProjectClosed")
    assert (closing.outcome, closing.summary, closing.by) == (
        "cancelled",
        "The customer withdrew",
        crew.manager_id,
    )
    assert (closing.milestones_total, closing.milestones_completed) == (2, 0)


async def test_team_and_execution_commands_refuse_with_403_409_422(
    http: httpx.AsyncClient,
) -> None:
    crew = Crew()
    project_id, plan = await executing_project(http, crew)
    first, second = milestone_ids(plan)
    p = f"/projects/{project_id}"
    lead_body = {"user_id": crew.lead_id, "responsibilities": "Runs the team"}

    refused(await http.put(f"{p}/team-lead", json=lead_body, headers=crew.lead), 403)
    refused(await http.put(f"{p}/team-lead", json=lead_body, headers=crew.manager), 409)
    refused(
        await http.put(
            f"{p}/team-lead", json={**lead_body, "responsibilities": ""}, headers=crew.manager
        ),
        422,
        "body.responsibilities",
    )

    member = {"user_id": crew.member_id, "responsibilities": "Sensors"}
    refused(await http.post(f"{p}/members", json=member, headers=crew.auditor), 403)
    refused(await http.post(f"{p}/members", json=member, headers=crew.lead), 409)
    refused(
        await http.post(f"{p}/members", json={"user_id": "x"}, headers=crew.lead),
        422,
        "body.responsibilities",
    )
    change = f"{p}/members/{crew.member_id}"
    refused(await http.put(change, json={"responsibilities": "All"}, headers=crew.member), 403)
    refused(
        await http.put(change, json={"responsibilities": " "}, headers=crew.lead),
        422,
        "body.responsibilities",
    )
    refused(
        await http.put(f"{p}/members/nobody", json={"responsibilities": "x"}, headers=crew.lead),
        404,
    )
    refused(await http.delete(change, headers=crew.member), 403)
    refused(await http.delete(f"{p}/members/{crew.lead_id}", headers=crew.manager), 409)
    refused(
        await http.delete(change, headers={**crew.lead, "If-Match": "yesterday"}),
        422,
        "header.if-match",
    )

    progress = f"{p}/milestones/{first}/progress"
    refused(await http.post(progress, json={"percent": 10}, headers=crew.manager), 403)
    refused(
        await http.post(progress, json={"percent": 100}, headers=crew.lead),
        422,
        "body.completed_on",
    )
    refused(
        await http.post(progress, json={"percent": 150}, headers=crew.lead), 422, "body.percent"
    )
    refused(
        await http.post(
            f"{p}/milestones/{uuid.uuid4()}/progress", json={"percent": 1}, headers=crew.lead
        ),
        404,
    )
    await ok(
        await http.post(
            progress, json={"percent": 100, "completed_on": today().isoformat()}, headers=crew.lead
        )
    )
    refused(await http.post(progress, json={"percent": 10}, headers=crew.lead), 409)

    health = f"{p}/health"
    refused(
        await http.put(health, json={"status": "at_risk", "note": "x"}, headers=crew.member), 403
    )
    refused(
        await http.put(health, json={"status": "on_track", "note": "x"}, headers=crew.lead), 409
    )
    refused(await http.put(health, json={"status": "done", "note": "x"}, headers=crew.lead), 409)
    refused(
        await http.put(health, json={"status": "sunny", "note": "x"}, headers=crew.lead),
        422,
        "body.status",
    )

    deviation = {"deviation": "Late", "cause": "Supplier", "adjusted_strategy": "Another"}
    refused(await http.post(f"{p}/deviations", json=deviation, headers=crew.manager), 403)
    refused(
        await http.post(
            f"{p}/deviations",
            json={**deviation, "milestone_id": str(uuid.uuid4())},
            headers=crew.lead,
        ),
        422,
        "body.milestone_id",
    )
    report = await ok(
        await http.post(
            f"{p}/deviations", json={**deviation, "milestone_id": second}, headers=crew.lead
        ),
        201,
    )
    acknowledge = f"/deviations/{report['id']}/acknowledge"
    refused(await http.post(acknowledge, json={"decision": "ok"}, headers=crew.lead), 403)
    refused(
        await http.post(acknowledge, json={"decision": ""}, headers=crew.manager),
        422,
        "body.decision",
    )
    await ok(await http.post(acknowledge, json={"decision": "ok"}, headers=crew.manager))
    refused(await http.post(acknowledge, json={"decision": "again"}, headers=crew.manager), 409)

    close = f"{p}/close"
    refused(
        await http.post(close, json={"outcome": "achieved", "summary": "x"}, headers=crew.lead), 403
    )
    refused(
        await http.post(close, json={"outcome": "won", "summary": "x"}, headers=crew.manager),
        422,
        "body.outcome",
    )
    refused(
        await http.post(close, json={"outcome": "achieved", "summary": ""}, headers=crew.manager),
        422,
        "body.summary",
    )

    project = await ok(await http.get(p, headers=crew.auditor))
    assert project["state"] == "open"
