"""The identification rounds' read model (REGULATIONS §5.1): each round, and each of its
departments' submission (awaiting, submitted on time or late, overdue), with the deadline and
the inbox item of every department that has not submitted yet."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    insert_record,
    insert_row,
    update_record,
    update_row,
)
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_risk import published
from bizdev_risk.reactions import IDENTIFICATION_DUE

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.rounds (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        period_start date NOT NULL,
        period_end date NOT NULL,
        due_on date NOT NULL,
        departments text[] NOT NULL,
        opened_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.round_departments (
        round_id uuid NOT NULL,
        department text NOT NULL,
        state text NOT NULL,
        overdue boolean NOT NULL DEFAULT false,
        risk_ids uuid[] NOT NULL DEFAULT '{{}}',
        declared_none boolean NOT NULL DEFAULT false,
        late boolean NOT NULL DEFAULT false,
        submitted_by text,
        submitted_at timestamptz,
        PRIMARY KEY (round_id, department)
    )
    """,
]


class Rounds(Projection):
    name = "rounds"
    tables = ("rounds", "round_departments")
    ddl = [*DDL, *inbox.DDL]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.IdentificationRoundOpened():
                await self._opened(conn, event)
            case published.IdentificationSubmitted():
                await self._submitted(conn, event)
            case published.IdentificationOverdue():
                await self._overdue(conn, event)

    async def _opened(
        self, conn: ViewConnection, event: published.IdentificationRoundOpened
    ) -> None:
        applied = await insert_record(
            conn,
            self.t["rounds"],
            event,
            {
                "period_start": event.period_start,
                "period_end": event.period_end,
                "due_on": event.due_on,
                "departments": event.departments,
                "opened_by": event.by or "",
            },
        )
        if not applied:
            return
        due = end_of(event.due_on)
        for department in event.departments:
            await insert_row(
                conn,
                self.t["round_departments"],
                {"round_id": event.aggregate_id, "department": department, "state": "awaiting"},
            )
            await set_deadline(
                conn, self.schema, IDENTIFICATION_DUE, event.aggregate_id, due, department
            )
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="identification_to_submit",
                item=department,
                title=f"Identify {department}'s risks of {event.period_start} to "
                f"{event.period_end}"[:200],
                waiting_on=inbox.head_of(department),
                due_at=due,
                link=f"/identification-rounds/{event.aggregate_id}/submissions",
            )

    async def _submitted(
        self, conn: ViewConnection, event: published.IdentificationSubmitted
    ) -> None:
        if not await update_record(conn, self.t["rounds"], event, {}):
            return
        await update_row(
            conn,
            self.t["round_departments"],
            {"round_id": event.aggregate_id, "department": event.department},
            {
                "state": "submitted",
                "risk_ids": event.risk_ids,
                "declared_none": event.declared_none,
                "late": event.late,
                "submitted_by": event.by,
                "submitted_at": event.occurred_at,
            },
        )
        await clear_deadline(
            conn, self.schema, IDENTIFICATION_DUE, event.aggregate_id, event.department
        )
        await inbox.close(
            conn, self.schema, event, kind="identification_to_submit", item=event.department
        )

    async def _overdue(self, conn: ViewConnection, event: published.IdentificationOverdue) -> None:
        if await update_record(conn, self.t["rounds"], event, {}):
            await update_row(
                conn,
                self.t["round_departments"],
                {"round_id": event.aggregate_id, "department": event.department},
                {"overdue": True},
            )
