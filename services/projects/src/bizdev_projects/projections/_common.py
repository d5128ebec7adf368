"""What the families of a project's records share (plans, deviations, meetings): what one of
their records leaves open (an inbox item, an action item's deadline) is settled once its
project is closed. ProjectClosed and the record's own events arrive on different partitions
in either order, and the view must be the same both ways; so each of these families notes
the projects closed in a table of its own (`closures`) and settles from there, never reading
the projects family's tables."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from bizdev_common import inbox
from bizdev_common.projector import Projection, ViewConnection

from bizdev_projects import published


def closures_ddl(table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {{schema}}.{table} "
        "(project_id uuid PRIMARY KEY, closed_at timestamptz NOT NULL)"
    )


class ProjectRecords(Projection):
    closures: ClassVar[str]
    """Its table of the projects closed."""

    async def _note_closed(self, conn: ViewConnection, event: published.ProjectClosed) -> bool:
        """Whether the closure is news to this family (a redelivery settles nothing again)."""
        return bool(
            await conn.fetchval(
                f"INSERT INTO {self.t[self.closures]} (project_id, closed_at) VALUES ($1, $2) "
                "ON CONFLICT (project_id) DO NOTHING RETURNING true",
                event.aggregate_id,
                event.occurred_at,
            )
        )

    async def _settle_items_of(
        self, conn: ViewConnection, event: published.ProjectClosed, records: str
    ) -> None:
        """Nothing of a closed project waits on anyone: the items of its records (`records`,
        a SELECT of their ids from this family's table, $3 the project) are settled. They
        keep their record's version, so a redelivered event of the record opens none again."""
        await conn.execute(
            f'UPDATE "{self.schema}".inbox SET state = $1, updated_at = $2 '
            f"WHERE state <> $1 AND record_id IN ({records})",
            inbox.DONE,
            event.occurred_at,
            event.aggregate_id,
        )

    async def _settled_if_project_closed(
        self, conn: ViewConnection, record_id: UUID, project_id: UUID
    ) -> None:
        """What a record of a closed project opens is settled at once, as ProjectClosed
        settles what was open."""
        await conn.execute(
            f'UPDATE "{self.schema}".inbox AS i SET state = $1, updated_at = p.closed_at '
            f"FROM {self.t[self.closures]} AS p "
            "WHERE p.project_id = $3 AND i.record_id = $2 AND i.state <> $1",
            inbox.DONE,
            record_id,
            project_id,
        )
