"""Evaluations (REGULATIONS §8.2), numbers only: their ratings, frozen scores and feedback;
the deadlines of their feedback and acknowledgement steps; and what each waits on, in the
inbox (ratings to give, feedback to deliver and acknowledge, steps overdue)."""

from __future__ import annotations

import json

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    insert_record,
    update_record,
    updated_record,
)
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_performance import published
from bizdev_performance.domain import STEP_ACKNOWLEDGEMENT, STEP_FEEDBACK
from bizdev_performance.domain.values import EvaluationState
from bizdev_performance.projections._common import HR
from bizdev_performance.reactions import STEP_DUE


class EvaluationsView(Projection):
    name = "evaluations"
    tables = ("evaluations",)
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.evaluations (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            cycle_id uuid NOT NULL,
            period text NOT NULL,
            person text NOT NULL,
            department text NOT NULL,
            supervisor text,
            raters jsonb NOT NULL,
            state text NOT NULL,
            ratings int NOT NULL DEFAULT 0,
            score numeric,
            quantitative numeric,
            qualitative numeric,
            attainments jsonb,
            below_standard boolean,
            high_performer boolean,
            finalized_on date,
            feedback_by text,
            standing numeric GENERATED ALWAYS AS (coalesce(score, -1)) STORED,
            ratings_due date NOT NULL,
            feedback_due date NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS evaluations_cycle ON {schema}.evaluations (cycle_id, score)",
        "CREATE INDEX IF NOT EXISTS evaluations_person ON {schema}.evaluations (person)",
        *inbox.DDL,
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.EvaluationOpened():
                await self._opened(conn, event)
            case published.RatingRecorded():
                await self._rated(conn, event)
            case published.EvaluationFinalized():
                await self._finalized(conn, event)
            case published.FeedbackDelivered():
                await self._feedback_delivered(conn, event)
            case published.FeedbackAcknowledged():
                await self._acknowledged(conn, event)
            case published.EvaluationStepOverdue():
                await self._step_overdue(conn, event)

    async def _opened(self, conn: ViewConnection, event: published.EvaluationOpened) -> None:
        if not await insert_record(
            conn,
            self.t["evaluations"],
            event,
            {
                "cycle_id": event.cycle_id,
                "period": event.period,
                "person": event.person,
                "department": event.department,
                "supervisor": event.supervisor,
                "raters": json.dumps(event.raters),
                "state": EvaluationState.OPEN.value,
                "ratings_due": event.ratings_due,
                "feedback_due": event.feedback_due,
            },
        ):
            return
        for rater in sorted(event.raters):
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="rating_to_give",
                item=rater,
                title=f"Rate {event.person} ({event.period})",
                waiting_on=inbox.person(rater),
                link=f"/evaluations/{event.aggregate_id}/ratings",
                due_at=end_of(event.ratings_due),
            )
        await set_deadline(
            conn,
            self.schema,
            STEP_DUE,
            event.aggregate_id,
            end_of(event.feedback_due),
            STEP_FEEDBACK,
        )

    async def _rated(self, conn: ViewConnection, event: published.RatingRecorded) -> None:
        counted = await conn.fetchval(
            f"UPDATE {self.t['evaluations']} SET ratings = ratings + 1, version = $2, "
            "updated_at = $3 WHERE id = $1 AND version < $2 RETURNING true",
            event.aggregate_id,
            event.version,
            event.occurred_at,
        )
        if counted:
            await inbox.close(conn, self.schema, event, kind="rating_to_give", item=event.rater)

    async def _finalized(self, conn: ViewConnection, event: published.EvaluationFinalized) -> None:
        row = await updated_record(
            conn,
            self.t["evaluations"],
            event,
            {
                "state": EvaluationState.FINALIZED.value,
                "score": event.score,
                "quantitative": event.quantitative,
                "qualitative": event.qualitative,
                "attainments": json.dumps(
                    {k: None if v is None else format(v, "f") for k, v in event.attainments.items()}
                ),
                "below_standard": event.below_standard,
                "high_performer": event.high_performer,
                "finalized_on": event.finalized_on,
            },
            ["supervisor", "feedback_due"],
        )
        if row is None:
            return
        # Ratings not given are no longer awaited: the scores are frozen.
        await conn.execute(
            f'UPDATE "{self.schema}".{inbox.TABLE} SET state = $3, version = $4, updated_at = $5 '
            "WHERE record_id = $1 AND kind = $2 AND version < $4",
            event.aggregate_id,
            "rating_to_give",
            inbox.DONE,
            event.version,
            event.occurred_at,
        )
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="feedback_to_deliver",
            title=f"Feed back {event.person}'s result ({event.period})",
            waiting_on=HR if row["supervisor"] is None else inbox.person(row["supervisor"]),
            link=f"/evaluations/{event.aggregate_id}/feedback",
            due_at=end_of(row["feedback_due"]),
        )

    async def _feedback_delivered(
        self, conn: ViewConnection, event: published.FeedbackDelivered
    ) -> None:
        if not await update_record(
            conn,
            self.t["evaluations"],
            event,
            {"state": EvaluationState.FEEDBACK_DELIVERED.value, "feedback_by": event.by},
        ):
            return
        await inbox.close(conn, self.schema, event, kind="feedback_to_deliver")
        await inbox.close(conn, self.schema, event, kind="step_overdue", item=STEP_FEEDBACK)
        await clear_deadline(conn, self.schema, STEP_DUE, event.aggregate_id, STEP_FEEDBACK)
        await set_deadline(
            conn,
            self.schema,
            STEP_DUE,
            event.aggregate_id,
            end_of(event.acknowledge_by),
            STEP_ACKNOWLEDGEMENT,
        )
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="feedback_to_acknowledge",
            title=f"Acknowledge your feedback ({event.cycle_id})",
            waiting_on=inbox.person(event.person),
            link=f"/evaluations/{event.aggregate_id}/acknowledge",
            due_at=end_of(event.acknowledge_by),
        )

    async def _acknowledged(
        self, conn: ViewConnection, event: published.FeedbackAcknowledged
    ) -> None:
        if await update_record(
            conn, self.t["evaluations"], event, {"state": EvaluationState.ACKNOWLEDGED.value}
        ):
            await inbox.close(conn, self.schema, event, kind="feedback_to_acknowledge")
            await inbox.close(
                conn, self.schema, event, kind="step_overdue", item=STEP_ACKNOWLEDGEMENT
            )
            await clear_deadline(
                conn, self.schema, STEP_DUE, event.aggregate_id, STEP_ACKNOWLEDGEMENT
            )

    async def _step_overdue(
        self, conn: ViewConnection, event: published.EvaluationStepOverdue
    ) -> None:
        if await update_record(conn, self.t["evaluations"], event, {}):
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="step_overdue",
                item=event.step,
                title=f"Overdue: {event.step} of {event.person}'s evaluation, due "
                f"{event.due_on}, waiting on {event.waiting_on or 'hr'}"[:200],
                waiting_on=HR,
                link=f"/evaluations/{event.aggregate_id}",
                due_at=end_of(event.due_on),
            )
