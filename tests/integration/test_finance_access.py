"""Who reads finance's records, on the real Kafka and PostgreSQL: management, finance and the
auditor everything; the head of the project's department and the team lead projects appointed
(known from projects' TeamLeadAppointed, a malformed one parked) that project's budget,
spending and reports; the head of a contract's department its receivable; an employee only
the expenses they requested; anyone else a 403 or a list without it."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
from bizdev_finance.domain import Budget, Receivable

from .conftest import Infra, auth, eventually, unique
from .flows import ok
from .planning_flows import Crew, executing_project, refused
from .test_finance_receivables import signed_contract
from .test_poison import PROJECTS_TOPIC, headers, parked, put, reserve_sequence


async def test_budgets_are_read_by_their_department_head_and_team_lead_only(
    http: httpx.AsyncClient, finance_http: httpx.AsyncClient, infra: Infra
) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        broken_id = uuid.uuid4()
        await put(
            infra,
            PROJECTS_TOPIC,
            broken_id,
            b'{"aggregate_id": "' + str(broken_id).encode() + b'", "team_lead": 7',
            headers(
                "projects",
                "bizdev.projects.TeamLeadAppointed.v1",
                broken_id,
                await reserve_sequence(conn, "projects"),
            ),
        )
        crew = Crew()
        project_id, _ = await executing_project(http, crew)
        broken = await parked(conn, "finance", ce_id=f"{broken_id}/1", handler="team_leads")
        assert broken["consumer_group"] == "finance.team_leads"
    finally:
        await conn.close()

    fin = auth(unique("fin"), "finance", "employee", "finance")
    budget_id = Budget.create_id(uuid.UUID(project_id))
    path = f"/budgets/{budget_id}"

    async def status(who: dict[str, str]) -> int:
        return (await finance_http.get(path, headers=who)).status_code

    # The lead (of another department) reads it once projects' appointment reached finance.
    await eventually(lambda: status(crew.lead), lambda s: s == 200, within=60)
    for reader in (fin, crew.head, crew.auditor, crew.manager):
        assert await status(reader) == 200
    for outsider in (crew.member, crew.finance_head):  # an employee; another department's head
        for suffix in ("", "/history", "/as-of?version=1"):
            refused(await finance_http.get(path + suffix, headers=outsider), 403)

    async def budgets(who: dict[str, str]) -> list[str]:
        r = await finance_http.get("/budgets", params={"limit": 200}, headers=who)
        return [b["project_id"] for b in (await ok(r))["items"]]

    assert await budgets(crew.lead) == [project_id]  # only what they lead
    assert project_id in await budgets(crew.head)
    assert project_id not in await budgets(crew.finance_head)
    assert await budgets(crew.member) == []

    # The member requests an expense: they see it, not the budget; another head sees neither.
    draft = await ok(await finance_http.get(path, headers=fin))
    await ok(
        await finance_http.post(f"{path}/approve", json={"contingency_percent": "0"}, headers=fin)
    )
    spent = await ok(
        await finance_http.post(
            f"{path}/expenses",
            json={
                "line_id": draft["lines"][0]["line_id"],
                "amount": {"amount": "10.00", "currency": "CNY"},
                "spent_on": "2026-03-02",
                "vendor": "V",
                "description": "D",
            },
            headers=crew.member,
        ),
        201,
    )

    async def expenses(who: dict[str, str]) -> list[str]:
        r = await finance_http.get(
            "/expenses",
            params={"limit": 200, "wait_for": str(budget_id), "min_version": spent["version"]},
            headers=who,
        )
        return [e["id"] for e in (await ok(r))["items"]]

    assert await expenses(crew.member) == [spent["expense_id"]]
    assert spent["expense_id"] in await expenses(crew.lead)
    assert spent["expense_id"] not in await expenses(crew.finance_head)

    async def variance(who: dict[str, str]) -> list[dict[str, Any]]:
        r = await finance_http.get("/reports/variance", params={"by": "project"}, headers=who)
        return list(await ok(r))

    assert [r["project_id"] for r in await variance(crew.lead)] == [project_id]
    assert project_id not in [r["project_id"] for r in await variance(crew.finance_head)]
    assert await variance(crew.member) == []


async def test_receivables_are_read_by_the_head_of_the_contracts_department(
    crm_http: httpx.AsyncClient, finance_http: httpx.AsyncClient
) -> None:
    contract_id, people = await signed_contract(crm_http, "100.00")  # of no project
    path = f"/receivables/{Receivable.create_id(uuid.UUID(contract_id))}"
    await eventually(
        lambda: finance_http.get(path, headers=people.auditor),
        lambda r: r.status_code == 200,
        within=60,
    )
    assert (await finance_http.get(path, headers=people.head)).status_code == 200
    other_head = auth(unique("head"), unique("dept"), "employee", "department_head")
    for outsider in (people.rep, other_head):
        refused(await finance_http.get(path, headers=outsider), 403)
        listed = await ok(
            await finance_http.get(
                "/receivables", params={"contract_id": contract_id}, headers=outsider
            )
        )
        assert listed["items"] == []
    listed = await ok(
        await finance_http.get(
            "/receivables", params={"contract_id": contract_id}, headers=people.head
        )
    )
    assert [r["contract_id"] for r in listed["items"]] == [contract_id]
