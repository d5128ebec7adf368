"""The market insights recorded by a department (REGULATIONS §2)."""

from __future__ import annotations

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, put_record

from bizdev_projects import published


class MarketInsights(Projection):
    name = "market_insights"
    tables = ("market_insights",)
    ddl = [
        """
        CREATE TABLE IF NOT EXISTS {schema}.market_insights (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            recorded_by text NOT NULL,
            department text NOT NULL,
            kind text NOT NULL,
            title text NOT NULL,
            content text NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.MarketInsightRecorded():
                await self._recorded(conn, event)

    async def _recorded(self, conn: ViewConnection, event: published.MarketInsightRecorded) -> None:
        await put_record(
            conn,
            self.t["market_insights"],
            event,
            {
                "recorded_by": event.by,
                "department": event.department,
                "kind": event.kind,
                "title": event.title,
                "content": event.content,
            },
        )
