"""The deviation reports of projects (REGULATIONS §3), escalated to management as reported,
and the inbox item each opens until management acknowledges it."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    ViewConnection,
    change_record,
    put_record,
)

from bizdev_projects import published
from bizdev_projects.domain import DeviationState
from bizdev_projects.projections._common import ProjectRecords, closures_ddl

DEVIATION_ACKNOWLEDGEMENT = "deviation_acknowledgement"


class Deviations(ProjectRecords):
    name = "deviations"
    closures = "deviations_closed_projects"
    tables = ("deviations", closures)
    ddl = [
        """
        CREATE TABLE IF NOT EXISTS {schema}.deviations (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            project_id uuid NOT NULL,
            project_name text NOT NULL,
            department text NOT NULL,
            milestone_id uuid,
            state text NOT NULL,
            reported_by text NOT NULL,
            deviation text NOT NULL,
            cause text NOT NULL,
            adjusted_strategy text NOT NULL,
            decision text,
            acknowledged_by text,
            acknowledged_at timestamptz,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS deviations_project ON {schema}.deviations (project_id, state)",
        """
        ALTER TABLE {schema}.deviations
            ADD COLUMN IF NOT EXISTS replan_required boolean NOT NULL DEFAULT false
        """,
        closures_ddl(closures),
        *inbox.DDL,
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.DeviationReported():
                await self._reported(conn, event)
            case published.DeviationAcknowledged():
                await self._acknowledged(conn, event)
            case published.ProjectClosed():
                await self._project_closed(conn, event)

    async def _reported(self, conn: ViewConnection, event: published.DeviationReported) -> None:
        await put_record(
            conn,
            self.t["deviations"],
            event,
            {
                "project_id": event.project_id,
                "project_name": event.project_name,
                "department": event.department,
                "milestone_id": event.milestone_id,
                "state": DeviationState.ESCALATED.value,
                "reported_by": event.by,
                "deviation": event.deviation,
                "cause": event.cause,
                "adjusted_strategy": event.adjusted_strategy,
            },
        )
        await inbox.put(
            conn,
            self.schema,
            event,
            kind=DEVIATION_ACKNOWLEDGEMENT,
            title=f"Acknowledge the deviation of {event.project_name}: {event.deviation}",
            waiting_on=inbox.MANAGEMENT,
            link=f"/deviations/{event.aggregate_id}/acknowledge",
        )
        await self._settled_if_project_closed(conn, event.aggregate_id, event.project_id)

    async def _acknowledged(
        self, conn: ViewConnection, event: published.DeviationAcknowledged
    ) -> None:
        await change_record(
            conn,
            self.t["deviations"],
            event,
            {
                "state": DeviationState.ACKNOWLEDGED.value,
                "replan_required": event.replan_required,
                "decision": event.decision,
                "acknowledged_by": event.by,
                "acknowledged_at": event.occurred_at,
            },
        )
        await inbox.close(conn, self.schema, event, kind=DEVIATION_ACKNOWLEDGEMENT)

    async def _project_closed(self, conn: ViewConnection, event: published.ProjectClosed) -> None:
        if await self._note_closed(conn, event):
            await self._settle_items_of(
                conn, event, f"SELECT id FROM {self.t['deviations']} WHERE project_id = $3"
            )
