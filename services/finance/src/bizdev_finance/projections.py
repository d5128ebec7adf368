"""Read models of the finance service, fed by its own topic: each budget with its versions
and lines (budget, committed, actual and pending per line), the expenses, the receivables,
the closed periods, and the inbox (spending held for management's approval); and, from
projects' topic, each project's team lead, who may read its budget.

Every write follows the budget row's version guard (bizdev_common.projector): a redelivered
or older event changes nothing, so the lines' running totals are added to exactly once."""

from __future__ import annotations

import json
from decimal import Decimal

import asyncpg
from bizdev_common import inbox
from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.days import end_of
from bizdev_common.domain import Role
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, insert_record, insert_row, update_record, update_row
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_finance import contract as c
from bizdev_finance.domain import BudgetState, ExpenseState
from bizdev_finance.reactions import INVOICE_DUE, TeamLeadAppointed

TEAM_LEADS = EventContract.reading("projects", TeamLeadAppointed)

INBOX_KINDS = ["overspend_to_decide", "budget_to_approve"]
"""What waits on someone in finance (GET /inbox `kind`)."""

FINANCE = inbox.WaitsOn(role=Role.FINANCE)

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.budgets (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        project_id uuid NOT NULL,
        project_name text NOT NULL,
        department text NOT NULL,
        plan_revision int NOT NULL,
        budget_version int NOT NULL,
        state text NOT NULL,
        contingency_percent numeric NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS budgets_project ON {schema}.budgets (project_id)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.budget_versions (
        budget_id uuid NOT NULL,
        budget_version int NOT NULL,
        plan_revision int NOT NULL,
        reason text,
        lines jsonb NOT NULL,
        changes jsonb NOT NULL,
        approved_by text,
        contingency_percent numeric,
        opened_at timestamptz NOT NULL,
        PRIMARY KEY (budget_id, budget_version)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.budget_lines (
        budget_id uuid NOT NULL,
        line_id uuid NOT NULL,
        category text NOT NULL,
        budget_amount numeric NOT NULL,
        currency text NOT NULL,
        committed_amount numeric NOT NULL DEFAULT 0,
        actual_amount numeric NOT NULL DEFAULT 0,
        pending_amount numeric NOT NULL DEFAULT 0,
        in_force boolean NOT NULL DEFAULT true,
        PRIMARY KEY (budget_id, line_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.expenses (
        id uuid PRIMARY KEY,
        budget_id uuid NOT NULL,
        project_id uuid NOT NULL,
        line_id uuid NOT NULL,
        category text NOT NULL,
        amount_amount numeric NOT NULL,
        amount_currency text NOT NULL,
        spent_on date NOT NULL,
        paid_on date,
        vendor text NOT NULL,
        description text NOT NULL,
        requester text NOT NULL,
        state text NOT NULL,
        reason text,
        necessity text,
        decided_by text,
        refusal_reason text,
        recorded_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS expenses_budget ON {schema}.expenses (budget_id)",
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
    """
    CREATE TABLE IF NOT EXISTS {schema}.periods (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        month text NOT NULL,
        first_day date NOT NULL,
        last_day date NOT NULL,
        closed_by text NOT NULL,
        threshold_percent numeric,
        flagged_lines jsonb NOT NULL DEFAULT '[]',
        final boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.variance_explanations (
        period_id uuid NOT NULL,
        budget_id uuid NOT NULL,
        line_id uuid NOT NULL,
        reason text NOT NULL,
        improvement text NOT NULL,
        explained_by text NOT NULL,
        PRIMARY KEY (period_id, budget_id, line_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.project_team_leads (
        project_id uuid PRIMARY KEY,
        version int NOT NULL,
        team_lead text NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS project_team_leads_lead ON {schema}.project_team_leads (team_lead)",
    "CREATE INDEX IF NOT EXISTS budgets_department ON {schema}.budgets (department)",
    *inbox.DDL,
]


def _lines_json(lines: list[c.BudgetLineModel]) -> str:
    return json.dumps([line.model_dump(mode="json") for line in lines])


def _changes_json(changes: list[c.LineChange]) -> str:
    return json.dumps([change.model_dump(mode="json") for change in changes])


class FinanceViews(Projection):
    name = "views"
    tables = (
        "budgets",
        "budget_versions",
        "budget_lines",
        "expenses",
        "receivables",
        "invoices",
        "periods",
        "variance_explanations",
        "project_team_leads",
        inbox.TABLE,
    )
    ddl = DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [c.CONTRACT, TEAM_LEADS])

    async def apply(self, conn: asyncpg.Connection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case (
                c.BudgetOpened() | c.BudgetVersionOpened() | c.BudgetApproved() | c.BudgetRevised()
            ):
                await self._budget(conn, event)
            case (
                c.ExpenseCommitted()
                | c.ExpensePosted()
                | c.ExpenseHeldForApproval()
                | c.OverspendApproved()
                | c.OverspendRefused()
                | c.BudgetLineOverrun()
            ):
                await self._spending(conn, event)
            case (
                c.ReceivableOpened()
                | c.RevenueRecorded()
                | c.PaymentReceived()
                | c.ReceivableOverdue()
            ):
                await self._receivable(conn, event)
            case c.PeriodClosed():
                await insert_record(
                    conn,
                    self.t["periods"],
                    event,
                    {
                        "month": event.month,
                        "first_day": event.first_day,
                        "last_day": event.last_day,
                        "closed_by": event.by,
                        "threshold_percent": event.threshold_percent,
                        "flagged_lines": json.dumps(
                            [f.model_dump(mode="json") for f in event.flagged_lines or ()]
                        ),
                    },
                )
            case c.VarianceExplained():
                if await update_record(conn, self.t["periods"], event, {}):
                    await conn.execute(
                        f"INSERT INTO {self.t['variance_explanations']} (period_id, budget_id, "
                        "line_id, reason, improvement, explained_by) VALUES ($1, $2, $3, $4, "
                        "$5, $6) ON CONFLICT (period_id, budget_id, line_id) DO UPDATE SET "
                        "reason = EXCLUDED.reason, improvement = EXCLUDED.improvement, "
                        "explained_by = EXCLUDED.explained_by",
                        event.aggregate_id,
                        event.budget_id,
                        event.line_id,
                        event.reason,
                        event.improvement,
                        event.by,
                    )
            case c.PeriodReportFinalized():
                await update_record(conn, self.t["periods"], event, {"final": True})
            case TeamLeadAppointed():
                await conn.execute(
                    f"INSERT INTO {self.t['project_team_leads']} (project_id, version, team_lead) "
                    "VALUES ($1, $2, $3) ON CONFLICT (project_id) DO UPDATE SET "
                    "version = EXCLUDED.version, team_lead = EXCLUDED.team_lead "
                    f"WHERE {self.t['project_team_leads']}.version < EXCLUDED.version",
                    event.aggregate_id,
                    event.version,
                    event.team_lead,
                )

    async def _put_lines(
        self, conn: asyncpg.Connection, event: PublicEvent, lines: list[c.BudgetLineModel]
    ) -> None:
        await update_row(
            conn, self.t["budget_lines"], {"budget_id": event.aggregate_id}, {"in_force": False}
        )
        await conn.executemany(
            f"INSERT INTO {self.t['budget_lines']} "
            "(budget_id, line_id, category, budget_amount, currency, in_force) "
            "VALUES ($1, $2, $3, $4, $5, true) ON CONFLICT (budget_id, line_id) DO UPDATE "
            "SET category = EXCLUDED.category, budget_amount = EXCLUDED.budget_amount, "
            "currency = EXCLUDED.currency, in_force = true",
            [
                (
                    event.aggregate_id,
                    line.line_id,
                    line.category,
                    line.amount.amount,
                    line.amount.currency,
                )
                for line in lines
            ],
        )

    async def _version(
        self,
        conn: asyncpg.Connection,
        event: PublicEvent,
        budget_version: int,
        plan_revision: int,
        lines: list[c.BudgetLineModel],
        changes: list[c.LineChange],
        reason: str | None = None,
        approved_by: str | None = None,
        contingency: Decimal | None = None,
    ) -> None:
        await insert_row(
            conn,
            self.t["budget_versions"],
            {
                "budget_id": event.aggregate_id,
                "budget_version": budget_version,
                "plan_revision": plan_revision,
                "reason": reason,
                "lines": _lines_json(lines),
                "changes": _changes_json(changes),
                "approved_by": approved_by,
                "contingency_percent": contingency,
                "opened_at": event.occurred_at,
            },
        )
        await self._put_lines(conn, event, lines)

    async def _budget(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        budgets = self.t["budgets"]
        match event:
            case c.BudgetOpened():
                if await insert_record(
                    conn,
                    budgets,
                    event,
                    {
                        "project_id": event.project_id,
                        "project_name": event.project_name,
                        "department": event.department,
                        "plan_revision": event.plan_revision,
                        "budget_version": 1,
                        "state": BudgetState.DRAFT.value,
                        "contingency_percent": Decimal(0),
                    },
                ):
                    await self._version(conn, event, 1, event.plan_revision, event.lines, [])
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="budget_to_approve",
                        title=f"Budget of {event.project_name} to approve"[:200],
                        waiting_on=FINANCE,
                        link=f"/budgets/{event.aggregate_id}/approve",
                    )
            case c.BudgetVersionOpened():
                if await update_record(
                    conn,
                    budgets,
                    event,
                    {
                        "plan_revision": event.plan_revision,
                        "budget_version": event.budget_version,
                        "state": BudgetState.DRAFT.value,
                    },
                ):
                    await self._version(
                        conn,
                        event,
                        event.budget_version,
                        event.plan_revision,
                        event.lines,
                        event.changes,
                    )
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="budget_to_approve",
                        title=f"Budget version {event.budget_version} to approve",
                        waiting_on=FINANCE,
                        link=f"/budgets/{event.aggregate_id}/approve",
                    )
            case c.BudgetApproved():
                if await update_record(
                    conn,
                    budgets,
                    event,
                    {
                        "state": BudgetState.APPROVED.value,
                        "contingency_percent": event.contingency_percent,
                    },
                ):
                    await update_row(
                        conn,
                        self.t["budget_versions"],
                        {"budget_id": event.aggregate_id, "budget_version": event.budget_version},
                        {"approved_by": event.by, "contingency_percent": event.contingency_percent},
                    )
                    await inbox.close(conn, self.schema, event, kind="budget_to_approve")
            case c.BudgetRevised():
                if await update_record(
                    conn,
                    budgets,
                    event,
                    {
                        "budget_version": event.budget_version,
                        "contingency_percent": event.contingency_percent,
                    },
                ):
                    plan_revision = await conn.fetchval(
                        f"SELECT plan_revision FROM {budgets} WHERE id = $1", event.aggregate_id
                    )
                    await self._version(
                        conn,
                        event,
                        event.budget_version,
                        plan_revision,
                        event.lines,
                        event.changes,
                        reason=event.reason,
                        approved_by=event.by,
                        contingency=event.contingency_percent,
                    )

    async def _spending(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        if not await update_record(conn, self.t["budgets"], event, {}):
            return
        lines, expenses = self.t["budget_lines"], self.t["expenses"]
        match event:
            case c.ExpenseCommitted() | c.ExpensePosted() | c.ExpenseHeldForApproval():
                state = {
                    c.ExpenseCommitted: ExpenseState.COMMITTED,
                    c.ExpensePosted: ExpenseState.POSTED,
                    c.ExpenseHeldForApproval: ExpenseState.PENDING_APPROVAL,
                }[type(event)]
                before = await conn.fetchval(
                    f"SELECT state FROM {expenses} WHERE id = $1", event.expense_id
                )
                paid_on = None
                if isinstance(event, c.ExpensePosted):
                    paid_on = event.paid_on or event.spent_on
                await conn.execute(
                    f"INSERT INTO {expenses} (id, budget_id, project_id, line_id, category, "
                    "amount_amount, amount_currency, spent_on, paid_on, vendor, description, "
                    "requester, state, reason, necessity, decided_by, recorded_at) VALUES ($1, "
                    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
                    "ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, "
                    "paid_on = EXCLUDED.paid_on, "
                    f"decided_by = coalesce(EXCLUDED.decided_by, {expenses}.decided_by)",
                    event.expense_id,
                    event.aggregate_id,
                    event.project_id,
                    event.line_id,
                    event.category,
                    event.amount.amount,
                    event.amount.currency,
                    event.spent_on,
                    paid_on,
                    event.vendor,
                    event.description,
                    event.requester,
                    state.value,
                    getattr(event, "reason", None),
                    getattr(event, "necessity", None),
                    getattr(event, "approved_by", None),
                    event.occurred_at,
                )
                column = {
                    ExpenseState.COMMITTED: "committed_amount",
                    ExpenseState.POSTED: "actual_amount",
                    ExpenseState.PENDING_APPROVAL: "pending_amount",
                }[state]
                # A payment moves the amount from committed to actual (an expense posted
                # before payments were recorded was never committed).
                moved = (
                    "committed_amount = committed_amount - $3, "
                    if (before == ExpenseState.COMMITTED.value and state is ExpenseState.POSTED)
                    else ""
                )
                await conn.execute(
                    f"UPDATE {lines} SET {moved}{column} = {column} + $3 "
                    "WHERE budget_id = $1 AND line_id = $2",
                    event.aggregate_id,
                    event.line_id,
                    event.amount.amount,
                )
                if state is ExpenseState.PENDING_APPROVAL:
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="overspend_to_decide",
                        item=str(event.expense_id),
                        title=f"Overspend of {event.amount.amount} {event.amount.currency} "
                        f"on {event.category}: {event.description}"[:200],
                        # Management decides, never the requester (REGULATIONS 7.2, Roles).
                        waiting_on=inbox.WaitsOn(role=Role.MANAGEMENT, other_than=event.requester),
                        link=f"/budgets/{event.aggregate_id}/expenses/{event.expense_id}/approve",
                    )
            case c.OverspendApproved() | c.OverspendRefused():
                await conn.execute(
                    f"UPDATE {lines} SET pending_amount = pending_amount - $3 "
                    "WHERE budget_id = $1 AND line_id = $2",
                    event.aggregate_id,
                    event.line_id,
                    event.amount.amount,
                )
                if isinstance(event, c.OverspendRefused):
                    await update_row(
                        conn,
                        expenses,
                        {"id": event.expense_id},
                        {
                            "state": ExpenseState.REFUSED.value,
                            "decided_by": event.by,
                            "refusal_reason": event.reason,
                        },
                    )
                await inbox.close(
                    conn, self.schema, event, kind="overspend_to_decide", item=str(event.expense_id)
                )

    async def _receivable(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        receivables, invoices = self.t["receivables"], self.t["invoices"]
        if isinstance(event, c.ReceivableOpened):
            await insert_record(
                conn,
                receivables,
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
            return
        if not await update_record(conn, receivables, event, {}):
            return
        match event:
            case c.RevenueRecorded():
                await insert_row(
                    conn,
                    invoices,
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
                    f"UPDATE {receivables} SET invoiced_amount = invoiced_amount + $2 "
                    "WHERE id = $1",
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
            case c.PaymentReceived():
                await conn.execute(
                    f"UPDATE {invoices} SET paid_amount = paid_amount + $2 WHERE id = $1",
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
            case c.ReceivableOverdue():
                await update_row(conn, invoices, {"id": event.invoice_id}, {"overdue": True})
