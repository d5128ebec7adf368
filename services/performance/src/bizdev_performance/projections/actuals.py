"""The facts indicators are measured from (REGULATIONS §8.3), read from crm's and finance's
topics: one fact per upstream event that moves an indicator (a contract signed, revenue
recorded, an expense posted, a customer's satisfaction), the complaints' owners that a
closed complaint's satisfaction is counted for, and which customers each person dealt with.
Attainment is not stored: it is read from targets and facts together (attainment.py), so it
is always as current as the facts. Every write is keyed by its upstream event."""

from __future__ import annotations

from datetime import date

from bizdev_common.contract import PublicEvent
from bizdev_common.days import company_day
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, insert_row

from bizdev_performance import upstream as u
from bizdev_performance.domain.values import Measure


class ActualsView(Projection):
    name = "actuals"
    tables = ("facts", "complaint_owners", "customers_served")
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.facts (
            source text PRIMARY KEY,
            measure text NOT NULL,
            day date NOT NULL,
            person text,
            department text,
            project_id uuid,
            customer_id uuid,
            amount numeric NOT NULL,
            currency text
        )
        """,
        "CREATE INDEX IF NOT EXISTS facts_person ON {schema}.facts (measure, person, day)",
        "CREATE INDEX IF NOT EXISTS facts_project ON {schema}.facts (measure, project_id, day)",
        "CREATE INDEX IF NOT EXISTS facts_day ON {schema}.facts (measure, day)",
        """
        CREATE TABLE IF NOT EXISTS {schema}.complaint_owners (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            owner text NOT NULL,
            department text NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.customers_served (
            person text NOT NULL,
            customer_id uuid NOT NULL,
            PRIMARY KEY (person, customer_id)
        )
        """,
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [u.CRM, u.FINANCE])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case u.ContractSigned():
                await self._contract_signed(conn, event)
            case u.ContractTerminated(signed_on=date()):
                await self._signed_contract_terminated(conn, event)
            case u.RevenueRecorded():
                await self._revenue(conn, event)
            case u.ExpensePosted():
                await self._expense(conn, event)
            case u.FollowUpRecorded():
                await self._follow_up(conn, event)
            case u.ComplaintAssigned():
                await self._complaint_assigned(conn, event)
            case u.ComplaintClosed():
                await self._complaint_closed(conn, event)

    async def _contract_signed(self, conn: ViewConnection, event: u.ContractSigned) -> None:
        await self._fact(
            conn,
            f"contract:{event.aggregate_id}",
            Measure.CONTRACT_VALUE,
            day=event.signed_on,
            person=event.salesperson,
            department=event.department,
            project_id=event.project_id,
            customer_id=event.customer_id,
            amount=event.value.amount,
            currency=event.value.currency,
        )
        await self._served(conn, event.salesperson, event.customer_id)

    async def _signed_contract_terminated(
        self, conn: ViewConnection, event: u.ContractTerminated
    ) -> None:
        # A signed contract ended before completion was no sale after all; its invoices
        # (revenue) stay what finance recorded.
        await conn.execute(
            f"DELETE FROM {self.t['facts']} WHERE source = $1", f"contract:{event.aggregate_id}"
        )

    async def _revenue(self, conn: ViewConnection, event: u.RevenueRecorded) -> None:
        common = {
            "day": event.issued_on,
            "department": event.department,
            "project_id": event.project_id,
            "customer_id": event.customer_id,
            "amount": event.amount.amount,
            "currency": event.amount.currency,
        }
        await self._fact(
            conn, f"revenue:{event.invoice_id}", Measure.REVENUE, person=event.salesperson, **common
        )
        # Profit is a project's (and its team's and department's), not a person's.
        await self._fact(conn, f"profit:{event.invoice_id}", Measure.PROFIT, **common)

    async def _expense(self, conn: ViewConnection, event: u.ExpensePosted) -> None:
        await self._fact(
            conn,
            f"profit:{event.expense_id}",
            Measure.PROFIT,
            # Posted when paid: an actual cost from that day.
            day=event.paid_on or event.spent_on,
            project_id=event.project_id,
            amount=-event.amount.amount,
            currency=event.amount.currency,
        )

    async def _follow_up(self, conn: ViewConnection, event: u.FollowUpRecorded) -> None:
        await self._fact(
            conn,
            f"satisfaction:{event.aggregate_id}/{event.version}",
            Measure.SATISFACTION,
            day=event.visited_on,
            person=event.by,
            customer_id=event.customer_id,
            amount=event.satisfaction,
        )
        await self._served(conn, event.by, event.customer_id)

    async def _complaint_assigned(self, conn: ViewConnection, event: u.ComplaintAssigned) -> None:
        await conn.execute(
            f"INSERT INTO {self.t['complaint_owners']} AS o (id, version, owner, "
            "department) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
            "version = EXCLUDED.version, owner = EXCLUDED.owner, department = "
            "EXCLUDED.department WHERE o.version < EXCLUDED.version",
            event.aggregate_id,
            event.version,
            event.owner,
            event.department,
        )

    async def _complaint_closed(self, conn: ViewConnection, event: u.ComplaintClosed) -> None:
        """The satisfaction counts for the complaint's owner: its events share its partition,
        so `ComplaintAssigned` has named them by now. Fact and dealing in one statement with
        the owner's lookup, rather than a read of the view and two writes."""
        await conn.execute(
            f"WITH o AS (SELECT (SELECT owner FROM {self.t['complaint_owners']} "
            "WHERE id = $1::uuid) AS person), "
            f"fact AS (INSERT INTO {self.t['facts']} "
            "(source, measure, day, person, department, customer_id, amount) "
            "SELECT $2::text, $3::text, $4::date, person, $5::text, $6::uuid, $7::numeric "
            "FROM o ON CONFLICT DO NOTHING) "
            f"INSERT INTO {self.t['customers_served']} (person, customer_id) "
            "SELECT person, $6::uuid FROM o WHERE person <> '' ON CONFLICT DO NOTHING",
            event.aggregate_id,
            f"satisfaction:{event.aggregate_id}/{event.version}",
            Measure.SATISFACTION.value,
            event.confirmed_on or company_day(event.occurred_at),
            event.department,
            event.customer_id,
            event.satisfaction,
        )

    async def _fact(
        self, conn: ViewConnection, source: str, measure: Measure, **values: object
    ) -> None:
        await insert_row(
            conn, self.t["facts"], {"source": source, "measure": measure.value, **values}
        )

    async def _served(self, conn: ViewConnection, person: str | None, customer: object) -> None:
        if person:
            await insert_row(
                conn, self.t["customers_served"], {"person": person, "customer_id": customer}
            )
