"""Each project's team lead, from projects' topic: who may read the project's budget."""

from __future__ import annotations

from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.projector import Projection, ViewConnection

from bizdev_finance.upstream import TeamLeadAppointed

TEAM_LEADS = EventContract.reading("projects", TeamLeadAppointed)


class TeamLeads(Projection):
    name = "team_leads"
    tables = ("project_team_leads",)
    ddl = [
        """
        CREATE TABLE IF NOT EXISTS {schema}.project_team_leads (
            project_id uuid PRIMARY KEY,
            version int NOT NULL,
            team_lead text NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS project_team_leads_lead "
        "ON {schema}.project_team_leads (team_lead)",
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [TEAM_LEADS])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case TeamLeadAppointed():
                await self._appointed(conn, event)

    async def _appointed(self, conn: ViewConnection, event: TeamLeadAppointed) -> None:
        leads = self.t["project_team_leads"]
        await conn.execute(
            f"INSERT INTO {leads} (project_id, version, team_lead) "
            "VALUES ($1, $2, $3) ON CONFLICT (project_id) DO UPDATE SET "
            "version = EXCLUDED.version, team_lead = EXCLUDED.team_lead "
            f"WHERE {leads}.version < EXCLUDED.version",
            event.aggregate_id,
            event.version,
            event.team_lead,
        )
