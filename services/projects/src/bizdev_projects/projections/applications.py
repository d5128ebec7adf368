"""The project initiation applications (REGULATIONS §2), and the inbox items they open: an
application to review (its department's head, or management when the applicant is that
head) and to approve or reject (management)."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    put_record,
    updated_record,
)

from bizdev_projects import published
from bizdev_projects.domain import ApplicationState

APPLICATION_REVIEW = "application_review"
APPLICATION_DECISION = "application_decision"


class Applications(Projection):
    name = "applications"
    tables = ("applications",)
    ddl = [
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
        "CREATE INDEX IF NOT EXISTS applications_state "
        "ON {schema}.applications (state, department)",
        """
        ALTER TABLE {schema}.applications
            ADD COLUMN IF NOT EXISTS applicant_is_head boolean NOT NULL DEFAULT false,
            ADD COLUMN IF NOT EXISTS assessment jsonb
        """,
        *inbox.DDL,
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.ApplicationDrafted():
                await self._drafted(conn, event)
            case published.ApplicationRevised():
                await self._revised(conn, event)
            case published.ApplicationSubmitted():
                await self._submitted(conn, event)
            case published.ApplicationReviewed():
                await self._reviewed(conn, event)
            case published.ApplicationApproved():
                await self._approved(conn, event)
            case published.ApplicationRejected():
                await self._rejected(conn, event)

    async def _drafted(self, conn: ViewConnection, event: published.ApplicationDrafted) -> None:
        await put_record(
            conn,
            self.t["applications"],
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

    async def _revised(self, conn: ViewConnection, event: published.ApplicationRevised) -> None:
        await change_record(
            conn,
            self.t["applications"],
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

    async def _submitted(self, conn: ViewConnection, event: published.ApplicationSubmitted) -> None:
        await change_record(
            conn,
            self.t["applications"],
            event,
            {
                "state": ApplicationState.SUBMITTED.value,
                "applicant_is_head": event.applicant_is_head,
            },
        )
        await inbox.put(
            conn,
            self.schema,
            event,
            kind=APPLICATION_REVIEW,
            title=f"Review the initiation application {event.title!r} of {event.applicant}",
            waiting_on=(
                inbox.MANAGEMENT if event.applicant_is_head else inbox.head_of(event.department)
            ),
            link=f"/applications/{event.aggregate_id}/review",
        )

    async def _reviewed(self, conn: ViewConnection, event: published.ApplicationReviewed) -> None:
        opinion = event.model_dump_json(
            include={
                "by",
                "recommend",
                "feasibility",
                "market_outlook",
                "resource_needs",
                "reviewed_as",
            }
        )
        # The title the decision's item shows comes back from the row's own update. Not
        # applied means this event was applied before, its items with it.
        application = await updated_record(
            conn,
            self.t["applications"],
            event,
            {"state": ApplicationState.DEPARTMENT_REVIEWED.value, "opinion": opinion},
            returning=("title",),
        )
        if application is None:
            return
        await inbox.close(conn, self.schema, event, kind=APPLICATION_REVIEW)
        await inbox.put(
            conn,
            self.schema,
            event,
            kind=APPLICATION_DECISION,
            title=f"Approve or reject the initiation application {application['title']!r}",
            waiting_on=inbox.MANAGEMENT,
            link=f"/applications/{event.aggregate_id}/approve",
        )

    async def _approved(self, conn: ViewConnection, event: published.ApplicationApproved) -> None:
        await change_record(
            conn,
            self.t["applications"],
            event,
            {
                "state": ApplicationState.APPROVED.value,
                "decision_by": event.by,
                "decision_reasons": event.comments or None,
                "project_id": event.project_id,
                "assessment": event.model_dump_json(
                    include={"strategic_fit", "market_outlook", "economic_benefit"}
                ),
            },
        )
        await inbox.close(conn, self.schema, event, kind=APPLICATION_DECISION)

    async def _rejected(self, conn: ViewConnection, event: published.ApplicationRejected) -> None:
        await change_record(
            conn,
            self.t["applications"],
            event,
            {
                "state": ApplicationState.REJECTED.value,
                "decision_by": event.by,
                "decision_reasons": event.reasons,
            },
        )
        await inbox.close(conn, self.schema, event, kind=APPLICATION_DECISION)
