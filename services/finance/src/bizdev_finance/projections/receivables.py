"""The receivables of crm's signed contracts, with their invoices: what was invoiced, what
was paid, which invoice is overdue; and the deadline of each invoice's due date, which the
receivable's own events arm and clear."""

from __future__ import annotations

from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    insert_row,
    put_record,
    update_record,
    update_row,
)
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_finance import published

INVOICE_DUE = "invoice_due"
"""Deadline kind, armed by this view: an invoice's due date is over (item: the invoice id)."""


class Receivables(Projection):
    name = "receivables"
    tables = ("receivables", "invoices")
    ddl = [
        """
        CREATE TABLE IF NOT EXISTS {schema}.receivables (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            contract_id uuid NOT NULL,
            contract_number text NOT NULL,
            customer_id uuid NOT NULL,
            department text NOT NULL,
            salesperson text NOT NULL,
            project_id uuid,
            value_amount numeric NOT NULL,
            value_currency text NOT NULL,
            signed_on date NOT NULL,
            invoiced_amount numeric NOT NULL DEFAULT 0,
            paid_amount numeric NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.invoices (
            id uuid PRIMARY KEY,
            receivable_id uuid NOT NULL,
            number text NOT NULL,
            amount_amount numeric NOT NULL,
            amount_currency text NOT NULL,
            paid_amount numeric NOT NULL DEFAULT 0,
            issued_on date NOT NULL,
            due_on date NOT NULL,
            customer_id uuid NOT NULL,
            project_id uuid,
            salesperson text NOT NULL,
            overdue boolean NOT NULL DEFAULT false
        )
        """,
        "CREATE INDEX IF NOT EXISTS invoices_receivable ON {schema}.invoices (receivable_id)",
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.ReceivableOpened():
                await self._opened(conn, event)
            case published.RevenueRecorded():
                await self._revenue(conn, event)
            case published.PaymentReceived():
                await self._payment(conn, event)
            case published.ReceivableOverdue():
                await self._overdue(conn, event)

    async def _opened(self, conn: ViewConnection, event: published.ReceivableOpened) -> None:
        await put_record(
            conn,
            self.t["receivables"],
            event,
            {
                "contract_id": event.contract_id,
                "contract_number": event.contract_number,
                "customer_id": event.customer_id,
                "department": event.department,
                "salesperson": event.salesperson,
                "project_id": event.project_id,
                "value_amount": event.value.amount,
                "value_currency": event.value.currency,
                "signed_on": event.signed_on,
            },
        )

    async def _revenue(self, conn: ViewConnection, event: published.RevenueRecorded) -> None:
        receivables = self.t["receivables"]
        if not await update_record(conn, receivables, event, {}):
            return
        await insert_row(
            conn,
            self.t["invoices"],
            {
                "id": event.invoice_id,
                "receivable_id": event.aggregate_id,
                "number": event.number,
                "amount_amount": event.amount.amount,
                "amount_currency": event.amount.currency,
                "issued_on": event.issued_on,
                "due_on": event.due_on,
                "customer_id": event.customer_id,
                "project_id": event.project_id,
                "salesperson": event.salesperson,
            },
        )
        await conn.execute(
            f"UPDATE {receivables} SET invoiced_amount = invoiced_amount + $2 WHERE id = $1",
            event.aggregate_id,
            event.amount.amount,
        )
        await set_deadline(
            conn,
            self.schema,
            INVOICE_DUE,
            event.aggregate_id,
            end_of(event.due_on),
            str(event.invoice_id),
        )

    async def _payment(self, conn: ViewConnection, event: published.PaymentReceived) -> None:
        receivables = self.t["receivables"]
        if not await update_record(conn, receivables, event, {}):
            return
        await conn.execute(
            f"UPDATE {self.t['invoices']} SET paid_amount = paid_amount + $2 WHERE id = $1",
            event.invoice_id,
            event.amount.amount,
        )
        await conn.execute(
            f"UPDATE {receivables} SET paid_amount = paid_amount + $2 WHERE id = $1",
            event.aggregate_id,
            event.amount.amount,
        )
        if event.outstanding.amount == 0:
            await clear_deadline(
                conn, self.schema, INVOICE_DUE, event.aggregate_id, str(event.invoice_id)
            )

    async def _overdue(self, conn: ViewConnection, event: published.ReceivableOverdue) -> None:
        if await update_record(conn, self.t["receivables"], event, {}):
            await update_row(conn, self.t["invoices"], {"id": event.invoice_id}, {"overdue": True})
