"""Read models of the projects service, fed by its own topic: the lists and detail pages
frontends query. Each row keeps the version of its record, for read-your-writes."""

from __future__ import annotations

from typing import Any

import asyncpg
from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection

from bizdev_projects import contract as c
from bizdev_projects.domain import ApplicationState, ProjectState

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.applications (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        state text NOT NULL,
        title text NOT NULL,
        department text NOT NULL,
        applicant text NOT NULL,
        background text NOT NULL,
        target_customers text NOT NULL,
        expected_revenue_amount numeric NOT NULL,
        expected_revenue_currency text NOT NULL,
        preliminary_plan text NOT NULL,
        lead_id uuid,
        customer_id uuid,
        opinion jsonb,
        decision_by text,
        decision_reasons text,
        project_id uuid,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS applications_state ON {schema}.applications (state, department)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.projects (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        state text NOT NULL,
        name text NOT NULL,
        department text NOT NULL,
        applicant text NOT NULL,
        application_id uuid NOT NULL,
        expected_revenue_amount numeric NOT NULL,
        expected_revenue_currency text NOT NULL,
        lead_id uuid,
        customer_id uuid,
        opened_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.leads (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        finder text NOT NULL,
        department text NOT NULL,
        customer text NOT NULL,
        need text NOT NULL,
        source text NOT NULL,
        estimated_value_amount numeric NOT NULL,
        estimated_value_currency text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.market_insights (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        recorded_by text NOT NULL,
        department text NOT NULL,
        kind text NOT NULL,
        title text NOT NULL,
        content text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
]


class ProjectsViews(Projection):
    name = "views"
    tables = ("applications", "projects", "leads", "market_insights")
    ddl = DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [c.CONTRACT])
        self.t = {t: f'"{schema}".{t}' for t in self.tables}

    async def apply(self, conn: asyncpg.Connection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case c.ApplicationDrafted():
                await self._insert(
                    conn,
                    "applications",
                    event,
                    {
                        "state": ApplicationState.DRAFT.value,
                        "title": event.title,
                        "department": event.department,
                        "applicant": event.by,
                        "background": event.background,
                        "target_customers": event.target_customers,
                        "expected_revenue_amount": event.expected_revenue.amount,
                        "expected_revenue_currency": event.expected_revenue.currency,
                        "preliminary_plan": event.preliminary_plan,
                        "lead_id": event.lead_id,
                        "customer_id": event.customer_id,
                    },
                )
            case c.ApplicationRevised():
                await self._update(
                    conn,
                    "applications",
                    event,
                    {
                        "state": ApplicationState.DRAFT.value,
                        "title": event.title,
                        "background": event.background,
                        "target_customers": event.target_customers,
                        "expected_revenue_amount": event.expected_revenue.amount,
                        "expected_revenue_currency": event.expected_revenue.currency,
                        "preliminary_plan": event.preliminary_plan,
                        "opinion": None,
                        "decision_by": None,
                        "decision_reasons": None,
                    },
                )
            case c.ApplicationSubmitted():
                await self._update(
                    conn, "applications", event, {"state": ApplicationState.SUBMITTED.value}
                )
            case c.ApplicationReviewed():
                opinion = event.model_dump_json(
                    include={"by", "recommend", "feasibility", "market_outlook", "resource_needs"}
                )
                await self._update(
                    conn,
                    "applications",
                    event,
                    {
                        "state": ApplicationState.DEPARTMENT_REVIEWED.value,
                        "opinion": opinion,
                    },
                )
            case c.ApplicationApproved():
                await self._update(
                    conn,
                    "applications",
                    event,
                    {
                        "state": ApplicationState.APPROVED.value,
                        "decision_by": event.by,
                        "decision_reasons": event.comments or None,
                        "project_id": event.project_id,
                    },
                )
            case c.ApplicationRejected():
                await self._update(
                    conn,
                    "applications",
                    event,
                    {
                        "state": ApplicationState.REJECTED.value,
                        "decision_by": event.by,
                        "decision_reasons": event.reasons,
                    },
                )
            case c.ProjectOpened():
                await self._insert(
                    conn,
                    "projects",
                    event,
                    {
                        "state": ProjectState.OPEN.value,
                        "name": event.name,
                        "department": event.department,
                        "applicant": event.applicant,
                        "application_id": event.application_id,
                        "expected_revenue_amount": event.expected_revenue.amount,
                        "expected_revenue_currency": event.expected_revenue.currency,
                        "lead_id": event.lead_id,
                        "customer_id": event.customer_id,
                        "opened_by": event.by,
                    },
                )
            case c.LeadSubmitted():
                await self._insert(
                    conn,
                    "leads",
                    event,
                    {
                        "finder": event.by,
                        "department": event.department,
                        "customer": event.customer,
                        "need": event.need,
                        "source": event.source,
                        "estimated_value_amount": event.estimated_value.amount,
                        "estimated_value_currency": event.estimated_value.currency,
                    },
                )
            case c.MarketInsightRecorded():
                await self._insert(
                    conn,
                    "market_insights",
                    event,
                    {
                        "recorded_by": event.by,
                        "department": event.department,
                        "kind": event.kind,
                        "title": event.title,
                        "content": event.content,
                    },
                )

    async def _insert(
        self, conn: asyncpg.Connection, table: str, event: PublicEvent, values: dict[str, Any]
    ) -> None:
        row = {
            "id": event.aggregate_id,
            "version": event.version,
            **values,
            "created_at": event.occurred_at,
            "updated_at": event.occurred_at,
        }
        cols = ", ".join(row)
        params = ", ".join(f"${i}" for i in range(1, len(row) + 1))
        await conn.execute(f"INSERT INTO {self.t[table]} ({cols}) VALUES ({params})", *row.values())

    async def _update(
        self, conn: asyncpg.Connection, table: str, event: PublicEvent, values: dict[str, Any]
    ) -> None:
        row = {**values, "version": event.version, "updated_at": event.occurred_at}
        sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(row, start=2))
        await conn.execute(
            f"UPDATE {self.t[table]} SET {sets} WHERE id = $1", event.aggregate_id, *row.values()
        )
