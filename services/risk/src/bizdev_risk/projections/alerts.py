"""The alerts' read model (REGULATIONS §5.2): each crossing of a key risk indicator's
threshold, the risk it raised or was linked to, and its acknowledgement by the risk officer,
for whom it waits in the inbox until then."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.domain import Role
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, insert_record, update_record

from bizdev_risk import published
from bizdev_risk.domain import AlertState

RISK_OFFICER = inbox.WaitsOn(role=Role.RISK_OFFICER)

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.alerts (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        kri_id uuid NOT NULL,
        indicator text NOT NULL,
        kri_definition_version int NOT NULL,
        scope text NOT NULL,
        scope_id uuid NOT NULL,
        category text NOT NULL,
        threshold text NOT NULL,
        threshold_value int NOT NULL,
        value int NOT NULL,
        at timestamptz NOT NULL,
        cause text NOT NULL,
        risk_id uuid NOT NULL,
        state text NOT NULL,
        acknowledged_by text,
        note text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
]


class Alerts(Projection):
    name = "alerts"
    tables = ("alerts",)
    ddl = [*DDL, *inbox.DDL]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.KriThresholdBreached():
                await self._breached(conn, event)
            case published.AlertAcknowledged():
                await self._acknowledged(conn, event)

    async def _breached(self, conn: ViewConnection, event: published.KriThresholdBreached) -> None:
        applied = await insert_record(
            conn,
            self.t["alerts"],
            event,
            {
                "kri_id": event.kri_id,
                "indicator": event.indicator,
                "kri_definition_version": event.kri_definition_version,
                "scope": event.scope,
                "scope_id": event.scope_id,
                "category": event.category,
                "threshold": event.threshold,
                "threshold_value": event.threshold_value,
                "value": event.value,
                "at": event.at,
                "cause": event.cause,
                "risk_id": event.risk_id,
                "state": AlertState.ACTIVE.value,
            },
        )
        if applied:
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="alert_to_acknowledge",
                title=f"KRI {event.indicator} past its {event.threshold} threshold ({event.value})",
                waiting_on=RISK_OFFICER,
                link=f"/alerts/{event.aggregate_id}/acknowledge",
            )

    async def _acknowledged(self, conn: ViewConnection, event: published.AlertAcknowledged) -> None:
        values = {
            "state": AlertState.ACKNOWLEDGED.value,
            "acknowledged_by": event.by,
            "note": event.note,
        }
        if await update_record(conn, self.t["alerts"], event, values):
            await inbox.close(conn, self.schema, event, kind="alert_to_acknowledge")
