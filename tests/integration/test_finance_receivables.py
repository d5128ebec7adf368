"""Revenue and receivables on the real Kafka and PostgreSQL: a contract signed in crm opens a
receivable in finance; an invoice records revenue; left unpaid past its due date under a test
clock it raises one ReceivableOverdue."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from bizdev_finance.domain import Receivable
from bizdev_finance.published import CONTRACT as FINANCE

from .conftest import Infra, auth, by_subject, eventually, headers_of, read_topic, unique
from .conftest import TestClock as Clock
from .crm_flows import CrmPeople, register
from .flows import ok
from .planning_flows import refused


async def signed_contract(crm_http: httpx.AsyncClient, value: str) -> tuple[str, CrmPeople]:
    people = CrmPeople()
    customer = await register(crm_http, people)
    drafted = await ok(
        await crm_http.post(
            "/contracts",
            json={
                "customer_id": customer["id"],
                "number": unique("HT"),
                "title": "Warehouse pilot",
                "value": {"amount": value, "currency": "CNY"},
            },
            headers=people.rep,
        ),
        201,
    )
    today = datetime.now(UTC).date().isoformat()
    await ok(
        await crm_http.post(
            f"/contracts/{drafted['id']}/sign", json={"signed_on": today}, headers=people.head
        )
    )
    return str(drafted["id"]), people


async def test_a_signed_contract_invoiced_and_unpaid_past_due_is_overdue_once(
    crm_http: httpx.AsyncClient,
    finance_http: httpx.AsyncClient,
    clocks: Callable[[str], Clock],
    infra: Infra,
) -> None:
    contract_id, people = await signed_contract(crm_http, "480000.00")
    fin = auth(unique("fin"), "finance", "employee", "finance")
    receivable_id = Receivable.create_id(uuid.UUID(contract_id))

    async def detail() -> dict[str, Any] | None:
        r = await finance_http.get(f"/receivables/{receivable_id}", headers=fin)
        return r.json() if r.status_code == 200 else None

    opened = await eventually(detail, lambda d: d is not None, within=60)
    assert opened is not None
    assert opened["value"] == {"amount": "480000.00", "currency": "CNY"}
    assert opened["salesperson"] == people.rep_id

    today = datetime.now(UTC).date()
    invoice = await ok(
        await finance_http.post(
            f"/receivables/{receivable_id}/invoices",
            json={
                "number": unique("FP"),
                "amount": {"amount": "200000.00", "currency": "CNY"},
                "due_on": today.isoformat(),
            },
            headers=fin,
        ),
        201,
    )
    paid = await ok(
        await finance_http.post(
            f"/receivables/{receivable_id}/invoices/{invoice['invoice_id']}/payments",
            json={
                "amount": {"amount": "50000.01", "currency": "CNY"},
                "paid_on": today.isoformat(),
            },
            headers=fin,
        )
    )

    clock = clocks("finance")
    try:
        clock.set(datetime.now(UTC) + timedelta(days=2))
        overdue = await eventually(
            detail, lambda d: d is not None and any(i["overdue"] for i in d["invoices"]), within=30
        )
        assert overdue is not None
        # Several more ticks of the scheduler (every 0.2 s here): it must not raise it again.
        await asyncio.sleep(1.5)
        ageing = await ok(await finance_http.get("/receivables-ageing", headers=fin))
        records = await read_topic(
            infra.kafka_bootstrap,
            FINANCE.topic,
            lambda rs: len(by_subject(rs, str(receivable_id))) >= paid["version"] + 1,
        )
    finally:
        clock.reset()
    assert overdue["invoices"][0]["outstanding"] == {"amount": "149999.99", "currency": "CNY"}
    mine = by_subject(records, str(receivable_id))
    names = [headers_of(r)["ce_type"].split(".")[2] for r in mine]
    assert names == ["ReceivableOpened", "RevenueRecorded", "PaymentReceived", "ReceivableOverdue"]
    events = [FINANCE.parse(headers_of(r)["ce_type"], r.value) for r in mine]
    assert str(events[3].outstanding.amount) == "149999.99"
    assert str(events[1].contract_id) == contract_id
    assert events[1].salesperson == people.rep_id
    # Two days past due, 149999.99 CNY is in the 1-30 days bucket (with other tests' invoices).
    [cny] = [row for row in ageing if row["currency"] == "CNY"]
    assert Decimal(cny["days_1_30"]) >= Decimal("149999.99")


async def test_an_invoice_number_is_unique_company_wide_even_at_the_same_moment(
    crm_http: httpx.AsyncClient, finance_http: httpx.AsyncClient
) -> None:
    fin = auth(unique("fin"), "finance", "employee", "finance")
    receivables = []
    for _ in range(3):
        contract_id, _people = await signed_contract(crm_http, "1000.00")
        receivable_id = Receivable.create_id(uuid.UUID(contract_id))
        await eventually(
            lambda r=receivable_id: finance_http.get(f"/receivables/{r}", headers=fin),
            lambda r: r.status_code == 200,
            within=60,
        )
        receivables.append(receivable_id)
    due = datetime.now(UTC).date().isoformat()

    def invoice(receivable_id: uuid.UUID, number: str) -> Any:
        return finance_http.post(
            f"/receivables/{receivable_id}/invoices",
            json={"number": number, "amount": {"amount": "1.00", "currency": "CNY"}, "due_on": due},
            headers=fin,
        )

    number = unique("FP")
    await ok(await invoice(receivables[0], number), 201)
    taken = refused(await invoice(receivables[1], f" {number.lower()} "), 409)
    assert number.lower() in taken["detail"].lower()

    # Two contracts, one new number, at the same moment: one invoice wins, the other is told.
    racing = unique("FP")
    answers = await asyncio.gather(invoice(receivables[1], racing), invoice(receivables[2], racing))
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
