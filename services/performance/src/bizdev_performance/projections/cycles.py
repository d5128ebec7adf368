"""Evaluation cycles (REGULATIONS §8.2), and each open cycle waiting on hr to finalize it."""

from __future__ import annotations

import json

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, insert_record, update_record

from bizdev_performance import published
from bizdev_performance.projections._common import HR


class CyclesView(Projection):
    name = "cycles"
    tables = ("cycles",)
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.cycles (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            name text NOT NULL,
            kind text NOT NULL,
            period text NOT NULL,
            first_day date NOT NULL,
            last_day date NOT NULL,
            ratings_due date NOT NULL,
            finalize_due date NOT NULL,
            feedback_due date NOT NULL,
            weights jsonb NOT NULL,
            ratings_weight numeric NOT NULL,
            standard numeric NOT NULL,
            excellence numeric NOT NULL,
            population int NOT NULL,
            state text NOT NULL,
            opened_by text NOT NULL,
            finalized_by text,
            below_standard int,
            high_performers int,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        *inbox.DDL,
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.CycleOpened():
                await self._opened(conn, event)
            case published.CycleFinalized():
                await self._finalized(conn, event)

    async def _opened(self, conn: ViewConnection, event: published.CycleOpened) -> None:
        if await insert_record(
            conn,
            self.t["cycles"],
            event,
            {
                "name": event.name,
                "kind": event.kind,
                "period": event.period,
                "first_day": event.first_day,
                "last_day": event.last_day,
                "ratings_due": event.ratings_due,
                "finalize_due": event.finalize_due,
                "feedback_due": event.feedback_due,
                "weights": json.dumps({k: format(v, "f") for k, v in event.weights.items()}),
                "ratings_weight": event.ratings_weight,
                "standard": event.standard,
                "excellence": event.excellence,
                "population": len(event.population),
                "state": "open",
                "opened_by": event.by,
            },
        ):
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="cycle_to_finalize",
                title=f"Finalize the cycle {event.name} ({event.period})"[:200],
                waiting_on=HR,
                link=f"/cycles/{event.aggregate_id}/finalize",
                due_at=end_of(event.finalize_due),
            )

    async def _finalized(self, conn: ViewConnection, event: published.CycleFinalized) -> None:
        if await update_record(
            conn,
            self.t["cycles"],
            event,
            {
                "state": "finalized",
                "finalized_by": event.by,
                "below_standard": event.below_standard,
                "high_performers": event.high_performers,
            },
        ):
            await inbox.close(conn, self.schema, event, kind="cycle_to_finalize")
