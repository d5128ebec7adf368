"""The organisation (REGULATIONS §8): people with their department, position and supervisor,
and the departments with their heads."""

from __future__ import annotations

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    put_record,
)

from bizdev_performance import published


class OrganisationView(Projection):
    name = "organisation"
    tables = ("people", "departments")
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.people (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            user_id text NOT NULL UNIQUE,
            department text NOT NULL,
            position text NOT NULL,
            supervisor text,
            joined_on date NOT NULL,
            left_on date,
            active boolean NOT NULL DEFAULT true,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS people_supervisor ON {schema}.people (supervisor)",
        """
        CREATE TABLE IF NOT EXISTS {schema}.departments (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            department text NOT NULL UNIQUE,
            head text NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.PersonJoined():
                await self._joined(conn, event)
            case published.PersonMoved():
                await self._moved(conn, event)
            case published.SupervisorAssigned():
                await self._supervisor(conn, event)
            case published.PersonLeft():
                await self._left(conn, event)
            case published.DepartmentEstablished():
                await self._established(conn, event)
            case published.DepartmentHeadAppointed():
                await self._head(conn, event)

    async def _joined(self, conn: ViewConnection, event: published.PersonJoined) -> None:
        await put_record(
            conn,
            self.t["people"],
            event,
            {
                "user_id": event.user_id,
                "department": event.department,
                "position": event.position,
                "supervisor": event.supervisor,
                "joined_on": event.joined_on,
            },
        )

    async def _moved(self, conn: ViewConnection, event: published.PersonMoved) -> None:
        await change_record(
            conn,
            self.t["people"],
            event,
            {"department": event.department, "position": event.position},
        )

    async def _supervisor(self, conn: ViewConnection, event: published.SupervisorAssigned) -> None:
        await change_record(conn, self.t["people"], event, {"supervisor": event.supervisor})

    async def _left(self, conn: ViewConnection, event: published.PersonLeft) -> None:
        await change_record(
            conn, self.t["people"], event, {"left_on": event.left_on, "active": False}
        )

    async def _established(
        self, conn: ViewConnection, event: published.DepartmentEstablished
    ) -> None:
        await put_record(
            conn,
            self.t["departments"],
            event,
            {"department": event.department, "head": event.head},
        )

    async def _head(self, conn: ViewConnection, event: published.DepartmentHeadAppointed) -> None:
        await change_record(conn, self.t["departments"], event, {"head": event.head})
