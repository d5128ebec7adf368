"""Customer events (REGULATIONS §4) and the customers invited to each, with their attendance."""

from __future__ import annotations

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    insert_row,
    put_record,
    update_record,
    update_row,
)

from bizdev_crm import published
from bizdev_crm.domain import CustomerEventState


class CustomerEventsView(Projection):
    name = "customer_events"
    tables = ("customer_events", "event_invitations")
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.customer_events (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            kind text NOT NULL,
            title text NOT NULL,
            held_on date NOT NULL,
            venue text NOT NULL,
            organiser text NOT NULL,
            department text NOT NULL,
            state text NOT NULL,
            cancel_reason text,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.event_invitations (
            event_id uuid NOT NULL,
            customer_id uuid NOT NULL,
            attended boolean,
            invited_at timestamptz NOT NULL,
            PRIMARY KEY (event_id, customer_id)
        )
        """,
        "CREATE INDEX IF NOT EXISTS invitations_customer "
        "ON {schema}.event_invitations (customer_id)",
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.CustomerEventPlanned():
                await self._planned(conn, event)
            case published.CustomerInvited():
                await self._invited(conn, event)
            case published.AttendanceRecorded():
                await self._attendance(conn, event)
            case published.CustomerEventCancelled():
                await self._cancelled(conn, event)

    async def _planned(self, conn: ViewConnection, event: published.CustomerEventPlanned) -> None:
        await put_record(
            conn,
            self.t["customer_events"],
            event,
            {
                "kind": event.kind,
                "title": event.title,
                "held_on": event.held_on,
                "venue": event.venue,
                "organiser": event.by,
                "department": event.department,
                "state": CustomerEventState.PLANNED.value,
            },
        )

    async def _invited(self, conn: ViewConnection, event: published.CustomerInvited) -> None:
        if await update_record(conn, self.t["customer_events"], event, {}):
            await insert_row(
                conn,
                self.t["event_invitations"],
                {
                    "event_id": event.aggregate_id,
                    "customer_id": event.customer_id,
                    "invited_at": event.occurred_at,
                },
            )

    async def _attendance(self, conn: ViewConnection, event: published.AttendanceRecorded) -> None:
        if await update_record(conn, self.t["customer_events"], event, {}):
            await update_row(
                conn,
                self.t["event_invitations"],
                {"event_id": event.aggregate_id, "customer_id": event.customer_id},
                {"attended": event.attended},
            )

    async def _cancelled(
        self, conn: ViewConnection, event: published.CustomerEventCancelled
    ) -> None:
        await change_record(
            conn,
            self.t["customer_events"],
            event,
            {"state": CustomerEventState.CANCELLED.value, "cancel_reason": event.reason},
        )
