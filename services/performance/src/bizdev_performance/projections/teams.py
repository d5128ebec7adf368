"""Projects' departments and teams, read from the projects topic: what a team's or a
department's indicators and a person's projects are measured by."""

from __future__ import annotations

from uuid import UUID

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection

from bizdev_performance import upstream as u


class TeamsView(Projection):
    name = "teams"
    tables = ("projects", "team_members")
    ddl = (
        """
        CREATE TABLE IF NOT EXISTS {schema}.projects (
            id uuid PRIMARY KEY,
            name text,
            department text NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.team_members (
            project_id uuid NOT NULL,
            member text NOT NULL,
            lead boolean NOT NULL DEFAULT false,
            active boolean NOT NULL DEFAULT true,
            version int NOT NULL,
            PRIMARY KEY (project_id, member)
        )
        """,
        "CREATE INDEX IF NOT EXISTS team_members_member ON {schema}.team_members (member)",
    )

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [u.TEAMS])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case u.ProjectOpened():
                await self._project(conn, event.aggregate_id, event.name, event.department)
            case u.TeamLeadAppointed():
                await self._lead_appointed(conn, event)
            case u.TeamMemberAdded():
                await self._member(conn, event, event.member, lead=False, active=True)
            case u.TeamMemberRemoved():
                await self._member(conn, event, event.member, lead=False, active=False)

    async def _lead_appointed(self, conn: ViewConnection, event: u.TeamLeadAppointed) -> None:
        await self._project(conn, event.aggregate_id, event.project_name, event.department)
        await self._member(conn, event, event.team_lead, lead=True, active=True)

    async def _project(
        self, conn: ViewConnection, project_id: UUID, name: str, department: str
    ) -> None:
        await conn.execute(
            f"INSERT INTO {self.t['projects']} (id, name, department) VALUES ($1, $2, $3) "
            "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, department = EXCLUDED.department",
            project_id,
            name,
            department,
        )

    async def _member(
        self, conn: ViewConnection, event: PublicEvent, member: str, *, lead: bool, active: bool
    ) -> None:
        members = self.t["team_members"]
        if lead:
            # One lead at a time: the one replaced stays a member.
            await conn.execute(
                f"UPDATE {members} SET lead = false, version = $2 "
                "WHERE project_id = $1 AND lead AND version < $2",
                event.aggregate_id,
                event.version,
            )
        await conn.execute(
            f"INSERT INTO {members} AS m (project_id, member, lead, active, version) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, member) DO UPDATE SET "
            "lead = EXCLUDED.lead OR (m.lead AND EXCLUDED.active), active = EXCLUDED.active, "
            "version = EXCLUDED.version WHERE m.version < EXCLUDED.version",
            event.aggregate_id,
            member,
            lead,
            active,
            event.version,
        )
