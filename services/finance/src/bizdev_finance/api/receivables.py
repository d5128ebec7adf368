"""Revenue and receivables: crm's signed contracts open receivable schedules; finance issues
invoices (revenue recorded) and records payments; the ageing of what is still due."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from bizdev_common.api import ReadConsistency, RuntimeDep, page_of
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, MoneyIn, Name, PageParams, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.days import company_day
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_finance.api.access import Reach, guard_receivable
from bizdev_finance.api.common import App, Change
from bizdev_finance.domain import Receivable

router = APIRouter(route_class=CommandRoute)


class InvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Title = Field(
        description="The invoice number, unique company-wide (case and spaces aside): one "
        "already used on any contract is a 409"
    )
    amount: MoneyIn = Field(description="In the contract's currency; all invoices ≤ its value")
    due_on: Day = Field(description="Today or later")


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: MoneyIn = Field(description="At most what is outstanding on the invoice")
    paid_on: Day = Field(description="Between the invoicing and today")


class InvoiceAccepted(BaseModel):
    """The receivable's new version, and the invoice's id."""

    id: UUID = Field(description="The receivable")
    version: int
    invoice_id: UUID


class InvoiceView(BaseModel):
    id: UUID
    number: str
    amount: MoneyModel
    paid: MoneyModel
    outstanding: MoneyModel
    issued_on: date
    due_on: date
    overdue: bool


class ReceivableView(BaseModel):
    id: UUID
    version: int
    contract_id: UUID
    contract_number: str
    customer_id: UUID
    department: str
    salesperson: str
    project_id: UUID | None
    value: MoneyModel
    invoiced: MoneyModel
    paid: MoneyModel
    signed_on: date
    created_at: datetime
    updated_at: datetime


class ReceivableDetail(ReceivableView):
    invoices: list[InvoiceView]


class ReceivableAsOf(BaseModel):
    id: UUID
    version: int
    contract_id: UUID
    value: MoneyModel
    invoiced: MoneyModel
    modified_on: datetime


class AgeingRow(BaseModel):
    """What is still due in one currency, by how long past its due date (days)."""

    currency: str
    not_due: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal


def _money(amount: Decimal, currency: str) -> MoneyModel:
    return MoneyModel(amount=amount, currency=currency)


def receivable_view(r: asyncpg.Record) -> ReceivableView:
    c = r["value_currency"]
    return ReceivableView.model_validate(
        {
            **dict(r),
            "value": _money(r["value_amount"], c),
            "invoiced": _money(r["invoiced_amount"], c),
            "paid": _money(r["paid_amount"], c),
        }
    )


RECEIVABLES = ListQuery(
    "receivables",
    filters=["customer_id", "project_id", "salesperson", "department", "contract_id"],
    sorts=["created_at", "updated_at", "signed_on", "contract_number"],
    text=["contract_number"],
    default_sort="-created_at",
)


@router.post(
    "/receivables/{receivable_id}/invoices",
    status_code=201,
    response_model=InvoiceAccepted,
    tags=["receivables"],
    summary="Issue an invoice against a signed contract (finance)",
    description="Publishes RevenueRecorded; an invoice unpaid after its due date raises "
    "ReceivableOverdue once.",
)
def issue_invoice(
    receivable_id: UUID, body: InvoiceIn, actor: CurrentActor, cmd: Change
) -> InvoiceAccepted:
    result, invoice_id = cmd.app.issue_invoice(
        actor,
        receivable_id,
        cmd.version,
        number=body.number,
        amount=body.amount.to_money(),
        due_on=body.due_on,
    )
    done = cmd.accepted(result)
    return InvoiceAccepted(id=done.id, version=done.version, invoice_id=invoice_id)


@router.post(
    "/receivables/{receivable_id}/invoices/{invoice_id}/payments",
    response_model=InvoiceAccepted,
    tags=["receivables"],
    summary="Record a payment of an invoice (finance)",
    description="Publishes PaymentReceived.",
)
def record_payment(
    receivable_id: UUID, invoice_id: UUID, body: PaymentIn, actor: CurrentActor, cmd: Change
) -> InvoiceAccepted:
    result = cmd.app.record_payment(
        actor,
        receivable_id,
        cmd.version,
        invoice_id,
        amount=body.amount.to_money(),
        paid_on=body.paid_on,
    )
    done = cmd.accepted(result)
    return InvoiceAccepted(id=done.id, version=done.version, invoice_id=invoice_id)


@router.get("/receivables", response_model=Page[ReceivableView], tags=["receivables"])
async def list_receivables(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(RECEIVABLES.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    customer_id: UUID | None = None,
    project_id: UUID | None = None,
    salesperson: Name | None = None,
    department: Name | None = None,
    contract_id: UUID | None = None,
) -> Page[ReceivableView]:
    where = {
        "customer_id": customer_id,
        "project_id": project_id,
        "salesperson": salesperson,
        "department": department,
        "contract_id": contract_id,
        "reach": Reach.of(rt, actor).receivables(),
    }
    return await page_of(rt, RECEIVABLES, page, consistency, where, receivable_view)


@router.get(
    "/receivables-ageing",
    response_model=list[AgeingRow],
    tags=["receivables"],
    summary="What is still due, per currency, by days past its due date (as of today)",
)
async def ageing(actor: CurrentActor, rt: RuntimeDep, app: App) -> list[AgeingRow]:
    today = company_day(app.clock.now())
    schema = f'"{rt.settings.schema_name}"'
    reach = Reach.of(rt, actor)
    visible, args = reach.sql(reach.receivables(), 2)
    rows = await rt.pool.fetch(
        "SELECT amount_currency AS currency, "
        "coalesce(sum(d) FILTER (WHERE age <= 0), 0) AS not_due, "
        "coalesce(sum(d) FILTER (WHERE age BETWEEN 1 AND 30), 0) AS days_1_30, "
        "coalesce(sum(d) FILTER (WHERE age BETWEEN 31 AND 60), 0) AS days_31_60, "
        "coalesce(sum(d) FILTER (WHERE age BETWEEN 61 AND 90), 0) AS days_61_90, "
        "coalesce(sum(d) FILTER (WHERE age > 90), 0) AS over_90 "
        f"FROM (SELECT amount_currency, amount_amount - paid_amount AS d, $1::date - due_on "
        f"AS age FROM {schema}.invoices WHERE amount_amount > paid_amount AND receivable_id "
        f"IN (SELECT id FROM {schema}.receivables WHERE {visible})) due "
        "GROUP BY amount_currency ORDER BY amount_currency",
        today,
        *args,
    )
    return [AgeingRow.model_validate(dict(r)) for r in rows]


async def _detail(rt: Runtime[Any, Any], actor: Actor, row: asyncpg.Record) -> ReceivableDetail:
    schema = f'"{rt.settings.schema_name}"'
    invoices = await rt.pool.fetch(
        f"SELECT * FROM {schema}.invoices WHERE receivable_id = $1 ORDER BY issued_on, number",
        row["id"],
    )
    return ReceivableDetail(
        **receivable_view(row).model_dump(),
        invoices=[
            InvoiceView(
                id=i["id"],
                number=i["number"],
                amount=_money(i["amount_amount"], i["amount_currency"]),
                paid=_money(i["paid_amount"], i["amount_currency"]),
                outstanding=_money(i["amount_amount"] - i["paid_amount"], i["amount_currency"]),
                issued_on=i["issued_on"],
                due_on=i["due_on"],
                overdue=i["overdue"],
            )
            for i in invoices
        ],
    )


def _as_of(r: Receivable) -> ReceivableAsOf:
    invoiced = r.invoiced()
    return ReceivableAsOf(
        id=r.id,
        version=r.version,
        contract_id=r.contract_id,
        value=_money(r.value.amount, r.value.currency),
        invoiced=_money(invoiced.amount, invoiced.currency),
        modified_on=r.modified_on,
    )


RECEIVABLE = RecordRoutes(
    router, "/receivables/{receivable_id}", "receivable", ["receivables"], guard=guard_receivable
)
RECEIVABLE.detail("receivables", ReceivableDetail, read=_detail)
RECEIVABLE.history(Receivable, summary=EVERY_EVENT)
RECEIVABLE.as_of(Receivable, ReceivableAsOf, _as_of, summary="The receivable as of a version")
