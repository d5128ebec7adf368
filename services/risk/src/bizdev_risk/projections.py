"""Read models of the risk service, fed by its own topic: the register (risks, their
assessments, responses, measures and reviews), the key risk indicators and their values over
time, the alerts, the identification rounds, the review meetings, and the inbox.

Every write follows its record row's version guard (bizdev_common.projector): a redelivered
or older event changes nothing."""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

import asyncpg
from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.domain import Role
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, insert_record, insert_row, update_record, update_row
from bizdev_common.scheduler import clear_deadline, clear_deadlines, set_deadline

from bizdev_risk import contract as c
from bizdev_risk.domain import AlertState, ResponseState, RiskState
from bizdev_risk.reactions import IDENTIFICATION_DUE, KRI_WINDOW, MEASURE_DUE, REVIEW_DUE

INBOX_KINDS = [
    "alert_to_acknowledge",
    "acceptance_to_sign_off",
    "measure_due",
    "measure_review_due",
    "identification_to_submit",
]
"""What waits on someone in risk (GET /inbox `kind`)."""

RISK_OFFICER = inbox.WaitsOn(role=Role.RISK_OFFICER)

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
    """
    CREATE TABLE IF NOT EXISTS {schema}.rounds (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        period_start date NOT NULL,
        period_end date NOT NULL,
        due_on date NOT NULL,
        departments text[] NOT NULL,
        opened_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.round_departments (
        round_id uuid NOT NULL,
        department text NOT NULL,
        state text NOT NULL,
        overdue boolean NOT NULL DEFAULT false,
        risk_ids uuid[] NOT NULL DEFAULT '{{}}',
        declared_none boolean NOT NULL DEFAULT false,
        late boolean NOT NULL DEFAULT false,
        submitted_by text,
        submitted_at timestamptz,
        PRIMARY KEY (round_id, department)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.meetings (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        held_on date NOT NULL,
        title text NOT NULL,
        attendees text[] NOT NULL,
        risk_ids uuid[] NOT NULL,
        conclusions text NOT NULL,
        actions jsonb NOT NULL,
        recorded_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    *inbox.DDL,
]


class RiskViews(Projection):
    name = "views"
    tables = (
        "risks",
        "risk_assessments",
        "risk_responses",
        "measures",
        "measure_reviews",
        "kris",
        "kri_values",
        "alerts",
        "rounds",
        "round_departments",
        "meetings",
        inbox.TABLE,
    )
    ddl = DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [c.CONTRACT])

    async def apply(self, conn: asyncpg.Connection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case c.RiskRaised():
                await self._raised(conn, event)
            case (
                c.RiskAssessed()
                | c.ResponsePlanned()
                | c.StrategyChanged()
                | c.AcceptanceSignedOff()
                | c.RiskAlertLinked()
                | c.RiskClosed()
            ):
                await self._risk(conn, event)
            case (
                c.MeasureAdded()
                | c.MeasureReviewed()
                | c.MeasureCompleted()
                | c.MeasureOverdue()
                | c.MeasureReviewOverdue()
            ):
                await self._measure(conn, event)
            case c.KriValueChanged():
                await self._kri(conn, event)
            case c.KriThresholdBreached() | c.AlertAcknowledged():
                await self._alert(conn, event)
            case (
                c.IdentificationRoundOpened()
                | c.IdentificationSubmitted()
                | c.IdentificationOverdue()
            ):
                await self._round(conn, event)
            case c.ReviewMeetingRecorded():
                await insert_record(
                    conn,
                    self.t["meetings"],
                    event,
                    {
                        "held_on": event.held_on,
                        "title": event.title,
                        "attendees": event.attendees,
                        "risk_ids": event.risk_ids,
                        "conclusions": event.conclusions,
                        "actions": json.dumps([a.model_dump(mode="json") for a in event.actions]),
                        "recorded_by": event.by or "",
                    },
                )

    # --- the register ----------------------------------------------------------------------

    async def _raised(self, conn: asyncpg.Connection, event: c.RiskRaised) -> None:
        await insert_record(
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

    async def _risk(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        risks = self.t["risks"]
        values: dict[str, object] = {}
        match event:
            case c.RiskAssessed():
                p = event.assessment
                values = {
                    f"{p}_likelihood": event.likelihood,
                    f"{p}_impact": event.impact,
                    f"{p}_score": event.score,
                    f"{p}_level": event.level,
                }
            case c.ResponsePlanned() | c.StrategyChanged():
                values = {
                    "strategy": event.strategy,
                    "strategy_reason": event.reason,
                    "proposed_by": event.by,
                    "signed_off_by": None,
                }
            case c.AcceptanceSignedOff():
                values = {"signed_off_by": event.by}
            case c.RiskClosed():
                values = {"state": RiskState.CLOSED.value, "closed_reason": event.reason}
        if not await update_record(conn, risks, event, values):
            return
        match event:
            case c.RiskAssessed():
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
                        "scenarios": json.dumps(
                            [s.model_dump(mode="json") for s in event.scenarios]
                        ),
                        "note": event.note,
                        "assessed_by": event.by or "",
                        "assessed_at": event.occurred_at,
                    },
                )
            case c.ResponsePlanned() | c.StrategyChanged():
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
            case c.RiskClosed():
                await inbox.close_record(conn, self.schema, event)
                for kind in (MEASURE_DUE, REVIEW_DUE):
                    await clear_deadlines(conn, self.schema, kind, event.aggregate_id)
                return
        await self._derive(conn, event)

    async def _derive(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
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
        if row["response_state"] == ResponseState.AWAITING_SIGN_OFF.value:
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

    async def _measure(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        if not await update_record(conn, self.t["risks"], event, {}):
            return
        measures = self.t["measures"]
        risk_id = event.aggregate_id
        match event:
            case c.MeasureAdded():
                await insert_row(
                    conn,
                    measures,
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
                await conn.execute(
                    f"UPDATE {self.t['risks']} SET people = array_append(people, $2) "
                    "WHERE id = $1 AND NOT ($2 = ANY(people))",
                    risk_id,
                    event.person,
                )
                item = str(event.measure_id)
                await set_deadline(
                    conn, self.schema, MEASURE_DUE, risk_id, end_of(event.due_on), item
                )
                await set_deadline(
                    conn, self.schema, REVIEW_DUE, risk_id, event.next_review_at, item
                )
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
            case c.MeasureReviewed():
                item = str(event.measure_id)
                await insert_row(
                    conn,
                    self.t["measure_reviews"],
                    {
                        "risk_id": risk_id,
                        "version": event.version,
                        "measure_id": event.measure_id,
                        "effective": event.effective,
                        "note": event.note,
                        "reviewed_by": event.by or "",
                        "reviewed_at": event.occurred_at,
                    },
                )
                department = await conn.fetchval(
                    f"UPDATE {measures} SET next_review_at = $2, review_overdue = false, "
                    "reviews = reviews + 1, last_effective = $3 WHERE id = $1 RETURNING department",
                    event.measure_id,
                    event.next_review_at,
                    event.effective,
                )
                await set_deadline(
                    conn, self.schema, REVIEW_DUE, risk_id, event.next_review_at, item
                )
                await self._review_item(
                    conn, event, event.measure_id, department, event.next_review_at
                )
            case c.MeasureCompleted():
                item = str(event.measure_id)
                await update_row(
                    conn,
                    measures,
                    {"id": event.measure_id},
                    {"state": "completed", "completed_at": event.occurred_at},
                )
                for kind in (MEASURE_DUE, REVIEW_DUE):
                    await clear_deadline(conn, self.schema, kind, risk_id, item)
                for kind in ("measure_due", "measure_review_due"):
                    await inbox.close(conn, self.schema, event, kind=kind, item=item)
            case c.MeasureOverdue():
                await update_row(conn, measures, {"id": event.measure_id}, {"overdue": True})
            case c.MeasureReviewOverdue():
                await update_row(conn, measures, {"id": event.measure_id}, {"review_overdue": True})

    async def _review_item(
        self,
        conn: asyncpg.Connection,
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

    # --- indicators and alerts -------------------------------------------------------------

    async def _kri(self, conn: asyncpg.Connection, event: c.KriValueChanged) -> None:
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

    async def _alert(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        alerts = self.t["alerts"]
        match event:
            case c.KriThresholdBreached():
                if await insert_record(
                    conn,
                    alerts,
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
                ):
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="alert_to_acknowledge",
                        title=f"KRI {event.indicator} past its {event.threshold} threshold "
                        f"({event.value})",
                        waiting_on=RISK_OFFICER,
                        link=f"/alerts/{event.aggregate_id}/acknowledge",
                    )
            case c.AlertAcknowledged():
                if await update_record(
                    conn,
                    alerts,
                    event,
                    {
                        "state": AlertState.ACKNOWLEDGED.value,
                        "acknowledged_by": event.by,
                        "note": event.note,
                    },
                ):
                    await inbox.close(conn, self.schema, event, kind="alert_to_acknowledge")

    # --- identification rounds -------------------------------------------------------------

    async def _round(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        rounds, departments = self.t["rounds"], self.t["round_departments"]
        match event:
            case c.IdentificationRoundOpened():
                if not await insert_record(
                    conn,
                    rounds,
                    event,
                    {
                        "period_start": event.period_start,
                        "period_end": event.period_end,
                        "due_on": event.due_on,
                        "departments": event.departments,
                        "opened_by": event.by or "",
                    },
                ):
                    return
                due = end_of(event.due_on)
                for department in event.departments:
                    await insert_row(
                        conn,
                        departments,
                        {
                            "round_id": event.aggregate_id,
                            "department": department,
                            "state": "awaiting",
                        },
                    )
                    await set_deadline(
                        conn, self.schema, IDENTIFICATION_DUE, event.aggregate_id, due, department
                    )
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="identification_to_submit",
                        item=department,
                        title=f"Identify {department}'s risks of {event.period_start} to "
                        f"{event.period_end}"[:200],
                        waiting_on=inbox.head_of(department),
                        due_at=due,
                        link=f"/identification-rounds/{event.aggregate_id}/submissions",
                    )
            case c.IdentificationSubmitted():
                if await update_record(conn, rounds, event, {}):
                    await update_row(
                        conn,
                        departments,
                        {"round_id": event.aggregate_id, "department": event.department},
                        {
                            "state": "submitted",
                            "risk_ids": event.risk_ids,
                            "declared_none": event.declared_none,
                            "late": event.late,
                            "submitted_by": event.by,
                            "submitted_at": event.occurred_at,
                        },
                    )
                    await clear_deadline(
                        conn, self.schema, IDENTIFICATION_DUE, event.aggregate_id, event.department
                    )
                    await inbox.close(
                        conn,
                        self.schema,
                        event,
                        kind="identification_to_submit",
                        item=event.department,
                    )
            case c.IdentificationOverdue():
                if await update_record(conn, rounds, event, {}):
                    await update_row(
                        conn,
                        departments,
                        {"round_id": event.aggregate_id, "department": event.department},
                        {"overdue": True},
                    )
