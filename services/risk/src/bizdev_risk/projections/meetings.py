"""The review meetings' read model (REGULATIONS §5.3): who met on which risks, what they
concluded and which actions they agreed."""

from __future__ import annotations

import json

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, put_record

from bizdev_risk import published

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.meetings (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        held_on date NOT NULL,
        title text NOT NULL,
        attendees text[] NOT NULL,
        risk_ids uuid[] NOT NULL,
        conclusions text NOT NULL,
        actions jsonb NOT NULL,
        recorded_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
]


class Meetings(Projection):
    name = "meetings"
    tables = ("meetings",)
    ddl = DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.ReviewMeetingRecorded():
                await self._recorded(conn, event)

    async def _recorded(self, conn: ViewConnection, event: published.ReviewMeetingRecorded) -> None:
        await put_record(
            conn,
            self.t["meetings"],
            event,
            {
                "held_on": event.held_on,
                "title": event.title,
                "attendees": event.attendees,
                "risk_ids": event.risk_ids,
                "conclusions": event.conclusions,
                "actions": json.dumps([a.model_dump(mode="json") for a in event.actions]),
                "recorded_by": event.by or "",
            },
        )
