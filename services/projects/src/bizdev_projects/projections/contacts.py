"""The contacts logged with outside parties of a project (REGULATIONS §6)."""

from __future__ import annotations

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection, put_record

from bizdev_projects import published


class Contacts(Projection):
    name = "contacts"
    tables = ("contacts",)
    ddl = [
        """
        CREATE TABLE IF NOT EXISTS {schema}.contacts (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            project_id uuid NOT NULL,
            project_name text NOT NULL,
            department text NOT NULL,
            party_kind text NOT NULL,
            party text NOT NULL,
            contact_date date NOT NULL,
            summary text NOT NULL,
            customer_id uuid,
            logged_by text NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS contacts_project "
        "ON {schema}.contacts (project_id, contact_date)",
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.ContactLogged():
                await self._logged(conn, event)

    async def _logged(self, conn: ViewConnection, event: published.ContactLogged) -> None:
        await put_record(
            conn,
            self.t["contacts"],
            event,
            {
                "project_id": event.project_id,
                "project_name": event.project_name,
                "department": event.department,
                "party_kind": event.party_kind,
                "party": event.party,
                "contact_date": event.contact_date,
                "summary": event.summary,
                "customer_id": event.customer_id,
                "logged_by": event.by,
            },
        )
