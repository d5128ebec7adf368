"""Re-planning over HTTP (REGULATIONS 3.1, 3.3): management acknowledging a deviation requires
a new revision of the approved plan; it goes through the same department reviews and, when
every one passed, replaces the project's schedule and budget, its budget lines keeping their
ids."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import asyncpg
import httpx
from bizdev_projects.domain import MILESTONE_OVERDUE, milestone_due_at
from bizdev_projects.published import PlanApproved

from .conftest import Infra
from .flows import ok
from .planning_flows import (
    Crew,
    executing_project,
    listed,
    named,
    plan_body,
    published,
    refused,
    review,
    today,
)


async def test_a_deviation_acknowledged_with_replanning_leads_to_revision_2(
    http: httpx.AsyncClient, infra: Infra
) -> None:
    crew = Crew()
    project_id, plan = await executing_project(http, crew)
    plan_id = plan["id"]
    assert plan["approved"]["revision"] == 1
    first_lines = [b["line_id"] for b in plan["budget_lines"]]
    assert len(set(first_lines)) == 2
    assert all(first_lines)
    assert [b["line_id"] for b in plan["approved"]["budget_lines"]] == first_lines
    pilot = next(m for m in plan["milestones"] if m["name"] == "Pilot live")

    # Without an approved plan's re-planning required, an approved plan is not revised.
    refused(await http.put(f"/plans/{plan_id}", json=plan_body(crew), headers=crew.lead), 409)

    report = await ok(
        await http.post(
            f"/projects/{project_id}/deviations",
            json={
                "deviation": "The pilot slips two months",
                "cause": "The sensor supplier went bankrupt",
                "adjusted_strategy": "A second supplier; rollout later",
            },
            headers=crew.lead,
        ),
        201,
    )
    await ok(
        await http.post(
            f"/deviations/{report['id']}/acknowledge",
            json={"decision": "Re-plan with the second supplier", "replan": True},
            headers=crew.manager,
        )
    )
    replanning = await ok(
        await http.get(
            f"/plans/{plan_id}",
            params={"min_version": plan["version"] + 1},
            headers=crew.auditor,
        )
    )
    assert replanning["state"] == "replanning"
    assert replanning["replanning_deviation_id"] == report["id"]
    assert replanning["approved"]["revision"] == 1

    # The team lead keeps the marketing line (by its id) with more money, drops personnel,
    # adds an operations line; keeps "Pilot live" two months later, drops "Rollout".
    later = today() + timedelta(days=120)
    body = plan_body(
        crew,
        milestones=[
            {"name": "Pilot live", "due_date": later.isoformat(), "owner": crew.member_id},
            {
                "name": "Go-live",
                "due_date": (later + timedelta(days=90)).isoformat(),
                "owner": crew.lead_id,
            },
        ],
        budget_lines=[
            {
                "line_id": first_lines[0],
                "category": "marketing",
                "amount": {"amount": "150000.00", "currency": "CNY"},
                "description": "Trade shows, a year longer",
            },
            {
                "category": "operations",
                "amount": {"amount": "40000", "currency": "CNY"},
                "description": "Second supplier's onboarding",
            },
        ],
    )
    unknown_line = {**body, "budget_lines": [{**body["budget_lines"][0], "line_id": report["id"]}]}
    refused(
        await http.put(f"/plans/{plan_id}", json=unknown_line, headers=crew.lead),
        422,
        "body.budget_lines.line_id",
    )
    await ok(await http.put(f"/plans/{plan_id}", json=body, headers=crew.lead))
    submitted = await ok(await http.post(f"/plans/{plan_id}/submit", headers=crew.lead))

    in_review = await ok(
        await http.get(
            f"/plans/{plan_id}",
            params={"min_version": submitted["version"]},
            headers=crew.auditor,
        )
    )
    assert (in_review["state"], in_review["revision"]) == ("in_review", 2)
    assert in_review["approved"]["revision"] == 1
    assert [b["line_id"] for b in in_review["approved"]["budget_lines"]] == first_lines
    revised_lines = [b["line_id"] for b in in_review["budget_lines"]]
    assert revised_lines[0] == first_lines[0]
    assert revised_lines[1] not in first_lines
    assert {(r["department"], r["verdict"]) for r in in_review["reviews"]} == {
        (crew.department, "pending"),
        (crew.finance, "pending"),
    }

    await review(http, plan_id, crew.head)
    final = await review(http, plan_id, crew.finance_head)
    approved = await ok(
        await http.get(
            f"/plans/{plan_id}", params={"min_version": final["version"]}, headers=crew.auditor
        )
    )
    assert (approved["state"], approved["revision"]) == ("approved", 2)
    assert approved["approved"]["revision"] == 2
    assert approved["approved"]["budget_totals"] == [{"amount": "190000.00", "currency": "CNY"}]
    assert approved["replanning_deviation_id"] is None

    events = await published(
        infra, [plan_id, project_id], lambda es: len(named(es, "MilestonesScheduled")) >= 2
    )
    first, second = named(events, "PlanApproved")
    assert isinstance(second, PlanApproved)
    assert (first.revision, second.revision, second.replaces_revision) == (1, 2, 1)
    assert [str(b.line_id) for b in first.budget_lines] == first_lines
    assert [str(b.line_id) for b in second.budget_lines] == revised_lines
    [required] = named(events, "PlanReplanningRequired")
    assert (str(required.deviation_id), required.approved_revision) == (report["id"], 1)
    [acknowledged] = named(
        await published(infra, [report["id"]], lambda es: named(es, "DeviationAcknowledged")),
        "DeviationAcknowledged",
    )
    assert acknowledged.replan_required is True
    rescheduled = named(events, "MilestonesScheduled")[1]
    assert rescheduled.revision == 2

    # History keeps every revision; the dashboard follows the revision in force.
    history = await listed(await http.get(f"/plans/{plan_id}/history", headers=crew.auditor))
    assert [h["event"] for h in history] == [
        "Drafted",
        "Submitted",
        "Reviewed",
        "Reviewed",
        "Approved",
        "ReplanningRequired",
        "Revised",
        "Submitted",
        "Reviewed",
        "Reviewed",
        "Approved",
    ]
    assert history[6]["data"]["revision"] == 2
    dashboard = await ok(
        await http.get(
            f"/projects/{project_id}/dashboard", params={"min_version": 5}, headers=crew.member
        )
    )
    assert (dashboard["plan"]["approved_revision"], dashboard["plan"]["revision"]) == (2, 2)
    assert dashboard["plan"]["approved_budget_totals"] == approved["approved"]["budget_totals"]
    assert [(m["id"], m["name"], m["due_date"]) for m in dashboard["milestones"]] == [
        (pilot["id"], "Pilot live", later.isoformat()),
        (
            dashboard["milestones"][1]["id"],
            "Go-live",
            (later + timedelta(days=90)).isoformat(),
        ),
    ]

    # The scheduler waits for the new dates: the dropped milestone's deadline is gone.
    db = await asyncpg.connect(infra.database_url)
    try:
        deadlines = {
            r["item"]: r["due_at"]
            for r in await db.fetch(
                "SELECT item, due_at FROM projects.deadlines WHERE kind = $1 AND aggregate_id = $2",
                MILESTONE_OVERDUE,
                uuid.UUID(project_id),
            )
        }
    finally:
        await db.close()
    assert deadlines == {
        m["id"]: milestone_due_at(date.fromisoformat(m["due_date"]))
        for m in dashboard["milestones"]
    }
