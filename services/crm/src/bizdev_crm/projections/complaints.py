"""The complaint queue and counts (REGULATIONS §4): each complaint with its corrective
actions; their response, resolution and due-date deadlines, re-armed for the next escalation
level and disarmed when met; and what each waits on, in the inbox."""

from __future__ import annotations

import asyncpg
from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.domain import Role
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    insert_record,
    insert_row,
    update_record,
    update_row,
    updated_record,
)
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_crm import published
from bizdev_crm.domain import ComplaintState
from bizdev_crm.reactions import COMPLAINT_RESOLUTION, COMPLAINT_RESPONSE, CORRECTIVE_ACTION


class ComplaintsView(Projection):
    name = "complaints"
    tables = ("complaints", "corrective_actions")
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.complaints (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            customer_id uuid NOT NULL,
            department text NOT NULL,
            contact_id uuid,
            channel text NOT NULL,
            severity text NOT NULL,
            subject text NOT NULL,
            description text NOT NULL,
            state text NOT NULL,
            received_by text NOT NULL,
            received_at timestamptz NOT NULL,
            response_due_at timestamptz NOT NULL,
            owner text,
            responded_at timestamptz,
            escalated boolean NOT NULL DEFAULT false,
            escalated_at timestamptz,
            resolution_due_at timestamptz,
            response_escalation_level int NOT NULL DEFAULT 0,
            resolution_escalation_level int NOT NULL DEFAULT 0,
            proposal text,
            rounds int NOT NULL DEFAULT 0,
            resolution text,
            cause text,
            root_cause text,
            corrective_action text,
            satisfaction int,
            confirmed_by text,
            confirmation_channel text,
            confirmed_on date,
            confirmed_with uuid,
            closed_by text,
            closed_at timestamptz,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.corrective_actions (
            id uuid PRIMARY KEY,
            complaint_id uuid NOT NULL,
            description text NOT NULL,
            owner text NOT NULL,
            due_on date NOT NULL,
            added_by text NOT NULL,
            added_at timestamptz NOT NULL,
            done_on date,
            outcome text,
            overdue boolean NOT NULL DEFAULT false
        )
        """,
        "CREATE INDEX IF NOT EXISTS actions_complaint "
        "ON {schema}.corrective_actions (complaint_id)",
        "CREATE INDEX IF NOT EXISTS complaints_owner ON {schema}.complaints (owner, state)",
        "CREATE INDEX IF NOT EXISTS complaints_customer ON {schema}.complaints (customer_id)",
        "CREATE INDEX IF NOT EXISTS complaints_received ON {schema}.complaints (received_at)",
        *inbox.DDL,
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.ComplaintReceived():
                await self._received(conn, event)
            case published.ComplaintAssigned():
                await self._assigned(conn, event)
            case published.ComplaintResponded():
                await self._responded(conn, event)
            case published.ComplaintEscalated():
                await self._escalated(conn, event)
            case published.ComplaintResolved():
                await self._resolved(conn, event)
            case published.ComplaintReopened():
                await self._reopened(conn, event)
            case published.ComplaintClosed():
                await self._closed(conn, event)
            case published.CorrectiveActionAdded():
                await self._action_added(conn, event)
            case published.CorrectiveActionCompleted():
                await self._action_completed(conn, event)
            case published.CorrectiveActionOverdue():
                await self._action_overdue(conn, event)

    async def _received(self, conn: ViewConnection, event: published.ComplaintReceived) -> None:
        created = await insert_record(
            conn,
            self.t["complaints"],
            event,
            {
                **event.model_dump(
                    include={
                        "customer_id",
                        "department",
                        "contact_id",
                        "channel",
                        "severity",
                        "subject",
                        "description",
                        "received_at",
                        "response_due_at",
                        "resolution_due_at",
                    }
                ),
                "state": ComplaintState.RECEIVED.value,
                "received_by": event.by,
            },
        )
        if not created:
            return
        await set_deadline(
            conn, self.schema, COMPLAINT_RESPONSE, event.aggregate_id, event.response_due_at
        )
        if event.resolution_due_at is not None:
            await set_deadline(
                conn, self.schema, COMPLAINT_RESOLUTION, event.aggregate_id, event.resolution_due_at
            )
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="complaint_to_assign",
            title=f"Assign complaint: {event.subject}"[:200],
            waiting_on=inbox.head_of(event.department),
            link=f"/complaints/{event.aggregate_id}/assign",
            due_at=event.response_due_at,
        )

    async def _assigned(self, conn: ViewConnection, event: published.ComplaintAssigned) -> None:
        row = await conn.fetchrow(
            f"UPDATE {self.t['complaints']} SET state = $2, owner = $3, version = $4, "
            "updated_at = $5 WHERE id = $1 AND version < $4 "
            "RETURNING subject, response_due_at",
            event.aggregate_id,
            ComplaintState.ASSIGNED.value,
            event.owner,
            event.version,
            event.occurred_at,
        )
        if row is not None:
            await inbox.close(conn, self.schema, event, kind="complaint_to_assign")
            await self._to_answer(conn, event, event.owner, row)

    async def _responded(self, conn: ViewConnection, event: published.ComplaintResponded) -> None:
        # The first answer is the one the deadline asked for; later rounds follow a customer
        # not satisfied.
        row = await conn.fetchrow(
            f"UPDATE {self.t['complaints']} SET state = $2, proposal = $3, rounds = rounds + 1, "
            "responded_at = COALESCE(responded_at, $5), version = $4, updated_at = $5 "
            "WHERE id = $1 AND version < $4 RETURNING subject, owner, resolution_due_at",
            event.aggregate_id,
            ComplaintState.RESPONDED.value,
            event.proposal,
            event.version,
            event.occurred_at,
        )
        if row is None:
            return
        await clear_deadline(conn, self.schema, COMPLAINT_RESPONSE, event.aggregate_id)
        await self._settle(conn, event, "complaint_to_answer", "response")
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="complaint_to_resolve",
            title=f"Resolve complaint: {row['subject']}"[:200],
            waiting_on=inbox.person(row["owner"]),
            link=f"/complaints/{event.aggregate_id}/resolve",
            due_at=row["resolution_due_at"],
        )

    async def _escalated(self, conn: ViewConnection, event: published.ComplaintEscalated) -> None:
        level = (
            "response_escalation_level"
            if event.deadline == "response"
            else "resolution_escalation_level"
        )
        row = await conn.fetchrow(
            f"UPDATE {self.t['complaints']} SET escalated = true, "
            "escalated_at = COALESCE(escalated_at, $2), "
            f"{level} = $3, version = $4, updated_at = $5 "
            "WHERE id = $1 AND version < $4 RETURNING subject",
            event.aggregate_id,
            event.escalated_at,
            event.level,
            event.version,
            event.occurred_at,
        )
        if row is None:
            return
        kind = COMPLAINT_RESPONSE if event.deadline == "response" else COMPLAINT_RESOLUTION
        if event.next_escalation_at is None:
            await clear_deadline(conn, self.schema, kind, event.aggregate_id)
        else:
            next_at = event.next_escalation_at
            await set_deadline(conn, self.schema, kind, event.aggregate_id, next_at)
        whom = (
            inbox.MANAGEMENT
            if event.to_department is None
            else inbox.WaitsOn(role=Role(event.to_role), department=event.to_department)
        )
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="complaint_escalated",
            item=f"{event.deadline}-{event.level}",
            title=f"Escalated (level {event.level}, {event.deadline} overdue): {row['subject']}"[
                :200
            ],
            waiting_on=whom,
            link=f"/complaints/{event.aggregate_id}",
            due_at=event.due_at or event.response_due_at,
        )

    async def _resolved(self, conn: ViewConnection, event: published.ComplaintResolved) -> None:
        row = await updated_record(
            conn,
            self.t["complaints"],
            event,
            {"state": ComplaintState.RESOLVED.value, "resolution": event.resolution},
            ["subject", "owner"],
        )
        if row is None:
            return
        await clear_deadline(conn, self.schema, COMPLAINT_RESOLUTION, event.aggregate_id)
        await self._settle(conn, event, "complaint_to_resolve", "resolution")
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="complaint_to_close",
            title=f"Close complaint with its analysis: {row['subject']}"[:200],
            waiting_on=inbox.person(row["owner"]),
            link=f"/complaints/{event.aggregate_id}/close",
        )

    async def _reopened(self, conn: ViewConnection, event: published.ComplaintReopened) -> None:
        values: dict[str, object] = {
            "state": ComplaintState.ASSIGNED.value,
            "resolution": None,
        }
        if event.response_due_at is not None:
            values |= {"response_due_at": event.response_due_at}
            values |= {"response_escalation_level": 0}
        row = await updated_record(
            conn, self.t["complaints"], event, values, ["subject", "owner", "response_due_at"]
        )
        if row is None:
            return
        await inbox.close(conn, self.schema, event, kind="complaint_to_resolve")
        await inbox.close(conn, self.schema, event, kind="complaint_to_close")
        if event.response_due_at is not None:
            await set_deadline(
                conn, self.schema, COMPLAINT_RESPONSE, event.aggregate_id, event.response_due_at
            )
            await self._to_answer(conn, event, row["owner"], row)
        if event.resolution_escalation_at is not None:
            await set_deadline(
                conn,
                self.schema,
                COMPLAINT_RESOLUTION,
                event.aggregate_id,
                event.resolution_escalation_at,
            )

    async def _closed(self, conn: ViewConnection, event: published.ComplaintClosed) -> None:
        if await update_record(
            conn,
            self.t["complaints"],
            event,
            {
                "state": ComplaintState.CLOSED.value,
                "cause": event.cause,
                "root_cause": event.root_cause,
                "corrective_action": event.corrective_action,
                "satisfaction": event.satisfaction,
                "confirmed_by": event.confirmed_by,
                "confirmation_channel": event.confirmation_channel,
                "confirmed_on": event.confirmed_on,
                "confirmed_with": event.confirmed_with,
                "closed_by": event.by,
                "closed_at": event.occurred_at,
            },
        ):
            await inbox.close(conn, self.schema, event, kind="complaint_to_close")

    # Corrective actions are parts of their complaint: written only when the event is newer
    # than the complaint's row, which moves to its version.

    async def _action_added(
        self, conn: ViewConnection, event: published.CorrectiveActionAdded
    ) -> None:
        if not await update_record(conn, self.t["complaints"], event, {}):
            return
        await insert_row(
            conn,
            self.t["corrective_actions"],
            {
                "id": event.action_id,
                "complaint_id": event.aggregate_id,
                "description": event.description,
                "owner": event.owner,
                "due_on": event.due_on,
                "added_by": event.by,
                "added_at": event.occurred_at,
            },
        )
        due = end_of(event.due_on)
        item = str(event.action_id)
        await set_deadline(conn, self.schema, CORRECTIVE_ACTION, event.aggregate_id, due, item)
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="corrective_action_due",
            item=item,
            title=f"Corrective action: {event.description}"[:200],
            waiting_on=inbox.person(event.owner),
            link=f"/complaints/{event.aggregate_id}/corrective-actions/{item}/complete",
            due_at=due,
        )

    async def _action_completed(
        self, conn: ViewConnection, event: published.CorrectiveActionCompleted
    ) -> None:
        if not await update_record(conn, self.t["complaints"], event, {}):
            return
        item = str(event.action_id)
        await update_row(
            conn,
            self.t["corrective_actions"],
            {"id": event.action_id},
            {"done_on": event.done_on, "outcome": event.outcome},
        )
        await clear_deadline(conn, self.schema, CORRECTIVE_ACTION, event.aggregate_id, item)
        await inbox.close(conn, self.schema, event, kind="corrective_action_due", item=item)

    async def _action_overdue(
        self, conn: ViewConnection, event: published.CorrectiveActionOverdue
    ) -> None:
        if await update_record(conn, self.t["complaints"], event, {}):
            await update_row(
                conn, self.t["corrective_actions"], {"id": event.action_id}, {"overdue": True}
            )

    async def _to_answer(
        self, conn: ViewConnection, event: PublicEvent, owner: str, row: asyncpg.Record
    ) -> None:
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="complaint_to_answer",
            title=f"Answer complaint: {row['subject']}"[:200],
            waiting_on=inbox.person(owner),
            link=f"/complaints/{event.aggregate_id}/respond",
            due_at=row["response_due_at"],
        )

    async def _settle(
        self, conn: ViewConnection, event: PublicEvent, kind: str, deadline: str
    ) -> None:
        """A deadline met: its work item and its escalations no longer wait on anyone."""
        await inbox.close(conn, self.schema, event, kind=kind)
        for level in (1, 2):
            await inbox.close(
                conn, self.schema, event, kind="complaint_escalated", item=f"{deadline}-{level}"
            )
