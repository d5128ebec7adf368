"""The meetings of projects and their action items (REGULATIONS §6): the inbox item and the
deadline of each action item, open until its owner does it by the end of its due date."""

from __future__ import annotations

from uuid import UUID

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.envelope import Envelope
from bizdev_common.projector import ViewConnection, put_record, update_record
from bizdev_common.scheduler import clear_deadline, set_deadlines

from bizdev_projects import published
from bizdev_projects.domain import ACTION_ITEM_OVERDUE, MeetingState
from bizdev_projects.projections._common import ProjectRecords, closures_ddl

ACTION_ITEM = "action_item"


class Meetings(ProjectRecords):
    name = "meetings"
    closures = "meetings_closed_projects"
    tables = ("meetings", "action_items", closures)
    ddl = [
        """
        CREATE TABLE IF NOT EXISTS {schema}.meetings (
            id uuid PRIMARY KEY,
            version int NOT NULL,
            project_id uuid NOT NULL,
            project_name text NOT NULL,
            department text NOT NULL,
            kind text NOT NULL,
            title text NOT NULL,
            meeting_date date NOT NULL,
            organizer text NOT NULL,
            attendees text[] NOT NULL,
            agenda text NOT NULL,
            state text NOT NULL,
            minutes text,
            minutes_by text,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS meetings_project "
        "ON {schema}.meetings (project_id, meeting_date)",
        """
        CREATE TABLE IF NOT EXISTS {schema}.action_items (
            id uuid PRIMARY KEY,
            meeting_id uuid NOT NULL,
            project_id uuid NOT NULL,
            description text NOT NULL,
            owner text NOT NULL,
            due_date date NOT NULL,
            done boolean NOT NULL,
            done_by text,
            done_at timestamptz,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS action_items_owner ON {schema}.action_items (owner, done)",
        # What a list of action items shows: each with its meeting and project, in one query.
        """
        CREATE OR REPLACE VIEW {schema}.action_item_list AS
        SELECT a.*, m.title AS meeting_title, m.meeting_date, m.project_name, m.department
        FROM {schema}.action_items a JOIN {schema}.meetings m ON m.id = a.meeting_id
        """,
        closures_ddl(closures),
        *inbox.DDL,
    ]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.MeetingScheduled():
                await self._scheduled(conn, event)
            case published.MeetingMinutesRecorded():
                await self._minutes(conn, event)
            case published.ActionItemCompleted():
                await self._item_completed(conn, event)
            case published.ActionItemOverdue():
                await self._item_overdue(conn, event)
            case published.ProjectClosed():
                await self._project_closed(conn, event)

    async def _scheduled(self, conn: ViewConnection, event: published.MeetingScheduled) -> None:
        await put_record(
            conn,
            self.t["meetings"],
            event,
            {
                "project_id": event.project_id,
                "project_name": event.project_name,
                "department": event.department,
                "kind": event.kind,
                "title": event.title,
                "meeting_date": event.meeting_date,
                "organizer": event.by,
                "attendees": event.attendees,
                "agenda": event.agenda,
                "state": MeetingState.SCHEDULED.value,
            },
        )

    async def _minutes(self, conn: ViewConnection, event: published.MeetingMinutesRecorded) -> None:
        if not await update_record(
            conn,
            self.t["meetings"],
            event,
            {
                "state": MeetingState.MINUTED.value,
                "attendees": event.attendees,
                "minutes": event.minutes,
                "minutes_by": event.by,
            },
        ):
            return
        await conn.executemany(
            f"INSERT INTO {self.t['action_items']} (id, meeting_id, project_id, description, "
            "owner, due_date, done, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, false, $7, $7) ON CONFLICT (id) DO NOTHING",
            [
                (
                    i.id,
                    event.aggregate_id,
                    event.project_id,
                    i.description,
                    i.owner,
                    i.due_date,
                    event.occurred_at,
                )
                for i in event.action_items
            ],
        )
        await set_deadlines(
            conn,
            self.schema,
            ACTION_ITEM_OVERDUE,
            event.aggregate_id,
            {str(i.id): end_of(i.due_date) for i in event.action_items},
        )
        for i in event.action_items:
            await inbox.put(
                conn,
                self.schema,
                event,
                kind=ACTION_ITEM,
                item=str(i.id),
                title=i.description,
                waiting_on=inbox.person(i.owner),
                due_at=end_of(i.due_date),
                link=f"/meetings/{event.aggregate_id}/action-items/{i.id}/done",
            )
        await self._settled_if_project_closed(conn, event.aggregate_id, event.project_id)
        await self._no_deadlines_if_project_closed(conn, event.aggregate_id, event.project_id)

    async def _item_completed(
        self, conn: ViewConnection, event: published.ActionItemCompleted
    ) -> None:
        if not await update_record(conn, self.t["meetings"], event, {}):
            return
        await conn.execute(
            f"UPDATE {self.t['action_items']} SET done = true, done_by = $2, done_at = $3, "
            "updated_at = $3 WHERE id = $1",
            event.item_id,
            event.by,
            event.occurred_at,
        )
        await clear_deadline(
            conn, self.schema, ACTION_ITEM_OVERDUE, event.aggregate_id, str(event.item_id)
        )
        await inbox.close(conn, self.schema, event, kind=ACTION_ITEM, item=str(event.item_id))

    async def _item_overdue(self, conn: ViewConnection, event: published.ActionItemOverdue) -> None:
        if not await update_record(conn, self.t["meetings"], event, {}):
            return
        # Reported: nothing is left for the deadline to do.
        await clear_deadline(
            conn, self.schema, ACTION_ITEM_OVERDUE, event.aggregate_id, str(event.item_id)
        )

    async def _project_closed(self, conn: ViewConnection, event: published.ProjectClosed) -> None:
        if not await self._note_closed(conn, event):
            return
        meetings = f"SELECT id FROM {self.t['meetings']} WHERE project_id = $3"
        await self._settle_items_of(conn, event, meetings)
        # A closed project's meetings have no action item left to fall due.
        await conn.execute(
            f'DELETE FROM "{self.schema}".deadlines WHERE kind = $1 AND '
            f"aggregate_id IN (SELECT id FROM {self.t['meetings']} WHERE project_id = $2)",
            ACTION_ITEM_OVERDUE,
            event.aggregate_id,
        )

    async def _no_deadlines_if_project_closed(
        self, conn: ViewConnection, meeting_id: UUID, project_id: UUID
    ) -> None:
        await conn.execute(
            f'DELETE FROM "{self.schema}".deadlines WHERE kind = $1 AND aggregate_id = $2 '
            f"AND EXISTS (SELECT 1 FROM {self.t[self.closures]} WHERE project_id = $3)",
            ACTION_ITEM_OVERDUE,
            meeting_id,
            project_id,
        )
