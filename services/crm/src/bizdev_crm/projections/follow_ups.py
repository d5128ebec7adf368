"""Follow-up visits (REGULATIONS §4), and the visits due in their visitor's inbox."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    put_record,
)

from bizdev_crm import published
from bizdev_crm.domain import FollowUpState


class FollowUpsView(Projection):
    name = "follow_ups"
    tables = ("follow_ups",)
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.follow_ups (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            customer_id uuid NOT NULL,
            department text NOT NULL,
            visitor text NOT NULL,
            scheduled_by text NOT NULL,
            due_on date NOT NULL,
            purpose text NOT NULL,
            state text NOT NULL,
            visited_on date,
            satisfaction int,
            notes text,
            cancel_reason text,
            recorded_at timestamptz,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS follow_ups_due ON {schema}.follow_ups (state, due_on)",
        "CREATE INDEX IF NOT EXISTS follow_ups_customer ON {schema}.follow_ups (customer_id)",
        *inbox.DDL,
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.FollowUpScheduled():
                await self._scheduled(conn, event)
            case published.FollowUpRecorded():
                await self._recorded(conn, event)
            case published.FollowUpCancelled():
                await self._cancelled(conn, event)

    async def _scheduled(self, conn: ViewConnection, event: published.FollowUpScheduled) -> None:
        await put_record(
            conn,
            self.t["follow_ups"],
            event,
            {
                "customer_id": event.customer_id,
                "department": event.department,
                "visitor": event.visitor,
                "scheduled_by": event.by,
                "due_on": event.due_on,
                "purpose": event.purpose,
                "state": FollowUpState.SCHEDULED.value,
            },
        )
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="follow_up_visit_due",
            title=f"Follow-up visit: {event.purpose}"[:200],
            waiting_on=inbox.person(event.visitor),
            link=f"/follow-ups/{event.aggregate_id}/outcome",
            due_at=end_of(event.due_on),
        )

    async def _recorded(self, conn: ViewConnection, event: published.FollowUpRecorded) -> None:
        await inbox.close_record(conn, self.schema, event)
        await change_record(
            conn,
            self.t["follow_ups"],
            event,
            {
                "state": FollowUpState.RECORDED.value,
                "visited_on": event.visited_on,
                "satisfaction": event.satisfaction,
                "notes": event.notes,
                "recorded_at": event.occurred_at,
            },
        )

    async def _cancelled(self, conn: ViewConnection, event: published.FollowUpCancelled) -> None:
        await inbox.close_record(conn, self.schema, event)
        await change_record(
            conn,
            self.t["follow_ups"],
            event,
            {"state": FollowUpState.CANCELLED.value, "cancel_reason": event.reason},
        )
