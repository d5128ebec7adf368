"""Who books spending (REGULATIONS 7.2), over HTTP on the real Kafka and PostgreSQL: the
project's team (known to finance from projects' team events), its lead, the head of its
department and finance; hr, the archivist and an employee of an unrelated department are
refused a 403 and book nothing. A held overspend waits on management other than its
requester: the manager who requested it does not find it in her inbox."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from bizdev_finance.domain import Budget

from .conftest import Infra, auth, eventually, unique
from .flows import ok
from .planning_flows import Crew, executing_project, refused
from .test_poison import PROJECTS_TOPIC, headers, parked, put, reserve_sequence


async def approved_budget(
    http: httpx.AsyncClient, finance_http: httpx.AsyncClient, crew: Crew, fin: dict[str, str]
) -> tuple[str, uuid.UUID, dict[str, Any]]:
    project_id, _ = await executing_project(http, crew)
    budget_id = Budget.create_id(uuid.UUID(project_id))
    draft = await eventually(
        lambda: finance_http.get(f"/budgets/{budget_id}", headers=fin),
        lambda r: r.status_code == 200,
        within=60,
    )
    await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/approve", json={"contingency_percent": "0"}, headers=fin
        )
    )
    return project_id, budget_id, draft.json()


def expense(line: dict[str, Any], amount: str, **why: str) -> dict[str, Any]:
    return {
        "line_id": line["line_id"],
        "amount": {"amount": amount, "currency": line["budget"]["currency"]},
        "spent_on": datetime.now(UTC).date().isoformat(),
        "vendor": "Expo Hall Ltd",
        "description": "Booth",
        **why,
    }


async def test_expenses_are_booked_by_the_projects_people_and_nobody_else(
    http: httpx.AsyncClient, finance_http: httpx.AsyncClient, infra: Infra
) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        # A team event finance cannot read is parked; the teams after it are still learnt.
        broken_id = uuid.uuid4()
        await put(
            infra,
            PROJECTS_TOPIC,
            broken_id,
            json.dumps({"aggregate_id": str(broken_id), "version": 2, "member": 7}).encode(),
            headers(
                "projects",
                "bizdev.projects.TeamMemberAdded.v1",
                broken_id,
                await reserve_sequence(conn, "projects"),
            ),
        )
        crew = Crew()
        fin = auth(unique("fin"), "finance", "employee", "finance")
        _, budget_id, budget = await approved_budget(http, finance_http, crew, fin)
        broken = await parked(conn, "finance", ce_id=f"{broken_id}/1", handler="project_teams")
        assert broken["consumer_group"] == "finance.project_teams"
    finally:
        await conn.close()
    path = f"/budgets/{budget_id}/expenses"
    line = budget["lines"][0]

    async def book(who: dict[str, str]) -> httpx.Response:
        return await finance_http.post(path, json=expense(line, "1.00"), headers=who)

    # Finance learns the team from projects' events a moment after projects records them.
    booked = [await eventually(lambda: book(crew.member), lambda r: r.status_code == 201)]
    outsiders = [
        auth(unique("hr"), "hr", "employee", "hr"),
        auth(unique("archivist"), "records", "employee", "archivist"),
        auth(unique("clerk"), unique("dept"), "employee"),
    ]
    for outsider in outsiders:
        refused(await book(outsider), 403)
    for who in (crew.lead, crew.head, fin):
        booked.append(await book(who))
        assert booked[-1].status_code == 201, booked[-1].text
    last = booked[-1].json()
    seen = await ok(
        await finance_http.get(
            "/expenses",
            params={"budget_id": str(budget_id), "min_version": last["version"],
                    "wait_for": str(budget_id)},
            headers=fin,
        )
    )  # fmt: skip
    # Each booked once, by whom it names; none of the refused left a trace.
    assert sorted(e["id"] for e in seen["items"]) == sorted(r.json()["expense_id"] for r in booked)
    assert {e["state"] for e in seen["items"]} == {"committed"}


async def test_a_held_overspend_waits_on_management_but_never_on_its_requester(
    http: httpx.AsyncClient, finance_http: httpx.AsyncClient
) -> None:
    crew = Crew()
    fin = auth(unique("fin"), "finance", "employee", "finance")
    project_id, budget_id, budget = await approved_budget(http, finance_http, crew, fin)
    # A manager on the team requests spending beyond the line.
    await ok(
        await http.post(
            f"/projects/{project_id}/members",
            json={"user_id": crew.manager_id, "responsibilities": "Sponsor"},
            headers=crew.lead,
        )
    )
    line = budget["lines"][0]
    over = str(Decimal(line["budget"]["amount"]) + 1)
    held = (
        await eventually(
            lambda: finance_http.post(
                f"/budgets/{budget_id}/expenses",
                json=expense(line, over, reason="The hall doubled", necessity="Signed already"),
                headers=crew.manager,
            ),
            lambda r: r.status_code == 201,
        )
    ).json()
    other_manager = auth(unique("boss"), "management", "employee", "management")

    async def waiting(who: dict[str, str]) -> list[str]:
        r = await finance_http.get(
            "/inbox",
            params={"record_id": str(budget_id), "wait_for": str(budget_id),
                    "min_version": held["version"]},
            headers=who,
        )  # fmt: skip
        return [i["item"] for i in (await ok(r))["items"] if i["kind"] == "overspend_to_decide"]

    assert await waiting(other_manager) == [held["expense_id"]]
    assert await waiting(crew.manager) == []
    decide = f"/budgets/{budget_id}/expenses/{held['expense_id']}/approve"
    refused(await finance_http.post(decide, headers=crew.manager), 403)
    await ok(await finance_http.post(decide, headers=other_manager))
