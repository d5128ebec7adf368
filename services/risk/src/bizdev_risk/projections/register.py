"""The register's read model (REGULATIONS §5.2): the risks, their assessments and responses,
their measures and the measures' periodic reviews, with the items and deadlines they arm:
acceptances to sign off, measures due, measure reviews due.

A measure is part of its risk: its events move the risk's row to their version, and that
row's version guard decides whether the measure's rows change."""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    insert_row,
    put_record,
    update_record,
    update_row,
)
from bizdev_common.scheduler import clear_deadline, clear_deadlines, set_deadline

from bizdev_risk import published
from bizdev_risk.domain import ResponseState, RiskState
from bizdev_risk.reactions import MEASURE_DUE, REVIEW_DUE

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.risks (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        category text NOT NULL,
        scope text NOT NULL,
        project_id uuid,
        customer_id uuid,
        department text,
        title text NOT NULL,
        description text NOT NULL,
        cause text NOT NULL,
        source text NOT NULL,
        raised_by text,
        state text NOT NULL,
        inherent_likelihood int,
        inherent_impact int,
        inherent_score int,
        inherent_level text,
        residual_likelihood int,
        residual_impact int,
        residual_score int,
        residual_level text,
        score int,
        level text,
        strategy text,
        strategy_reason text,
        response_state text NOT NULL,
        proposed_by text,
        signed_off_by text,
        closed_reason text,
        people text[] NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS risks_people ON {schema}.risks USING gin (people)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.risk_assessments (
        risk_id uuid NOT NULL,
        version int NOT NULL,
        assessment text NOT NULL,
        likelihood int NOT NULL,
        impact int NOT NULL,
        score int NOT NULL,
        level text NOT NULL,
        scenarios jsonb NOT NULL,
        note text NOT NULL,
        assessed_by text NOT NULL,
        assessed_at timestamptz NOT NULL,
        PRIMARY KEY (risk_id, version)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.risk_responses (
        risk_id uuid NOT NULL,
        version int NOT NULL,
        strategy text NOT NULL,
        previous text,
        reason text NOT NULL,
        level text NOT NULL,
        sign_off_required boolean NOT NULL,
        decided_by text NOT NULL,
        decided_at timestamptz NOT NULL,
        PRIMARY KEY (risk_id, version)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.measures (
        id uuid PRIMARY KEY,
        risk_id uuid NOT NULL,
        description text NOT NULL,
        department text NOT NULL,
        person text NOT NULL,
        due_on date NOT NULL,
        state text NOT NULL,
        overdue boolean NOT NULL DEFAULT false,
        next_review_at timestamptz NOT NULL,
        review_overdue boolean NOT NULL DEFAULT false,
        reviews int NOT NULL DEFAULT 0,
        last_effective boolean,
        completed_at timestamptz,
        added_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS measures_risk ON {schema}.measures (risk_id)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.measure_reviews (
        risk_id uuid NOT NULL,
        version int NOT NULL,
        measure_id uuid NOT NULL,
        effective boolean NOT NULL,
        note text NOT NULL,
        reviewed_by text NOT NULL,
        reviewed_at timestamptz NOT NULL,
        PRIMARY KEY (risk_id, version)
    )
    """,
]


class Register(Projection):
    name = "register"
    tables = ("risks", "risk_assessments", "risk_responses", "measures", "measure_reviews")
    ddl = [*DDL, *inbox.DDL]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.RiskRaised():
                await self._raised(conn, event)
            case published.RiskAssessed():
                await self._assessed(conn, event)
            case published.ResponsePlanned() | published.StrategyChanged():
                await self._response(conn, event)
            case published.AcceptanceSignedOff():
                await self._signed_off(conn, event)
            case published.RiskAlertLinked():
                await self._alert_linked(conn, event)
            case published.RiskClosed():
                await self._closed(conn, event)
            case published.MeasureAdded():
                await self._measure_added(conn, event)
            case published.MeasureReviewed():
                await self._measure_reviewed(conn, event)
            case published.MeasureCompleted():
                await self._measure_completed(conn, event)
            case published.MeasureOverdue():
                await self._measure_overdue(conn, event)
            case published.MeasureReviewOverdue():
                await self._measure_review_overdue(conn, event)

    # --- the risk ----------------------------------------------------------------------------

    async def _raised(self, conn: ViewConnection, event: published.RiskRaised) -> None:
        await put_record(
            conn,
            self.t["risks"],
            event,
            {
                "category": event.category,
                "scope": event.scope,
                "project_id": event.project_id,
                "customer_id": event.customer_id,
                "department": event.department,
                "title": event.title,
                "description": event.description,
                "cause": event.cause,
                "source": "person" if event.alert_id is None else "kri",
                "raised_by": event.by,
                "state": RiskState.OPEN.value,
                "response_state": ResponseState.NONE.value,
                "people": [event.by] if event.by else [],
            },
        )

    async def _assessed(self, conn: ViewConnection, event: published.RiskAssessed) -> None:
        p = event.assessment
        values = {
            f"{p}_likelihood": event.likelihood,
            f"{p}_impact": event.impact,
            f"{p}_score": event.score,
            f"{p}_level": event.level,
        }
        if not await update_record(conn, self.t["risks"], event, values):
            return
        await insert_row(
            conn,
            self.t["risk_assessments"],
            {
                "risk_id": event.aggregate_id,
                "version": event.version,
                "assessment": event.assessment,
                "likelihood": event.likelihood,
                "impact": event.impact,
                "score": event.score,
                "level": event.level,
                "scenarios": json.dumps([s.model_dump(mode="json") for s in event.scenarios]),
                "note": event.note,
                "assessed_by": event.by or "",
                "assessed_at": event.occurred_at,
            },
        )
        await self._derive(conn, event)

    async def _response(
        self, conn: ViewConnection, event: published.ResponsePlanned | published.StrategyChanged
    ) -> None:
        values = {
            "strategy": event.strategy,
            "strategy_reason": event.reason,
            "proposed_by": event.by,
            "signed_off_by": None,
        }
        if not await update_record(conn, self.t["risks"], event, values):
            return
        await insert_row(
            conn,
            self.t["risk_responses"],
            {
                "risk_id": event.aggregate_id,
                "version": event.version,
                "strategy": event.strategy,
                "previous": getattr(event, "previous", None),
                "reason": event.reason,
                "level": event.level,
                "sign_off_required": event.sign_off_required,
                "decided_by": event.by or "",
                "decided_at": event.occurred_at,
            },
        )
        await self._derive(conn, event)

    async def _signed_off(self, conn: ViewConnection, event: published.AcceptanceSignedOff) -> None:
        if await update_record(conn, self.t["risks"], event, {"signed_off_by": event.by}):
            await self._derive(conn, event)

    async def _alert_linked(self, conn: ViewConnection, event: published.RiskAlertLinked) -> None:
        if await update_record(conn, self.t["risks"], event, {}):
            await self._derive(conn, event)

    async def _closed(self, conn: ViewConnection, event: published.RiskClosed) -> None:
        values = {"state": RiskState.CLOSED.value, "closed_reason": event.reason}
        if not await update_record(conn, self.t["risks"], event, values):
            return
        await inbox.close_record(conn, self.schema, event)
        for kind in (MEASURE_DUE, REVIEW_DUE):
            await clear_deadlines(conn, self.schema, kind, event.aggregate_id)

    async def _derive(self, conn: ViewConnection, event: PublicEvent) -> None:
        """The risk's level is its residual assessment's once there is one; an acceptance at
        level high or above waits for management's sign-off (as the Risk decides)."""
        row = await conn.fetchrow(
            f"UPDATE {self.t['risks']} SET "
            "level = coalesce(residual_level, inherent_level), "
            "score = coalesce(residual_score, inherent_score), "
            "response_state = CASE WHEN strategy IS NULL THEN 'none' "
            "WHEN strategy = 'accept' AND coalesce(residual_level, inherent_level) "
            "IN ('high', 'critical') AND signed_off_by IS NULL THEN 'awaiting_sign_off' "
            "ELSE 'in_force' END WHERE id = $1 RETURNING response_state, title",
            event.aggregate_id,
        )
        if row is not None and row["response_state"] == ResponseState.AWAITING_SIGN_OFF.value:
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="acceptance_to_sign_off",
                title=f"Acceptance of risk {row['title']} to sign off"[:200],
                waiting_on=inbox.MANAGEMENT,
                link=f"/risks/{event.aggregate_id}/sign-off",
            )
        else:
            await inbox.close(conn, self.schema, event, kind="acceptance_to_sign_off")

    # --- its measures ------------------------------------------------------------------------

    async def _measure_added(self, conn: ViewConnection, event: published.MeasureAdded) -> None:
        if not await update_record(conn, self.t["risks"], event, {}):
            return
        await conn.execute(
            f"UPDATE {self.t['risks']} SET people = array_append(people, $2) "
            "WHERE id = $1 AND NOT ($2 = ANY(people))",
            event.aggregate_id,
            event.person,
        )
        risk_id, item = event.aggregate_id, str(event.measure_id)
        await insert_row(
            conn,
            self.t["measures"],
            {
                "id": event.measure_id,
                "risk_id": risk_id,
                "description": event.description,
                "department": event.department,
                "person": event.person,
                "due_on": event.due_on,
                "state": "open",
                "next_review_at": event.next_review_at,
                "added_at": event.occurred_at,
            },
        )
        await set_deadline(conn, self.schema, MEASURE_DUE, risk_id, end_of(event.due_on), item)
        await set_deadline(conn, self.schema, REVIEW_DUE, risk_id, event.next_review_at, item)
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="measure_due",
            item=item,
            title=f"Measure due: {event.description}"[:200],
            waiting_on=inbox.person(event.person),
            due_at=end_of(event.due_on),
            link=f"/risks/{risk_id}/measures/{item}/complete",
        )
        await self._review_item(
            conn, event, event.measure_id, event.department, event.next_review_at
        )

    async def _measure_reviewed(
        self, conn: ViewConnection, event: published.MeasureReviewed
    ) -> None:
        if not await update_record(conn, self.t["risks"], event, {}):
            return
        await insert_row(
            conn,
            self.t["measure_reviews"],
            {
                "risk_id": event.aggregate_id,
                "version": event.version,
                "measure_id": event.measure_id,
                "effective": event.effective,
                "note": event.note,
                "reviewed_by": event.by or "",
                "reviewed_at": event.occurred_at,
            },
        )
        department = await conn.fetchval(
            f"UPDATE {self.t['measures']} SET next_review_at = $2, review_overdue = false, "
            "reviews = reviews + 1, last_effective = $3 WHERE id = $1 RETURNING department",
            event.measure_id,
            event.next_review_at,
            event.effective,
        )
        await set_deadline(
            conn,
            self.schema,
            REVIEW_DUE,
            event.aggregate_id,
            event.next_review_at,
            str(event.measure_id),
        )
        await self._review_item(conn, event, event.measure_id, department, event.next_review_at)

    async def _measure_completed(
        self, conn: ViewConnection, event: published.MeasureCompleted
    ) -> None:
        if not await update_record(conn, self.t["risks"], event, {}):
            return
        item = str(event.measure_id)
        await update_row(
            conn,
            self.t["measures"],
            {"id": event.measure_id},
            {"state": "completed", "completed_at": event.occurred_at},
        )
        for kind in (MEASURE_DUE, REVIEW_DUE):
            await clear_deadline(conn, self.schema, kind, event.aggregate_id, item)
        for kind in ("measure_due", "measure_review_due"):
            await inbox.close(conn, self.schema, event, kind=kind, item=item)

    async def _measure_overdue(self, conn: ViewConnection, event: published.MeasureOverdue) -> None:
        if await update_record(conn, self.t["risks"], event, {}):
            await update_row(conn, self.t["measures"], {"id": event.measure_id}, {"overdue": True})

    async def _measure_review_overdue(
        self, conn: ViewConnection, event: published.MeasureReviewOverdue
    ) -> None:
        if await update_record(conn, self.t["risks"], event, {}):
            await update_row(
                conn, self.t["measures"], {"id": event.measure_id}, {"review_overdue": True}
            )

    async def _review_item(
        self,
        conn: ViewConnection,
        event: PublicEvent,
        measure_id: UUID,
        department: str,
        due: datetime,
    ) -> None:
        item = str(measure_id)
        await inbox.put(
            conn,
            self.schema,
            event,
            kind="measure_review_due",
            item=item,
            title="Review of a risk measure due",
            waiting_on=inbox.head_of(department),
            due_at=due,
            link=f"/risks/{event.aggregate_id}/measures/{item}/reviews",
        )
