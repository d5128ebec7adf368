"""Steps of planning, execution and communication over HTTP (REGULATIONS §3, §6), shared by
the integration tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from aiokafka import ConsumerRecord
from bizdev_projects.published import CONTRACT

from .conftest import Infra, auth, by_subject, headers_of, problem_of, read_topic, unique
from .flows import People, approved, ok

TOPIC = "bizdev.projects.events.v1"


def today() -> date:
    return datetime.now(UTC).date()


class Crew:
    """The people around one fresh project: its department (applicant, head, a member),
    management, a team lead from another department, the head of a second department that
    reviews plans, and an auditor."""

    def __init__(self) -> None:
        self.people = People()
        self.department = self.people.department
        self.applicant = self.people.applicant
        self.head = self.people.head
        self.manager_id = unique("manager")
        self.manager = auth(self.manager_id, "management", "employee", "management")
        self.lead_id = unique("lead")
        self.lead = auth(self.lead_id, unique("ops"), "employee", "team_lead")
        self.finance = unique("finance")
        self.finance_head = auth(unique("fhead"), self.finance, "employee", "department_head")
        self.member_id = unique("member")
        self.member = auth(self.member_id, self.department, "employee")
        self.auditor = auth(unique("auditor"), "audit", "auditor")


def plan_body(
    crew: Crew,
    *,
    first_due: date | None = None,
    second_due: date | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "goals": "Win three logistics customers in the delta",
        "marketing_strategy": "Trade shows, then referrals from the pilot customer",
        "product_plan": "Warehouse sensors as a service",
        "milestones": [
            {
                "name": "Pilot live",
                "due_date": (first_due or today() + timedelta(days=60)).isoformat(),
                "owner": crew.member_id,
            },
            {
                "name": "Rollout",
                "due_date": (second_due or today() + timedelta(days=120)).isoformat(),
                "owner": crew.lead_id,
            },
        ],
        "budget_lines": [
            {
                "category": "marketing",
                "amount": {"amount": "120000.50", "currency": "CNY"},
                "description": "Trade shows",
            },
            {"category": "personnel", "amount": {"amount": "300000", "currency": "CNY"}},
        ],
        "review_departments": [crew.department, crew.finance],
    }
    body.update(overrides)
    return body


async def open_project(http: httpx.AsyncClient, crew: Crew) -> str:
    return str((await approved(http, crew.people))["project_id"])


async def led_project(http: httpx.AsyncClient, crew: Crew) -> str:
    """An open project with its team lead (project version 2)."""
    project_id = await open_project(http, crew)
    await ok(
        await http.put(
            f"/projects/{project_id}/team-lead",
            json={"user_id": crew.lead_id, "responsibilities": "Runs the team"},
            headers=crew.manager,
        )
    )
    return project_id


async def drafted_plan(
    http: httpx.AsyncClient, crew: Crew, project_id: str, **overrides: Any
) -> str:
    r = await http.post(
        f"/projects/{project_id}/plan", json=plan_body(crew, **overrides), headers=crew.applicant
    )
    return str((await ok(r, 201))["id"])


async def review(
    http: httpx.AsyncClient, plan_id: str, reviewer: dict[str, str], comments: str = ""
) -> dict[str, Any]:
    verdict = "changes_requested" if comments else "passed"
    r = await http.post(
        f"/plans/{plan_id}/review",
        json={"verdict": verdict, "comments": comments},
        headers=reviewer,
    )
    return await ok(r)


async def approved_plan(
    http: httpx.AsyncClient, crew: Crew, project_id: str, **overrides: Any
) -> dict[str, Any]:
    """Drafted, submitted and passed by both departments; the plan as the view shows it."""
    plan_id = await drafted_plan(http, crew, project_id, **overrides)
    await ok(await http.post(f"/plans/{plan_id}/submit", headers=crew.applicant))
    await review(http, plan_id, crew.head)
    last = await review(http, plan_id, crew.finance_head)
    r = await http.get(
        f"/plans/{plan_id}", params={"min_version": last["version"]}, headers=crew.auditor
    )
    return await ok(r)


async def executing_project(
    http: httpx.AsyncClient, crew: Crew, **overrides: Any
) -> tuple[str, dict[str, Any]]:
    """A project with its lead, the member on the team and its plan approved: its milestones
    scheduled (project version 4). Returns the project id and the plan."""
    project_id = await led_project(http, crew)
    await ok(
        await http.post(
            f"/projects/{project_id}/members",
            json={"user_id": crew.member_id, "responsibilities": "Sensors"},
            headers=crew.lead,
        )
    )
    plan = await approved_plan(http, crew, project_id, **overrides)
    return project_id, plan


async def project_at(
    http: httpx.AsyncClient, crew: Crew, project_id: str, version: int
) -> dict[str, Any]:
    r = await http.get(
        f"/projects/{project_id}", params={"min_version": version}, headers=crew.auditor
    )
    return await ok(r)


async def listed(response: httpx.Response) -> list[dict[str, Any]]:
    """The body of a query that answers a list (history, team)."""
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def refused(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The problem a refused command answers; with `field`, the 422 names it."""
    assert response.status_code == status, (response.request.url, response.text)
    problem = problem_of(response)
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]], (field, problem)
    return problem


async def published(
    infra: Infra, subjects: list[str], done: Any, within: float = 60.0
) -> list[tuple[str, Any]]:
    """The contract events of these records on the topic, as (event name, event), once
    `done` holds for them."""

    def parse(records: list[ConsumerRecord]) -> list[tuple[str, Any]]:
        events = []
        for r in by_subject(records, *subjects):
            ce_type = headers_of(r)["ce_type"]
            events.append((ce_type.split(".")[2], CONTRACT.parse(ce_type, r.value)))
        return events

    records = await read_topic(infra.kafka_bootstrap, TOPIC, lambda rs: done(parse(rs)), within)
    return parse(records)


def named(events: list[tuple[str, Any]], name: str) -> list[Any]:
    return [e for n, e in events if n == name]
