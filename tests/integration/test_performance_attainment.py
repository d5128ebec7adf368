"""Actuals come from events, not typing (REGULATIONS 8.3), through Kafka only: a contract
signed in crm and revenue recorded in finance move the salesperson's attainment; a complaint
closed in crm with the customer's satisfaction moves its owner's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from bizdev_finance.domain import Receivable

from .conftest import auth, eventually, unique
from .crm_flows import CrmPeople, closed, register
from .flows import ok
from .performance_flows import attainment_of, hr, indicator, join, target
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
