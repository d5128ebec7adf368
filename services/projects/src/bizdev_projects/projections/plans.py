"""The business plans (REGULATIONS §3): the latest revision beside the one in force, and
each department's review of each revision; with the inbox items a submitted revision opens
(the head of each department it names reviews it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid5

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    ViewConnection,
    change_record,
    put_record,
    update_record,
)
from pydantic import BaseModel

from bizdev_projects import published
from bizdev_projects.domain import PlanState, Verdict, budget_totals
from bizdev_projects.projections._common import ProjectRecords, closures_ddl

PENDING = "pending"
"""The verdict of a requested review not given yet."""

PLAN_REVIEW = "plan_review"


def review_id(plan_id: UUID, revision: int, department: str) -> UUID:
    """One row per department and revision: every round of reviews stays visible."""
    return uuid5(plan_id, f"{revision}/{department}")


def _json(models: Sequence[BaseModel]) -> str:
    return json.dumps([m.model_dump(mode="json") for m in models])


class Plans(ProjectRecords):
    name = "plans"
    closures = "plans_closed_projects"
    tables = ("plans", "plan_reviews", closures)
    ddl = [
        """
        CREATE TABLE IF NOT EXISTS {schema}.plans (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            project_id uuid NOT NULL UNIQUE,
            project_name text NOT NULL,
            department text NOT NULL,
            state text NOT NULL,
            revision int NOT NULL,
            author text NOT NULL,
            goals text NOT NULL,
            marketing_strategy text NOT NULL,
            product_plan text NOT NULL,
            milestones jsonb NOT NULL,
            budget_lines jsonb NOT NULL,
            budget_totals jsonb NOT NULL,
            review_departments text[] NOT NULL,
            submitted_by text,
            approved_at timestamptz,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS plans_state ON {schema}.plans (state, department)",
        # The revision in force (execution and the budget follow it) beside the latest one,
        # which differs from it while re-planning.
        """
        ALTER TABLE {schema}.plans
            ADD COLUMN IF NOT EXISTS approved_revision int,
            ADD COLUMN IF NOT EXISTS approved_milestones jsonb,
            ADD COLUMN IF NOT EXISTS approved_budget_lines jsonb,
            ADD COLUMN IF NOT EXISTS approved_budget_totals jsonb,
            ADD COLUMN IF NOT EXISTS replanning_deviation_id uuid
        """,
        # Plans approved before re-planning existed: the latest revision is the one in force.
        """
        UPDATE {schema}.plans SET approved_revision = revision,
            approved_milestones = milestones, approved_budget_lines = budget_lines,
            approved_budget_totals = budget_totals
        WHERE state = 'approved' AND approved_revision IS NULL
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.plan_reviews (
            id uuid PRIMARY KEY,
            plan_id uuid NOT NULL,
            project_id uuid NOT NULL,
            project_name text NOT NULL,
            revision int NOT NULL,
            department text NOT NULL,
            verdict text NOT NULL,
            reviewer text,
            comments text,
            reviewed_at timestamptz,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS plan_reviews_inbox "
        "ON {schema}.plan_reviews (department, verdict)",
        "CREATE INDEX IF NOT EXISTS plan_reviews_plan ON {schema}.plan_reviews (plan_id, revision)",
        closures_ddl(closures),
        *inbox.DDL,
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.PlanDrafted():
                await self._drafted(conn, event)
            case published.PlanRevised():
                await self._revised(conn, event)
            case published.PlanSubmitted():
                await self._submitted(conn, event)
            case published.PlanReviewed():
                await self._reviewed(conn, event)
            case published.PlanApproved():
                await self._approved(conn, event)
            case published.PlanReplanningRequired():
                await self._replanning_required(conn, event)
            case published.ProjectClosed():
                await self._project_closed(conn, event)

    async def _drafted(self, conn: ViewConnection, event: published.PlanDrafted) -> None:
        await put_record(
            conn,
            self.t["plans"],
            event,
            {
                "project_id": event.project_id,
                "project_name": event.project_name,
                "department": event.department,
                "state": PlanState.DRAFT.value,
                "revision": 1,
                "author": event.by,
                **_content(event),
            },
        )

    async def _revised(self, conn: ViewConnection, event: published.PlanRevised) -> None:
        await change_record(
            conn,
            self.t["plans"],
            event,
            {
                "state": PlanState.DRAFT.value,
                "revision": event.revision,
                "submitted_by": None,
                **_content(event),
            },
        )

    async def _submitted(self, conn: ViewConnection, event: published.PlanSubmitted) -> None:
        for d in event.review_departments:
            await inbox.put(
                conn,
                self.schema,
                event,
                kind=PLAN_REVIEW,
                item=d,
                title=f"Review revision {event.revision} of the business plan of "
                f"{event.project_name} for {d}",
                waiting_on=inbox.head_of(d),
                link=f"/plans/{event.aggregate_id}/review",
            )
        await self._settled_if_project_closed(conn, event.aggregate_id, event.project_id)
        if not await update_record(
            conn,
            self.t["plans"],
            event,
            {"state": PlanState.IN_REVIEW.value, "submitted_by": event.by},
        ):
            return
        await conn.executemany(
            f"INSERT INTO {self.t['plan_reviews']} (id, plan_id, project_id, "
            "project_name, revision, department, verdict, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (id) DO NOTHING",
            [
                (
                    review_id(event.aggregate_id, event.revision, d),
                    event.aggregate_id,
                    event.project_id,
                    event.project_name,
                    event.revision,
                    d,
                    PENDING,
                    event.occurred_at,
                )
                for d in event.review_departments
            ],
        )

    async def _reviewed(self, conn: ViewConnection, event: published.PlanReviewed) -> None:
        sent_back = event.verdict == Verdict.CHANGES_REQUESTED
        if sent_back:
            # Sent back: no department reviews this revision any more.
            await inbox.close_record(conn, self.schema, event)
        else:
            await inbox.close(
                conn, self.schema, event, kind=PLAN_REVIEW, item=event.reviewing_department
            )
        if not await update_record(
            conn,
            self.t["plans"],
            event,
            {"state": PlanState.CHANGES_REQUESTED.value} if sent_back else {},
        ):
            return
        await conn.execute(
            f"UPDATE {self.t['plan_reviews']} SET verdict = $2, reviewer = $3, "
            "comments = $4, reviewed_at = $5, updated_at = $5 WHERE id = $1",
            review_id(event.aggregate_id, event.revision, event.reviewing_department),
            event.verdict,
            event.by,
            event.comments,
            event.occurred_at,
        )

    async def _approved(self, conn: ViewConnection, event: published.PlanApproved) -> None:
        await change_record(
            conn,
            self.t["plans"],
            event,
            {
                "state": PlanState.APPROVED.value,
                "approved_at": event.occurred_at,
                "approved_revision": event.revision,
                "approved_milestones": _json(event.milestones),
                "approved_budget_lines": _json(event.budget_lines),
                "approved_budget_totals": _json(event.budget_totals),
                "replanning_deviation_id": None,
            },
        )

    async def _replanning_required(
        self, conn: ViewConnection, event: published.PlanReplanningRequired
    ) -> None:
        await change_record(
            conn,
            self.t["plans"],
            event,
            {
                "state": PlanState.REPLANNING.value,
                "replanning_deviation_id": event.deviation_id,
            },
        )

    async def _project_closed(self, conn: ViewConnection, event: published.ProjectClosed) -> None:
        if await self._note_closed(conn, event):
            await self._settle_items_of(
                conn, event, f"SELECT id FROM {self.t['plans']} WHERE project_id = $3"
            )


def _content(event: published.PlanDrafted | published.PlanRevised) -> dict[str, Any]:
    totals = budget_totals(b.amount.to_money() for b in event.budget_lines)
    return {
        "goals": event.goals,
        "marketing_strategy": event.marketing_strategy,
        "product_plan": event.product_plan,
        "milestones": _json(event.milestones),
        "budget_lines": _json(event.budget_lines),
        "budget_totals": json.dumps([m.as_dict() for m in totals]),
        "review_departments": event.review_departments,
    }
