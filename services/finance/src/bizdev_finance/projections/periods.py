"""The closed periods (REGULATIONS 7.3): each month closed, its lines flagged beyond the
threshold, the variances explained, and whether its report is final."""

from __future__ import annotations

import json

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    put_record,
    update_record,
)

from bizdev_finance import published


class Periods(Projection):
    name = "periods"
    tables = ("periods", "variance_explanations")
    ddl = [
        """
        CREATE TABLE IF NOT EXISTS {schema}.periods (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            month text NOT NULL,
            first_day date NOT NULL,
            last_day date NOT NULL,
            closed_by text NOT NULL,
            threshold_percent numeric,
            flagged_lines jsonb NOT NULL DEFAULT '[]',
            final boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.variance_explanations (
            period_id uuid NOT NULL,
            budget_id uuid NOT NULL,
            line_id uuid NOT NULL,
            reason text NOT NULL,
            improvement text NOT NULL,
            explained_by text NOT NULL,
            PRIMARY KEY (period_id, budget_id, line_id)
        )
        """,
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.PeriodClosed():
                await self._closed(conn, event)
            case published.VarianceExplained():
                await self._explained(conn, event)
            case published.PeriodReportFinalized():
                await self._finalized(conn, event)

    async def _closed(self, conn: ViewConnection, event: published.PeriodClosed) -> None:
        await put_record(
            conn,
            self.t["periods"],
            event,
            {
                "month": event.month,
                "first_day": event.first_day,
                "last_day": event.last_day,
                "closed_by": event.by,
                "threshold_percent": event.threshold_percent,
                "flagged_lines": json.dumps(
                    [f.model_dump(mode="json") for f in event.flagged_lines or ()]
                ),
            },
        )

    async def _explained(self, conn: ViewConnection, event: published.VarianceExplained) -> None:
        if not await update_record(conn, self.t["periods"], event, {}):
            return
        await conn.execute(
            f"INSERT INTO {self.t['variance_explanations']} (period_id, budget_id, "
            "line_id, reason, improvement, explained_by) VALUES ($1, $2, $3, $4, "
            "$5, $6) ON CONFLICT (period_id, budget_id, line_id) DO UPDATE SET "
            "reason = EXCLUDED.reason, improvement = EXCLUDED.improvement, "
            "explained_by = EXCLUDED.explained_by",
            event.aggregate_id,
            event.budget_id,
            event.line_id,
            event.reason,
            event.improvement,
            event.by,
        )

    async def _finalized(
        self, conn: ViewConnection, event: published.PeriodReportFinalized
    ) -> None:
        await change_record(conn, self.t["periods"], event, {"final": True})
