"""The files' read model (REGULATIONS §6): each file of a subject, its active life, and once
that has ended its retention, with the deadline of the retention's end and the archivist's
item when it is over."""

from __future__ import annotations

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import start_of
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    put_record,
    update_record,
    updated_record,
)
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_records import published
from bizdev_records.projections._common import ARCHIVIST
from bizdev_records.reactions import RETENTION_OVER

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.files (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        category text NOT NULL,
        subject_id uuid NOT NULL,
        title text NOT NULL,
        department text NOT NULL,
        source text NOT NULL,
        opened_by text,
        active boolean NOT NULL DEFAULT true,
        ended_on date,
        end_reason text,
        retention_ends_on date,
        retention_expired boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS files_subject ON {schema}.files (subject_id)",
    # The records due for destruction are found from the files whose retention is over.
    "CREATE INDEX IF NOT EXISTS files_retention ON {schema}.files (retention_ends_on) "
    "WHERE retention_ends_on IS NOT NULL",
]


class Files(Projection):
    name = "files"
    tables = ("files",)
    ddl = [*DDL, *inbox.DDL]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.FileOpened():
                await self._opened(conn, event)
            case published.FileActiveLifeEnded():
                await self._active_life_ended(conn, event)
            case published.FileActiveLifeResumed():
                await self._active_life_resumed(conn, event)
            case published.FileRetentionExpired():
                await self._retention_expired(conn, event)

    async def _opened(self, conn: ViewConnection, event: published.FileOpened) -> None:
        await put_record(
            conn,
            self.t["files"],
            event,
            {
                "category": event.category,
                "subject_id": event.subject_id,
                "title": event.title,
                "department": event.department,
                "source": event.source,
                "opened_by": event.opened_by,
            },
        )

    async def _active_life_ended(
        self, conn: ViewConnection, event: published.FileActiveLifeEnded
    ) -> None:
        values = {
            "active": False,
            "ended_on": event.ended_on,
            "end_reason": event.reason,
            "retention_ends_on": event.retention_ends_on,
            "retention_expired": False,
        }
        if await update_record(conn, self.t["files"], event, values):
            await set_deadline(
                conn,
                self.schema,
                RETENTION_OVER,
                event.aggregate_id,
                start_of(event.retention_ends_on),
            )

    async def _active_life_resumed(
        self, conn: ViewConnection, event: published.FileActiveLifeResumed
    ) -> None:
        values = {"active": True, "ended_on": None, "end_reason": None, "retention_ends_on": None}
        if await update_record(conn, self.t["files"], event, values):
            await clear_deadline(conn, self.schema, RETENTION_OVER, event.aggregate_id)
            await inbox.close(conn, self.schema, event, kind="retention_over")

    async def _retention_expired(
        self, conn: ViewConnection, event: published.FileRetentionExpired
    ) -> None:
        values = {"retention_expired": True}
        if row := await updated_record(conn, self.t["files"], event, values, ["title"]):
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="retention_over",
                title=f"Retention over: file {row['title']}"[:200],
                waiting_on=ARCHIVIST,
                link=f"/records-due-for-destruction?file_id={event.aggregate_id}",
            )
