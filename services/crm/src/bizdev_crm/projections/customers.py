"""The customers' list and 360° view: the customer file, its proposals and dealings, and its
visit cycle, with the next visit's deadline and the overdue visit in its owner's inbox."""

from __future__ import annotations

from datetime import date

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
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
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_crm import published
from bizdev_crm.domain import CustomerStatus
from bizdev_crm.reactions import CUSTOMER_VISIT


class CustomersView(Projection):
    name = "customers"
    tables = ("customers", "proposals", "dealings")
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.customers (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            name text NOT NULL,
            industry text NOT NULL,
            channel text NOT NULL,
            owner text NOT NULL,
            department text NOT NULL,
            address text NOT NULL,
            needs text NOT NULL,
            preferences text NOT NULL,
            contact_ids uuid[] NOT NULL DEFAULT '{{}}',
            personal_data_erased boolean NOT NULL DEFAULT false,
            erased_at timestamptz,
            status text NOT NULL DEFAULT 'prospect',
            status_reason text,
            last_visited_on date,
            next_visit_due_on date,
            visit_overdue_since date,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.proposals (
            id uuid PRIMARY KEY,
            customer_id uuid NOT NULL,
            title text NOT NULL,
            description text NOT NULL,
            value_amount numeric NOT NULL,
            value_currency text NOT NULL,
            offered_by text NOT NULL,
            offered_at timestamptz NOT NULL,
            outcome text,
            outcome_notes text,
            decided_by text,
            decided_at timestamptz
        )
        """,
        "CREATE INDEX IF NOT EXISTS proposals_customer ON {schema}.proposals (customer_id)",
        """
        CREATE TABLE IF NOT EXISTS {schema}.dealings (
            customer_id uuid NOT NULL,
            project_id uuid NOT NULL,
            project_name text NOT NULL,
            department text NOT NULL,
            application_id uuid NOT NULL,
            recorded_at timestamptz NOT NULL,
            PRIMARY KEY (customer_id, project_id)
        )
        """,
        *inbox.DDL,
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.CustomerRegistered():
                await self._registered(conn, event)
            case published.CustomerFileUpdated():
                await self._file_updated(conn, event)
            case published.ContactPersonAdded():
                await self._contact_added(conn, event)
            case published.ContactPersonChanged():
                await change_record(conn, self.t["customers"], event, {})
            case published.ProposalOffered():
                await self._proposal_offered(conn, event)
            case published.ProposalOutcomeRecorded():
                await self._proposal_outcome(conn, event)
            case published.DealingRecorded():
                await self._dealing(conn, event)
            case published.CustomerDataErased():
                await self._erased(conn, event)
            case published.CustomerStatusChanged():
                await self._status_changed(conn, event)
            case published.CustomerOwnerReassigned():
                await self._owner_reassigned(conn, event)
            case published.CustomerVisited():
                await self._visited(conn, event)
            case published.FollowUpOverdue():
                await self._visit_overdue(conn, event)

    async def _registered(self, conn: ViewConnection, event: published.CustomerRegistered) -> None:
        created = await insert_record(
            conn,
            self.t["customers"],
            event,
            event.model_dump(
                include={
                    "name",
                    "industry",
                    "channel",
                    "owner",
                    "department",
                    "address",
                    "needs",
                    "preferences",
                    "status",
                    "next_visit_due_on",
                }
            ),
        )
        if created:
            await self._arm_visit(conn, event, event.next_visit_due_on)

    async def _file_updated(
        self, conn: ViewConnection, event: published.CustomerFileUpdated
    ) -> None:
        await change_record(
            conn,
            self.t["customers"],
            event,
            event.model_dump(include={"name", "industry", "address", "needs", "preferences"}),
        )

    async def _contact_added(
        self, conn: ViewConnection, event: published.ContactPersonAdded
    ) -> None:
        await conn.execute(
            f"UPDATE {self.t['customers']} SET contact_ids = array_append(contact_ids, $2), "
            "version = $3, updated_at = $4 WHERE id = $1 AND version < $3",
            event.aggregate_id,
            event.contact_id,
            event.version,
            event.occurred_at,
        )

    async def _proposal_offered(
        self, conn: ViewConnection, event: published.ProposalOffered
    ) -> None:
        if await update_record(conn, self.t["customers"], event, {}):
            await insert_row(
                conn,
                self.t["proposals"],
                {
                    "id": event.proposal_id,
                    "customer_id": event.aggregate_id,
                    "title": event.title,
                    "description": event.description,
                    "value_amount": event.value.amount,
                    "value_currency": event.value.currency,
                    "offered_by": event.by,
                    "offered_at": event.occurred_at,
                },
            )

    async def _proposal_outcome(
        self, conn: ViewConnection, event: published.ProposalOutcomeRecorded
    ) -> None:
        if await update_record(conn, self.t["customers"], event, {}):
            await update_row(
                conn,
                self.t["proposals"],
                {"id": event.proposal_id},
                {
                    "outcome": event.outcome,
                    "outcome_notes": event.notes,
                    "decided_by": event.by,
                    "decided_at": event.occurred_at,
                },
            )

    async def _dealing(self, conn: ViewConnection, event: published.DealingRecorded) -> None:
        if await update_record(conn, self.t["customers"], event, {}):
            await insert_row(
                conn,
                self.t["dealings"],
                {
                    "customer_id": event.aggregate_id,
                    "project_id": event.project_id,
                    "project_name": event.project_name,
                    "department": event.department,
                    "application_id": event.application_id,
                    "recorded_at": event.occurred_at,
                },
            )

    async def _erased(self, conn: ViewConnection, event: published.CustomerDataErased) -> None:
        await change_record(
            conn,
            self.t["customers"],
            event,
            {"personal_data_erased": True, "erased_at": event.occurred_at},
        )

    async def _status_changed(
        self, conn: ViewConnection, event: published.CustomerStatusChanged
    ) -> None:
        if await update_record(
            conn,
            self.t["customers"],
            event,
            {
                "status": event.status,
                "status_reason": event.reason or None,
                "next_visit_due_on": event.next_visit_due_on,
            },
        ):
            await self._arm_visit(conn, event, event.next_visit_due_on)
            if event.status == CustomerStatus.LOST:
                await inbox.close(conn, self.schema, event, kind="customer_visit_overdue")

    async def _owner_reassigned(
        self, conn: ViewConnection, event: published.CustomerOwnerReassigned
    ) -> None:
        row = await updated_record(
            conn,
            self.t["customers"],
            event,
            {"owner": event.owner},
            ["name", "visit_overdue_since"],
        )
        # The new owner is to visit a customer overdue for one.
        if row is not None and row["visit_overdue_since"] is not None:
            await self._put_overdue_visit(
                conn, event, event.owner, row["visit_overdue_since"], row["name"]
            )

    async def _visited(self, conn: ViewConnection, event: published.CustomerVisited) -> None:
        if await update_record(
            conn,
            self.t["customers"],
            event,
            {
                "last_visited_on": event.visited_on,
                "next_visit_due_on": event.next_visit_due_on,
                "visit_overdue_since": None,
            },
        ):
            await self._arm_visit(conn, event, event.next_visit_due_on)
            await inbox.close(conn, self.schema, event, kind="customer_visit_overdue")

    async def _visit_overdue(self, conn: ViewConnection, event: published.FollowUpOverdue) -> None:
        row = await conn.fetchrow(
            f"UPDATE {self.t['customers']} SET next_visit_due_on = $2, "
            "visit_overdue_since = COALESCE(visit_overdue_since, $3), "
            "version = $4, updated_at = $5 WHERE id = $1 AND version < $4 "
            "RETURNING name, visit_overdue_since",
            event.aggregate_id,
            event.next_visit_due_on,
            event.due_on,
            event.version,
            event.occurred_at,
        )
        if row is not None:
            await self._arm_visit(conn, event, event.next_visit_due_on)
            await self._put_overdue_visit(
                conn, event, event.owner, row["visit_overdue_since"], row["name"]
            )

    async def _arm_visit(self, conn: ViewConnection, event: PublicEvent, due: date | None) -> None:
        """The customer's next visit: overdue once its due day is over."""
        if due is None:
            await clear_deadline(conn, self.schema, CUSTOMER_VISIT, event.aggregate_id)
        else:
            await set_deadline(conn, self.schema, CUSTOMER_VISIT, event.aggregate_id, end_of(due))

    async def _put_overdue_visit(
        self, conn: ViewConnection, event: PublicEvent, owner: str, since: date, name: str
    ) -> None:
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="customer_visit_overdue",
            title=f"Visit {name}: not visited in its cycle"[:200],
            waiting_on=inbox.person(owner),
            link=f"/customers/{event.aggregate_id}",
            due_at=end_of(since),
        )
