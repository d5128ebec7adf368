"""Incentives, improvement plans and sanctions (REGULATIONS §8.4): each person's file, and the
decisions in it with their grounds."""

from __future__ import annotations

import json

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, insert_row

from bizdev_performance import published

Decision = published.IncentiveGranted | published.ImprovementPlanStarted | published.SanctionApplied


class IncentivesView(Projection):
    name = "incentives"
    tables = ("files", "decisions")
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.files (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            person text NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.decisions (
            id uuid PRIMARY KEY,
            file_id uuid NOT NULL,
            person text NOT NULL,
            category text NOT NULL,
            kind text NOT NULL,
            bonus_amount numeric,
            bonus_currency text,
            title text,
            measures jsonb,
            until date,
            plan_id uuid,
            cycle_id uuid NOT NULL,
            evaluation_id uuid NOT NULL,
            score numeric,
            decided_by text NOT NULL,
            decided_at timestamptz NOT NULL,
            department text
        )
        """,
        "CREATE INDEX IF NOT EXISTS decisions_person ON {schema}.decisions (person, decided_at)",
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.IncentiveGranted():
                await self._incentive(conn, event)
            case published.ImprovementPlanStarted():
                await self._improvement_plan(conn, event)
            case published.SanctionApplied():
                await self._sanction(conn, event)

    async def _incentive(self, conn: ViewConnection, event: published.IncentiveGranted) -> None:
        await self._decided(
            conn,
            event,
            {
                "id": event.decision_id,
                "category": "incentive",
                "kind": event.kind,
                "bonus_amount": None if event.bonus is None else event.bonus.amount,
                "bonus_currency": None if event.bonus is None else event.bonus.currency,
                "title": event.title,
            },
        )

    async def _improvement_plan(
        self, conn: ViewConnection, event: published.ImprovementPlanStarted
    ) -> None:
        await self._decided(
            conn,
            event,
            {
                "id": event.plan_id,
                "category": "improvement_plan",
                "kind": "improvement_plan",
                "measures": json.dumps(event.measures),
                "until": event.until,
            },
        )

    async def _sanction(self, conn: ViewConnection, event: published.SanctionApplied) -> None:
        await self._decided(
            conn,
            event,
            {
                "id": event.decision_id,
                "category": "sanction",
                "kind": event.kind,
                "plan_id": event.plan_id,
            },
        )

    async def _decided(
        self, conn: ViewConnection, event: Decision, decision: dict[str, object]
    ) -> None:
        """The person's file moves to the event's version; the decision is keyed by its id."""
        await conn.execute(
            f"INSERT INTO {self.t['files']} AS f (id, version, person, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO UPDATE SET version = "
            "EXCLUDED.version, updated_at = EXCLUDED.updated_at WHERE f.version < EXCLUDED.version",
            event.aggregate_id,
            event.version,
            event.person,
            event.occurred_at,
        )
        await insert_row(
            conn,
            self.t["decisions"],
            {
                "file_id": event.aggregate_id,
                "person": event.person,
                "cycle_id": event.cycle_id,
                "evaluation_id": event.evaluation_id,
                "score": event.score,
                "decided_by": event.by,
                "decided_at": event.occurred_at,
                "department": event.department,
                **decision,
            },
        )
