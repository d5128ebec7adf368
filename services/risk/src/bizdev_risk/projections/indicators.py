"""The key risk indicators' read model (REGULATIONS §5.2): each indicator's current value and
band, its values over time, and the deadline of its window's next expiry."""

from __future__ import annotations

import json

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, insert_record, insert_row
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_risk import published
from bizdev_risk.reactions import KRI_WINDOW

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.kris (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        indicator text NOT NULL,
        scope text NOT NULL,
        scope_id uuid NOT NULL,
        value int NOT NULL,
        band text NOT NULL,
        as_of timestamptz NOT NULL,
        next_expiry_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.kri_values (
        kri_id uuid NOT NULL,
        version int NOT NULL,
        at timestamptz NOT NULL,
        value int NOT NULL,
        band text NOT NULL,
        counted text,
        expired jsonb NOT NULL,
        PRIMARY KEY (kri_id, version)
    )
    """,
]


class Indicators(Projection):
    name = "indicators"
    tables = ("kris", "kri_values")
    ddl = DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.KriValueChanged():
                await self._value_changed(conn, event)

    async def _value_changed(self, conn: ViewConnection, event: published.KriValueChanged) -> None:
        applied = await insert_record(
            conn,
            self.t["kris"],
            event,
            {
                "indicator": event.indicator,
                "scope": event.scope,
                "scope_id": event.scope_id,
                "value": event.value,
                "band": event.band,
                "as_of": event.at,
                "next_expiry_at": event.next_expiry_at,
            },
        )
        if not applied:
            return
        await insert_row(
            conn,
            self.t["kri_values"],
            {
                "kri_id": event.aggregate_id,
                "version": event.version,
                "at": event.at,
                "value": event.value,
                "band": event.band,
                "counted": event.counted,
                "expired": json.dumps(event.expired),
            },
        )
        if event.next_expiry_at is None:
            await clear_deadline(conn, self.schema, KRI_WINDOW, event.aggregate_id)
        else:
            await set_deadline(
                conn, self.schema, KRI_WINDOW, event.aggregate_id, event.next_expiry_at
            )
