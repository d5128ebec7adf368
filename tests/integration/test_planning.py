"""Business planning over HTTP (REGULATIONS 3.1) and the lead reward (2.1), against the real
service, Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
from bizdev_projects.published import LeadConverted, PlanApproved

from .conftest import Infra, auth, unique
from .flows import APPROVAL, draft, ok
from .planning_flows import (
    Crew,
    approved_plan,
    drafted_plan,
    led_project,
    listed,
    named,
    open_project,
    plan_body,
    published,
    refused,
    review,
)


async def test_plan_through_two_reviews_with_a_round_of_changes_to_plan_approved(
    http: httpx.AsyncClient, infra: Infra
) -> None:
    crew = Crew()
    project_id = await led_project(http, crew)
    plan_id = await drafted_plan(http, crew, project_id)
    await ok(
        await http.post(f"/plans/{plan_id}/submit", headers={**crew.applicant, "If-Match": '"1"'})
    )
    await review(http, plan_id, crew.head)
    sent_back = await review(http, plan_id, crew.finance_head, comments="Personnel too high")

    view = await ok(
        await http.get(
            f"/projects/{project_id}/plan",
            params={"min_version": sent_back["version"]},
            headers=crew.auditor,
        )
    )
    assert (view["state"], view["revision"]) == ("changes_requested", 1)
    assert {(r["department"], r["verdict"], r["comments"]) for r in view["reviews"]} == {
        (crew.department, "passed", ""),
        (crew.finance, "changes_requested", "Personnel too high"),
    }
    assert view["budget_totals"] == [{"amount": "420000.50", "currency": "CNY"}]

    lines = [
        {"category": "marketing", "amount": {"amount": "120000.50", "currency": "CNY"}},
        {
            "category": "personnel",
            "amount": {"amount": "180000", "currency": "CNY"},
            "description": "Two engineers",
        },
        {"category": "procurement", "amount": {"amount": "15000", "currency": "USD"}},
    ]
    revised = await ok(
        await http.put(
            f"/plans/{plan_id}",
            json=plan_body(crew, budget_lines=lines),
            headers={**crew.applicant, "If-Match": f'"{sent_back["version"]}"'},
        )
    )
    await ok(await http.post(f"/plans/{plan_id}/submit", headers=crew.applicant))
    inbox = await ok(
        await http.get(
            "/plan-reviews",
            params={
                "department": crew.finance,
                "verdict": "pending",
                "wait_for": plan_id,
                "min_version": revised["version"] + 1,
            },
            headers=crew.finance_head,
        )
    )
    assert [(r["plan_id"], r["revision"]) for r in inbox["items"]] == [(plan_id, 2)]
    await review(http, plan_id, crew.finance_head)
    # Sales passed revision 1, not revision 2: without its new review nothing is approved.
    waiting = await ok(
        await http.get(
            f"/plans/{plan_id}",
            params={"min_version": revised["version"] + 2},
            headers=crew.auditor,
        )
    )
    assert waiting["state"] == "in_review"
    final = await review(http, plan_id, crew.head)

    plan = await ok(
        await http.get(
            f"/plans/{plan_id}", params={"min_version": final["version"]}, headers=crew.auditor
        )
    )
    assert (plan["state"], plan["revision"]) == ("approved", 2)
    assert {r["verdict"] for r in plan["reviews"]} == {"passed"}
    assert plan["budget_totals"] == [
        {"amount": "300000.50", "currency": "CNY"},
        {"amount": "15000", "currency": "USD"},
    ]

    events = await published(
        infra, [plan_id, project_id], lambda es: named(es, "MilestonesScheduled")
    )
    assert [e.revision for e in named(events, "PlanSubmitted")] == [1, 2]
    [approval] = named(events, "PlanApproved")
    assert isinstance(approval, PlanApproved)
    assert approval.project_id == uuid.UUID(project_id)
    assert approval.revision == 2
    assert [(b.category, b.amount.amount, b.amount.currency) for b in approval.budget_lines] == [
        ("marketing", Decimal("120000.50"), "CNY"),
        ("personnel", Decimal("180000"), "CNY"),
        ("procurement", Decimal("15000"), "USD"),
    ]
    assert [m.name for m in approval.milestones] == ["Pilot live", "Rollout"]
    [scheduled] = named(events, "MilestonesScheduled")
    assert [m.id for m in scheduled.milestones] == [m.id for m in approval.milestones]

    history = await listed(await http.get(f"/plans/{plan_id}/history", headers=crew.auditor))
    assert [h["event"] for h in history] == [
        "Drafted",
        "Submitted",
        "Reviewed",
        "Reviewed",
        "Revised",
        "Submitted",
        "Reviewed",
        "Reviewed",
        "Approved",
    ]
    assert history[3]["data"]["comments"] == "Personnel too high"

    dashboard = await ok(
        await http.get(
            f"/projects/{project_id}/dashboard", params={"min_version": 3}, headers=crew.member
        )
    )
    assert dashboard["plan"]["state"] == "approved"
    assert dashboard["plan"]["budget_totals"] == plan["budget_totals"]
    assert [(m["name"], m["percent"], m["status"]) for m in dashboard["milestones"]] == [
        ("Pilot live", 0, "open"),
        ("Rollout", 0, "open"),
    ]
    assert [(t["user_id"], t["is_lead"]) for t in dashboard["team"]] == [(crew.lead_id, True)]


async def test_plan_lists_filter_by_state_and_department(http: httpx.AsyncClient) -> None:
    crew = Crew()
    first = await led_project(http, crew)
    second = await open_project(http, crew)
    approved = await approved_plan(http, crew, first)
    draft_id = await drafted_plan(http, crew, second)
    listed = await ok(
        await http.get(
            "/plans",
            params={"department": crew.department, "wait_for": draft_id, "min_version": 1},
            headers=crew.auditor,
        )
    )
    assert {p["id"] for p in listed["items"]} == {approved["id"], draft_id}
    only_approved = await ok(
        await http.get(
            "/plans",
            params={"department": crew.department, "state": "approved"},
            headers=crew.auditor,
        )
    )
    assert [p["id"] for p in only_approved["items"]] == [approved["id"]]
    assert len(only_approved["items"][0]["reviews"]) == 2


async def test_plan_commands_refuse_with_403_409_422(http: httpx.AsyncClient) -> None:
    crew = Crew()
    project_id = await led_project(http, crew)
    stranger = auth(unique("stranger"), unique("other"), "employee")
    other_head = auth(unique("head"), unique("other"), "employee", "department_head")

    # draft
    refused(
        await http.post(f"/projects/{project_id}/plan", json=plan_body(crew), headers=stranger), 403
    )
    refused(
        await http.post(
            f"/projects/{project_id}/plan",
            json=plan_body(crew, review_departments=[]),
            headers=crew.applicant,
        ),
        422,
        "body.review_departments",
    )
    refused(
        await http.post(
            f"/projects/{project_id}/plan",
            json=plan_body(
                crew,
                budget_lines=[{"category": "travel", "amount": {"amount": "1", "currency": "CNY"}}],
            ),
            headers=crew.applicant,
        ),
        422,
        "body.budget_lines.0.category",
    )
    plan_id = await drafted_plan(http, crew, project_id)
    refused(
        await http.post(f"/projects/{project_id}/plan", json=plan_body(crew), headers=crew.lead),
        409,
    )

    # revise and submit
    refused(await http.put(f"/plans/{plan_id}", json=plan_body(crew), headers=stranger), 403)
    refused(
        await http.put(
            f"/plans/{plan_id}", json=plan_body(crew, milestones=[]), headers=crew.applicant
        ),
        422,
        "body.milestones",
    )
    refused(
        await http.put(
            f"/plans/{plan_id}",
            json=plan_body(
                crew,
                budget_lines=[
                    {"category": "marketing", "amount": {"amount": "0", "currency": "CNY"}}
                ],
            ),
            headers=crew.applicant,
        ),
        422,
        "body.budget_lines.amount",
    )
    refused(await http.post(f"/plans/{plan_id}/submit", headers=stranger), 403)
    refused(
        await http.post("/plans/not-a-plan/submit", headers=crew.applicant), 422, "path.plan_id"
    )
    refused(
        await http.post(f"/plans/{plan_id}/review", json={"verdict": "passed"}, headers=crew.head),
        409,
    )
    await ok(await http.post(f"/plans/{plan_id}/submit", headers=crew.applicant))
    refused(await http.post(f"/plans/{plan_id}/submit", headers=crew.applicant), 409)
    refused(await http.put(f"/plans/{plan_id}", json=plan_body(crew), headers=crew.applicant), 409)

    # review
    for who in (other_head, crew.member, crew.manager, crew.auditor, crew.lead):
        refused(
            await http.post(f"/plans/{plan_id}/review", json={"verdict": "passed"}, headers=who),
            403,
        )
    refused(
        await http.post(
            f"/plans/{plan_id}/review",
            json={"verdict": "changes_requested", "comments": ""},
            headers=crew.head,
        ),
        422,
        "body.comments",
    )
    refused(
        await http.post(f"/plans/{plan_id}/review", json={"verdict": "maybe"}, headers=crew.head),
        422,
        "body.verdict",
    )
    await review(http, plan_id, crew.head)
    refused(
        await http.post(f"/plans/{plan_id}/review", json={"verdict": "passed"}, headers=crew.head),
        409,
    )
    stale = refused(
        await http.post(
            f"/plans/{plan_id}/review",
            json={"verdict": "passed"},
            headers={**crew.finance_head, "If-Match": '"1"'},
        ),
        409,
    )
    assert stale["type"].endswith("/stale-version")

    history = await listed(await http.get(f"/plans/{plan_id}/history", headers=crew.auditor))
    assert [h["event"] for h in history] == ["Drafted", "Submitted", "Reviewed"]


async def test_plan_author_never_reviews_it(http: httpx.AsyncClient) -> None:
    crew = Crew()
    project_id = await led_project(http, crew)
    plan_id = (
        await ok(
            await http.post(
                f"/projects/{project_id}/plan", json=plan_body(crew), headers=crew.head
            ),
            201,
        )
    )["id"]
    await ok(await http.post(f"/plans/{plan_id}/submit", headers=crew.head))
    own = refused(
        await http.post(f"/plans/{plan_id}/review", json={"verdict": "passed"}, headers=crew.head),
        403,
    )
    assert "own" in own["detail"]


async def test_lead_converted_after_approving_an_application_from_a_lead(
    http: httpx.AsyncClient, infra: Infra
) -> None:
    crew = Crew()
    finder_id = unique("finder")
    lead = await ok(
        await http.post(
            "/leads",
            json={
                "customer": "Northwind",
                "need": "Cold-chain tracking",
                "source": "referral",
                "estimated_value": {"amount": "800000", "currency": "CNY"},
            },
            headers=auth(finder_id, "market", "employee"),
        ),
        201,
    )
    people = crew.people
    app_id = (await draft(http, people, lead_id=lead["id"]))["id"]
    await ok(await http.post(f"/applications/{app_id}/submit", headers=people.applicant))
    await ok(
        await http.post(
            f"/applications/{app_id}/review",
            json={
                "recommend": True,
                "feasibility": "Yes",
                "market_outlook": "Good",
                "resource_needs": "Few",
            },
            headers=people.head,
        )
    )
    decision = await ok(
        await http.post(f"/applications/{app_id}/approve", json=APPROVAL, headers=crew.manager)
    )

    events = await published(infra, [lead["id"]], lambda es: named(es, "LeadConverted"))
    [converted] = named(events, "LeadConverted")
    assert isinstance(converted, LeadConverted)
    assert converted.finder == finder_id
    assert converted.by == crew.manager_id
    assert converted.project_id == uuid.UUID(decision["project_id"])
    assert converted.application_id == uuid.UUID(app_id)

    view = await ok(
        await http.get(f"/leads/{lead['id']}", params={"min_version": 2}, headers=crew.auditor)
    )
    assert view["converted_project_id"] == decision["project_id"]
