"""Actuals come from events, not typing (REGULATIONS 8.3), through Kafka only: a contract
signed in crm and revenue recorded in finance move the salesperson's attainment; a complaint
closed in crm with the customer's satisfaction moves its owner's; a project's team (as
projects forms it) attains its sales and its profit (revenue less the expenses finance
paid)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from bizdev_finance.domain import Budget, Receivable

from .conftest import auth, eventually, unique
from .crm_flows import CrmPeople, closed, register
from .flows import booked, ok
from .performance_flows import attainment_of, hr, indicator, join, target, today_iso
from .planning_flows import Crew, executing_project
from .test_finance_receivables import signed_contract


async def test_a_signed_contract_and_recorded_revenue_move_the_salesperson_s_attainment(
    crm_http: httpx.AsyncClient,
    finance_http: httpx.AsyncClient,
    performance_http: httpx.AsyncClient,
) -> None:
    month = datetime.now(UTC).strftime("%Y-%m")
    officer = hr()
    contract_id, people = await signed_contract(crm_http, "480000.00")
    await join(performance_http, officer, people.rep_id, people.department)
    sales = await indicator(performance_http, officer, "sales")
    revenue = await indicator(performance_http, officer, "sales", measure="revenue")
    await target(performance_http, officer, sales, people.rep_id, month, "960000")
    await target(performance_http, officer, revenue, people.rep_id, month, "400000")

    signed = await attainment_of(
        performance_http, officer, sales, people.rep_id, month, lambda r: r["facts"] >= 1
    )
    assert signed["actual"] == "480000.00"
    assert Decimal(signed["attainment"]) == Decimal(50)
    assert signed["subject_department"] == people.department

    fin = auth(unique("fin"), "finance", "employee", "finance")
    receivable_id = Receivable.create_id(uuid.UUID(contract_id))
    await eventually(
        lambda: finance_http.get(f"/receivables/{receivable_id}", headers=fin),
        lambda r: r.status_code == 200,
        within=60,
    )
    await ok(
        await finance_http.post(
            f"/receivables/{receivable_id}/invoices",
            json={
                "number": unique("FP"),
                "amount": {"amount": "100000.00", "currency": "CNY"},
                "due_on": datetime.now(UTC).date().isoformat(),
            },
            headers=fin,
        ),
        201,
    )
    invoiced = await attainment_of(
        performance_http, officer, revenue, people.rep_id, month, lambda r: r["facts"] >= 1
    )
    assert invoiced["actual"] == "100000.00"
    assert Decimal(invoiced["attainment"]) == Decimal(25)
    # The department's attainment follows its people's contracts too.
    await target(
        performance_http, officer, sales, people.department, month, "480000",
        subject_kind="department",
    )  # fmt: skip
    department = await attainment_of(
        performance_http, officer, sales, people.department, month, lambda r: r["facts"] >= 1
    )
    assert Decimal(department["attainment"]) == Decimal(100)

    # Need to know: a colleague does not see the salesperson's attainment; they do.
    colleague = auth(unique("colleague"), people.department, "employee")
    r = await performance_http.get(
        "/attainment", params={"subject": people.rep_id, "period": month}, headers=colleague
    )
    assert r.json() == []
    r = await performance_http.get(
        "/attainment", params={"subject": people.rep_id, "period": month}, headers=people.rep
    )
    assert len(r.json()) == 2

    # A signed contract terminated was no sale after all; the revenue invoiced stays.
    await ok(
        await crm_http.post(
            f"/contracts/{contract_id}/terminate",
            json={"reason": "The customer withdrew"},
            headers=people.head,
        )
    )
    ended = await attainment_of(
        performance_http, officer, sales, people.rep_id, month, lambda r: r["facts"] == 0
    )
    assert Decimal(ended["actual"]) == 0
    kept = await attainment_of(
        performance_http, officer, revenue, people.rep_id, month, lambda r: r["facts"] == 1
    )
    assert kept["actual"] == "100000.00"


async def test_satisfaction_recorded_in_crm_moves_the_complaint_owner_s_attainment(
    crm_http: httpx.AsyncClient, performance_http: httpx.AsyncClient
) -> None:
    month = datetime.now(UTC).strftime("%Y-%m")
    officer = hr()
    people = CrmPeople()
    await join(performance_http, officer, people.owner_id, people.department)
    satisfaction = await indicator(performance_http, officer, "customer_satisfaction", unit="score")
    await target(performance_http, officer, satisfaction, people.owner_id, month, "4.5")
    customer = await register(crm_http, people)
    await closed(crm_http, people, customer["id"], satisfaction=4)
    await closed(crm_http, people, customer["id"], satisfaction=5)

    row = await attainment_of(
        performance_http, officer, satisfaction, people.owner_id, month,
        lambda r: r["facts"] >= 2,
    )  # fmt: skip
    assert Decimal(row["actual"]) == Decimal("4.5")
    assert Decimal(row["attainment"]) == Decimal(100)
    # The owner, not the rep who received the complaints, is credited.
    r = await performance_http.get(
        "/attainment", params={"subject": people.rep_id, "period": month}, headers=officer
    )
    assert r.json() == []


async def test_teams_follow_projects_and_their_sales_and_profit_come_from_crm_and_finance(
    http: httpx.AsyncClient,
    crm_http: httpx.AsyncClient,
    finance_http: httpx.AsyncClient,
    performance_http: httpx.AsyncClient,
) -> None:
    crew = Crew()
    project_id, _ = await executing_project(http, crew)

    async def team() -> list[dict[str, Any]]:
        r = await performance_http.get(
            "/teams", params={"project_id": project_id}, headers=crew.member
        )
        return list(r.json()) if r.status_code == 200 else []

    [formed] = await eventually(team, lambda t: bool(t) and len(t[0]["members"]) == 2, within=60)
    assert formed["department"] == crew.department
    assert formed["members"] == [
        {"member": crew.lead_id, "lead": True},
        {"member": crew.member_id, "lead": False},
    ]

    # A contract crm signs for the project counts for its team, its invoice too.
    crm_people = CrmPeople()
    customer = await register(crm_http, crm_people)
    drafted = await ok(
        await crm_http.post(
            "/contracts",
            json={
                "customer_id": customer["id"],
                "number": unique("HT"),
                "title": "Warehouse pilot",
                "value": {"amount": "30000.00", "currency": "CNY"},
                "project_id": project_id,
            },
            headers=crm_people.rep,
        ),
        201,
    )
    await ok(
        await crm_http.post(
            f"/contracts/{drafted['id']}/sign",
            json={"signed_on": today_iso()},
            headers=crm_people.head,
        )
    )
    fin = auth(unique("fin"), "finance", "employee", "finance")
    receivable_id = Receivable.create_id(uuid.UUID(drafted["id"]))
    await eventually(
        lambda: finance_http.get(f"/receivables/{receivable_id}", headers=fin),
        lambda r: r.status_code == 200,
        within=60,
    )
    await ok(
        await finance_http.post(
            f"/receivables/{receivable_id}/invoices",
            json={
                "number": unique("FP"),
                "amount": {"amount": "30000.00", "currency": "CNY"},
                "due_on": today_iso(),
            },
            headers=fin,
        ),
        201,
    )
    # Less what finance pays against the project's budget: its profit.
    budget_id = Budget.create_id(uuid.UUID(project_id))
    budget = await eventually(
        lambda: finance_http.get(f"/budgets/{budget_id}", headers=fin),
        lambda r: r.status_code == 200,
        within=60,
    )
    await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/approve", json={"contingency_percent": "10"}, headers=fin
        )
    )
    line = next(x for x in budget.json()["lines"] if x["category"] == "marketing")
    body = {
        "line_id": line["line_id"],
        "amount": {"amount": "10000.00", "currency": "CNY"},
        "spent_on": today_iso(),
        "vendor": "Expo Hall Ltd",
        "description": "Booth",
    }
    expense = await ok(await booked(finance_http, budget_id, body, crew.member), 201)
    # Paid, it is posted: an actual cost.
    await ok(
        await finance_http.post(
            f"/budgets/{budget_id}/expenses/{expense['expense_id']}/pay",
            json={"paid_on": today_iso()},
            headers=fin,
        )
    )

    officer = hr()
    sales = await indicator(performance_http, officer, "sales")
    profit = await indicator(performance_http, officer, "profit")
    month = today_iso()[:7]
    await target(performance_http, officer, sales, project_id, month, "120000", subject_kind="team")
    await target(performance_http, officer, profit, project_id, month, "40000", subject_kind="team")
    row = await attainment_of(
        performance_http, officer, sales, project_id, month, lambda r: r["facts"] >= 1
    )
    assert (row["actual"], row["subject_department"]) == ("30000.00", crew.department)
    assert Decimal(row["attainment"]) == 25
    earned = await attainment_of(
        performance_http, officer, profit, project_id, month, lambda r: r["facts"] >= 2
    )
    assert earned["actual"] == "20000.00"
    assert Decimal(earned["attainment"]) == 50
