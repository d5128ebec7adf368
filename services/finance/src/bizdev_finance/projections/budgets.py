"""Each project's budget with its versions and lines (budget, committed, actual and pending
per line), the expenses booked against it, and the inbox of what waits on someone: a budget
version to approve (finance), spending held beyond the budget (management, REGULATIONS 7.2).

Every write follows the budget row's version guard: a redelivered or older event changes
nothing, so the lines' running totals are added to exactly once."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.domain import Role
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    insert_record,
    insert_row,
    update_record,
    update_row,
    updated_record,
)

from bizdev_finance import published
from bizdev_finance.domain import BudgetState, ExpenseState

INBOX_KINDS = ["overspend_to_decide", "budget_to_approve"]
"""What waits on someone in finance (GET /inbox `kind`)."""

FINANCE = inbox.WaitsOn(role=Role.FINANCE)

Booked = published.ExpenseCommitted | published.ExpensePosted | published.ExpenseHeldForApproval


class Budgets(Projection):
    name = "budgets"
    tables = ("budgets", "budget_versions", "budget_lines", "expenses", inbox.TABLE)
    ddl = [
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
        "CREATE INDEX IF NOT EXISTS budgets_department ON {schema}.budgets (department)",
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
        *inbox.DDL,
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.BudgetOpened():
                await self._opened(conn, event)
            case published.BudgetVersionOpened():
                await self._version_opened(conn, event)
            case published.BudgetApproved():
                await self._approved(conn, event)
            case published.BudgetRevised():
                await self._revised(conn, event)
            case published.ExpenseCommitted():
                await self._committed(conn, event)
            case published.ExpensePosted():
                await self._posted(conn, event)
            case published.ExpenseHeldForApproval():
                await self._held(conn, event)
            case published.OverspendApproved():
                await self._overspend_approved(conn, event)
            case published.OverspendRefused():
                await self._overspend_refused(conn, event)
            case published.BudgetLineOverrun():
                await self._overrun(conn, event)

    async def _opened(self, conn: ViewConnection, event: published.BudgetOpened) -> None:
        if not await insert_record(
            conn,
            self.t["budgets"],
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
            return
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

    async def _version_opened(
        self, conn: ViewConnection, event: published.BudgetVersionOpened
    ) -> None:
        if not await update_record(
            conn,
            self.t["budgets"],
            event,
            {
                "plan_revision": event.plan_revision,
                "budget_version": event.budget_version,
                "state": BudgetState.DRAFT.value,
            },
        ):
            return
        await self._version(
            conn, event, event.budget_version, event.plan_revision, event.lines, event.changes
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

    async def _approved(self, conn: ViewConnection, event: published.BudgetApproved) -> None:
        if not await update_record(
            conn,
            self.t["budgets"],
            event,
            {
                "state": BudgetState.APPROVED.value,
                "contingency_percent": event.contingency_percent,
            },
        ):
            return
        await update_row(
            conn,
            self.t["budget_versions"],
            {"budget_id": event.aggregate_id, "budget_version": event.budget_version},
            {"approved_by": event.by, "contingency_percent": event.contingency_percent},
        )
        await inbox.close(conn, self.schema, event, kind="budget_to_approve")

    async def _revised(self, conn: ViewConnection, event: published.BudgetRevised) -> None:
        # A revision keeps the plan revision the budget follows: the row answers it.
        budget = await updated_record(
            conn,
            self.t["budgets"],
            event,
            {
                "budget_version": event.budget_version,
                "contingency_percent": event.contingency_percent,
            },
            returning=("plan_revision",),
        )
        if budget is None:
            return
        await self._version(
            conn,
            event,
            event.budget_version,
            budget["plan_revision"],
            event.lines,
            event.changes,
            reason=event.reason,
            approved_by=event.by,
            contingency=event.contingency_percent,
        )

    async def _version(
        self,
        conn: ViewConnection,
        event: PublicEvent,
        budget_version: int,
        plan_revision: int,
        lines: list[published.BudgetLineModel],
        changes: list[published.LineChange],
        reason: str | None = None,
        approved_by: str | None = None,
        contingency: Decimal | None = None,
    ) -> None:
        """The version's row, and its lines as the ones in force."""
        await insert_row(
            conn,
            self.t["budget_versions"],
            {
                "budget_id": event.aggregate_id,
                "budget_version": budget_version,
                "plan_revision": plan_revision,
                "reason": reason,
                "lines": json.dumps([line.model_dump(mode="json") for line in lines]),
                "changes": json.dumps([change.model_dump(mode="json") for change in changes]),
                "approved_by": approved_by,
                "contingency_percent": contingency,
                "opened_at": event.occurred_at,
            },
        )
        budget_lines = self.t["budget_lines"]
        await update_row(conn, budget_lines, {"budget_id": event.aggregate_id}, {"in_force": False})
        await conn.executemany(
            f"INSERT INTO {budget_lines} "
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

    async def _committed(self, conn: ViewConnection, event: published.ExpenseCommitted) -> None:
        if not await update_record(conn, self.t["budgets"], event, {}):
            return
        await self._book(conn, event, ExpenseState.COMMITTED, approved_by=event.approved_by)
        await self._add_to_line(conn, event, "committed_amount = committed_amount + $3")

    async def _posted(self, conn: ViewConnection, event: published.ExpensePosted) -> None:
        if not await update_record(conn, self.t["budgets"], event, {}):
            return
        before = await self._book(
            conn,
            event,
            ExpenseState.POSTED,
            paid_on=event.paid_on or event.spent_on,
            approved_by=event.approved_by,
        )
        # A payment moves the amount from committed to actual (an expense posted before
        # payments were recorded was never committed).
        moved = (
            "committed_amount = committed_amount - $3, "
            if before == ExpenseState.COMMITTED.value
            else ""
        )
        await self._add_to_line(conn, event, f"{moved}actual_amount = actual_amount + $3")

    async def _held(self, conn: ViewConnection, event: published.ExpenseHeldForApproval) -> None:
        if not await update_record(conn, self.t["budgets"], event, {}):
            return
        await self._book(
            conn,
            event,
            ExpenseState.PENDING_APPROVAL,
            reason=event.reason,
            necessity=event.necessity,
        )
        await self._add_to_line(conn, event, "pending_amount = pending_amount + $3")
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

    async def _overrun(self, conn: ViewConnection, event: published.BudgetLineOverrun) -> None:
        # Nothing to show but the budget's version, for read-your-writes.
        await change_record(conn, self.t["budgets"], event, {})

    async def _book(
        self,
        conn: ViewConnection,
        event: Booked,
        state: ExpenseState,
        *,
        paid_on: date | None = None,
        reason: str | None = None,
        necessity: str | None = None,
        approved_by: str | None = None,
    ) -> str | None:
        """The expense's row in its new state; answers the state it was in before (None when
        new), in the same statement."""
        expenses = self.t["expenses"]
        before: str | None = await conn.fetchval(
            f"WITH before AS (SELECT state FROM {expenses} WHERE id = $1), "
            f"booked AS (INSERT INTO {expenses} (id, budget_id, project_id, line_id, category, "
            "amount_amount, amount_currency, spent_on, paid_on, vendor, description, "
            "requester, state, reason, necessity, decided_by, recorded_at) VALUES ($1, "
            "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
            "ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, "
            "paid_on = EXCLUDED.paid_on, "
            f"decided_by = coalesce(EXCLUDED.decided_by, {expenses}.decided_by)) "
            "SELECT state FROM before",
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
            reason,
            necessity,
            approved_by,
            event.occurred_at,
        )
        return before

    async def _add_to_line(
        self,
        conn: ViewConnection,
        event: Booked | published.OverspendApproved | published.OverspendRefused,
        sets: str,
    ) -> None:
        """`sets` moves the line's running totals by the event's amount ($3)."""
        await conn.execute(
            f"UPDATE {self.t['budget_lines']} SET {sets} WHERE budget_id = $1 AND line_id = $2",
            event.aggregate_id,
            event.line_id,
            event.amount.amount,
        )

    async def _overspend_approved(
        self, conn: ViewConnection, event: published.OverspendApproved
    ) -> None:
        if not await update_record(conn, self.t["budgets"], event, {}):
            return
        await self._add_to_line(conn, event, "pending_amount = pending_amount - $3")
        await self._decided(conn, event)

    async def _overspend_refused(
        self, conn: ViewConnection, event: published.OverspendRefused
    ) -> None:
        if not await update_record(conn, self.t["budgets"], event, {}):
            return
        await self._add_to_line(conn, event, "pending_amount = pending_amount - $3")
        await update_row(
            conn,
            self.t["expenses"],
            {"id": event.expense_id},
            {
                "state": ExpenseState.REFUSED.value,
                "decided_by": event.by,
                "refusal_reason": event.reason,
            },
        )
        await self._decided(conn, event)

    async def _decided(
        self, conn: ViewConnection, event: published.OverspendApproved | published.OverspendRefused
    ) -> None:
        await inbox.close(
            conn, self.schema, event, kind="overspend_to_decide", item=str(event.expense_id)
        )
