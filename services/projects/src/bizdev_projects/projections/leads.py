"""The leads found (REGULATIONS §2): submitted, qualified or discarded by the department's
head, and converted into an initiation application and its project."""

from __future__ import annotations

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    put_record,
)

from bizdev_projects import published
from bizdev_projects.domain import LeadState


class Leads(Projection):
    name = "leads"
    tables = ("leads",)
    ddl = [
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
        ALTER TABLE {schema}.leads
            ADD COLUMN IF NOT EXISTS converted_project_id uuid,
            ADD COLUMN IF NOT EXISTS converted_application_id uuid,
            ADD COLUMN IF NOT EXISTS converted_at timestamptz
        """,
        """
        ALTER TABLE {schema}.leads
            ADD COLUMN IF NOT EXISTS state text NOT NULL DEFAULT 'submitted',
            ADD COLUMN IF NOT EXISTS customer_id uuid,
            ADD COLUMN IF NOT EXISTS judged_by text,
            ADD COLUMN IF NOT EXISTS judgement text
        """,
        # Leads converted before they had a state.
        """
        UPDATE {schema}.leads SET state = 'converted'
        WHERE converted_project_id IS NOT NULL AND state <> 'converted'
        """,
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.LeadSubmitted():
                await self._submitted(conn, event)
            case published.LeadQualified():
                await self._qualified(conn, event)
            case published.LeadDiscarded():
                await self._discarded(conn, event)
            case published.LeadConverted():
                await self._converted(conn, event)

    async def _submitted(self, conn: ViewConnection, event: published.LeadSubmitted) -> None:
        await put_record(
            conn,
            self.t["leads"],
            event,
            {
                "finder": event.by,
                "department": event.department,
                "customer": event.customer,
                "need": event.need,
                "source": event.source,
                "estimated_value_amount": event.estimated_value.amount,
                "estimated_value_currency": event.estimated_value.currency,
                "customer_id": event.customer_id,
            },
        )

    async def _qualified(self, conn: ViewConnection, event: published.LeadQualified) -> None:
        await change_record(
            conn,
            self.t["leads"],
            event,
            {
                "state": LeadState.QUALIFIED.value,
                "customer_id": event.customer_id,
                "judged_by": event.by,
                "judgement": event.note,
            },
        )

    async def _discarded(self, conn: ViewConnection, event: published.LeadDiscarded) -> None:
        await change_record(
            conn,
            self.t["leads"],
            event,
            {
                "state": LeadState.DISCARDED.value,
                "judged_by": event.by,
                "judgement": event.reasons,
            },
        )

    async def _converted(self, conn: ViewConnection, event: published.LeadConverted) -> None:
        await change_record(
            conn,
            self.t["leads"],
            event,
            {
                "state": LeadState.CONVERTED.value,
                "converted_project_id": event.project_id,
                "converted_application_id": event.application_id,
                "converted_at": event.occurred_at,
            },
        )
