"""Read models of the records service, fed by its own topic: the files, the catalogue of
records, the loans, the destruction lists and the destruction records (kept for good), the
inbox, and the deadlines of loans and retention.

Every write follows its record row's version guard (bizdev_common.projector): a redelivered
or older event changes nothing."""

from __future__ import annotations

import json

import asyncpg
from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of, start_of
from bizdev_common.domain import Role
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    insert_record,
    insert_row,
    update_record,
    update_row,
    updated_record,
)
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_records import contract as c
from bizdev_records import storage
from bizdev_records.domain import ListState, LoanLoss, RecordState
from bizdev_records.reactions import LOAN_DUE, RETENTION_OVER

INBOX_KINDS = [
    "record_to_archive",
    "record_returned",
    "loan_to_approve",
    "loan_to_lend",
    "loan_overdue",
    "retention_over",
    "destruction_to_approve",
    "destruction_to_carry_out",
]
"""What waits on someone in records (GET /inbox `kind`)."""

ARCHIVIST = inbox.WaitsOn(role=Role.ARCHIVIST)

LoanEvent = (
    c.LoanApplied
    | c.LoanApproved
    | c.LoanRefused
    | c.RecordLent
    | c.RecordReturned
    | c.LoanClosedAsLostOrDamaged
    | c.LoanOverdue
)

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
    """
    CREATE TABLE IF NOT EXISTS {schema}.records (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        file_id uuid NOT NULL,
        category text NOT NULL,
        subject_id uuid NOT NULL,
        title text NOT NULL,
        source text NOT NULL,
        source_event_id text,
        department text NOT NULL,
        medium text NOT NULL,
        document jsonb,
        filed_by text,
        state text NOT NULL,
        number text,
        classification text,
        series text,
        year int,
        sequence int,
        room text,
        shelf text,
        box text,
        content_id uuid,
        content_size bigint,
        content_sha256 text,
        media_type text,
        filename text,
        legal_hold text,
        on_loan boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS records_file ON {schema}.records (file_id)",
    "CREATE INDEX IF NOT EXISTS records_number ON {schema}.records (number)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.loans (
        id uuid PRIMARY KEY,
        record_id uuid NOT NULL,
        number text NOT NULL,
        borrower text NOT NULL,
        department text NOT NULL,
        purpose text NOT NULL,
        due_on date NOT NULL,
        approver text NOT NULL,
        state text NOT NULL,
        decided_by text,
        refusal_reason text,
        lent_on date,
        returned_on date,
        intact boolean,
        condition text,
        overdue boolean NOT NULL DEFAULT false,
        applied_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS loans_record ON {schema}.loans (record_id)",
    "CREATE INDEX IF NOT EXISTS loans_borrower ON {schema}.loans (borrower)",
    """
    CREATE TABLE IF NOT EXISTS {schema}.destruction_lists (
        id uuid PRIMARY KEY,
        version int NOT NULL,
        record_ids uuid[] NOT NULL,
        reason text NOT NULL,
        listed_on date NOT NULL,
        proposed_by text NOT NULL,
        state text NOT NULL,
        approved_by text,
        witness text,
        method text,
        carried_out_by text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.destructions (
        id uuid PRIMARY KEY,
        list_id uuid NOT NULL,
        number text,
        title text NOT NULL,
        category text NOT NULL,
        file_id uuid NOT NULL,
        approved_by text NOT NULL,
        witness text NOT NULL,
        method text NOT NULL,
        destroyed_by text NOT NULL,
        destroyed_at timestamptz NOT NULL,
        sha256 text
    )
    """,
    """
    ALTER TABLE {schema}.records
        ADD COLUMN IF NOT EXISTS returned_reason text,
        ADD COLUMN IF NOT EXISTS damage text
    """,
    """
    ALTER TABLE {schema}.loans
        ADD COLUMN IF NOT EXISTS reported_by text,
        ADD COLUMN IF NOT EXISTS closed_on date
    """,
    *inbox.DDL,
    *storage.DDL,
]


class RecordsViews(Projection):
    name = "views"
    tables = ("files", "records", "loans", "destruction_lists", "destructions", inbox.TABLE)
    ddl = DDL

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [c.CONTRACT])

    async def apply(self, conn: asyncpg.Connection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case (
                c.FileOpened()
                | c.FileActiveLifeEnded()
                | c.FileActiveLifeResumed()
                | c.FileRetentionExpired()
            ):
                await self._file(conn, event)
            case c.DestructionListed() | c.DestructionApproved() | c.DestructionCarriedOut():
                await self._destruction_list(conn, event)
            case c.RecordFiled():
                await self._filed(conn, event)
            case (
                c.LoanApplied()
                | c.LoanApproved()
                | c.LoanRefused()
                | c.RecordLent()
                | c.RecordReturned()
                | c.LoanClosedAsLostOrDamaged()
                | c.LoanOverdue()
            ):
                await self._loan(conn, event)
            case _:
                await self._record(conn, event)

    async def _file(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        files = self.t["files"]
        match event:
            case c.FileOpened():
                await insert_record(
                    conn,
                    files,
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
            case c.FileActiveLifeEnded():
                values = {
                    "active": False,
                    "ended_on": event.ended_on,
                    "end_reason": event.reason,
                    "retention_ends_on": event.retention_ends_on,
                    "retention_expired": False,
                }
                if await update_record(conn, files, event, values):
                    await set_deadline(
                        conn,
                        self.schema,
                        RETENTION_OVER,
                        event.aggregate_id,
                        start_of(event.retention_ends_on),
                    )
            case c.FileActiveLifeResumed():
                values = {
                    "active": True,
                    "ended_on": None,
                    "end_reason": None,
                    "retention_ends_on": None,
                }
                if await update_record(conn, files, event, values):
                    await clear_deadline(conn, self.schema, RETENTION_OVER, event.aggregate_id)
                    await inbox.close(conn, self.schema, event, kind="retention_over")
            case c.FileRetentionExpired():
                values = {"retention_expired": True}
                if row := await updated_record(conn, files, event, values, ["title"]):
                    title = row["title"]
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="retention_over",
                        title=f"Retention over: file {title}"[:200],
                        waiting_on=ARCHIVIST,
                        link=f"/records-due-for-destruction?file_id={event.aggregate_id}",
                    )

    async def _filed(self, conn: asyncpg.Connection, event: c.RecordFiled) -> None:
        applied = await insert_record(
            conn,
            self.t["records"],
            event,
            {
                "file_id": event.file_id,
                "category": event.category,
                "subject_id": event.subject_id,
                "title": event.title,
                "source": event.source,
                "source_event_id": event.source_event_id,
                "department": event.department,
                "medium": event.medium,
                "document": None if event.document is None else json.dumps(event.document),
                "filed_by": event.filed_by,
                "state": RecordState.FILED.value,
            },
        )
        if applied:
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="record_to_archive",
                title=f"To review, number and bind: {event.title}"[:200],
                waiting_on=ARCHIVIST,
                link=f"/records/{event.aggregate_id}/number",
            )

    async def _record(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        records = self.t["records"]
        match event:
            case c.RecordRetitled():
                await update_record(conn, records, event, {"title": event.title})
            case c.RecordReturnedToFiler():
                values: dict[str, object] = {
                    "state": RecordState.RETURNED_TO_FILER.value,
                    "returned_reason": event.reason,
                }
                if row := await updated_record(conn, records, event, values, ["title"]):
                    await inbox.close(conn, self.schema, event, kind="record_to_archive")
                    title = row["title"]
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="record_returned",
                        title=f"Returned to you: {title}: {event.reason}"[:200],
                        waiting_on=inbox.person(event.filer),
                        link=f"/records/{event.aggregate_id}/resubmit",
                    )
            case c.RecordResubmitted():
                values = {"state": RecordState.FILED.value, "returned_reason": None}
                if row := await updated_record(conn, records, event, values, ["title"]):
                    await inbox.close(conn, self.schema, event, kind="record_returned")
                    title = row["title"]
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="record_to_archive",
                        title=f"To review again, number and bind: {title}"[:200],
                        waiting_on=ARCHIVIST,
                        link=f"/records/{event.aggregate_id}/number",
                    )
            case c.RecordLocated():
                await update_record(
                    conn,
                    records,
                    event,
                    {"room": event.room, "shelf": event.shelf, "box": event.box},
                )
            case c.DocumentUploaded():
                values = {
                    "content_id": event.content_id,
                    "content_size": event.size,
                    "content_sha256": event.sha256,
                    "media_type": event.media_type,
                    "filename": event.filename,
                }
                if await update_record(conn, records, event, values) and event.replaces:
                    # The command deletes it too; this covers a crash before it did.
                    await storage.delete_content(conn, self.schema, event.replaces)
            case c.RecordNumbered():
                values = {
                    "state": RecordState.NUMBERED.value,
                    "number": event.number,
                    "classification": event.classification,
                    "series": event.series,
                    "year": event.year,
                    "sequence": event.sequence,
                }
                if await update_record(conn, records, event, values):
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="record_to_archive",
                        title=f"To bind: {event.number}",
                        waiting_on=ARCHIVIST,
                        link=f"/records/{event.aggregate_id}/bind",
                    )
            case c.RecordBound():
                if await update_record(conn, records, event, {"state": RecordState.BOUND.value}):
                    await inbox.close(conn, self.schema, event, kind="record_to_archive")
            case c.LegalHoldPlaced():
                await update_record(conn, records, event, {"legal_hold": event.reason})
            case c.LegalHoldReleased():
                await update_record(conn, records, event, {"legal_hold": None})
            case c.RecordDestroyed():
                content_id = await conn.fetchval(
                    f"SELECT content_id FROM {records} WHERE id = $1", event.aggregate_id
                )
                values = {"state": RecordState.DESTROYED.value, "document": None}
                if await update_record(conn, records, event, values):
                    await insert_row(
                        conn,
                        self.t["destructions"],
                        {
                            "id": event.aggregate_id,
                            "list_id": event.list_id,
                            "number": event.number,
                            "title": event.title,
                            "category": event.category,
                            "file_id": event.file_id,
                            "approved_by": event.approved_by,
                            "witness": event.witness,
                            "method": event.method,
                            "destroyed_by": event.by,
                            "destroyed_at": event.occurred_at,
                            "sha256": event.sha256,
                        },
                    )
                    await inbox.close_record(conn, self.schema, event)
                    if content_id is not None:
                        # The command deletes the bytes; this covers a crash before it did.
                        await storage.delete_content(conn, self.schema, content_id)

    async def _loan(self, conn: asyncpg.Connection, event: LoanEvent) -> None:
        loans = self.t["loans"]
        record_values: dict[str, object] = {}
        if isinstance(event, c.RecordLent):
            record_values = {"on_loan": True}
        elif isinstance(event, c.RecordReturned):
            record_values = {"on_loan": False}
        elif isinstance(event, c.LoanClosedAsLostOrDamaged):
            record_values = (
                {"on_loan": False, "state": RecordState.LOST.value}
                if event.outcome == LoanLoss.LOST
                else {"on_loan": False, "damage": event.account}
            )
        if not await update_record(conn, self.t["records"], event, record_values):
            return
        loan = str(event.loan_id)
        match event:
            case c.LoanApplied():
                await insert_row(
                    conn,
                    loans,
                    {
                        "id": event.loan_id,
                        "record_id": event.aggregate_id,
                        "number": event.number,
                        "borrower": event.borrower,
                        "department": event.department,
                        "purpose": event.purpose,
                        "due_on": event.due_on,
                        "approver": event.approver,
                        "state": "applied",
                        "applied_at": event.occurred_at,
                    },
                )
                approver = (
                    ARCHIVIST
                    if event.approver == Role.ARCHIVIST.value
                    else inbox.head_of(event.department)
                )
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind="loan_to_approve",
                    item=loan,
                    title=f"Loan of {event.number} to {event.borrower}: {event.purpose}"[:200],
                    waiting_on=approver,
                    link=f"/records/{event.aggregate_id}/loans/{loan}/approve",
                )
            case c.LoanApproved():
                await update_row(
                    conn,
                    loans,
                    {"id": event.loan_id},
                    {"state": "approved", "decided_by": event.by},
                )
                await inbox.close(conn, self.schema, event, kind="loan_to_approve", item=loan)
                await inbox.put(
                    conn,
                    self.schema,
                    event,
                    kind="loan_to_lend",
                    item=loan,
                    title=f"To lend to {event.borrower}",
                    waiting_on=ARCHIVIST,
                    link=f"/records/{event.aggregate_id}/loans/{loan}/lend",
                )
            case c.LoanRefused():
                await update_row(
                    conn,
                    loans,
                    {"id": event.loan_id},
                    {"state": "refused", "decided_by": event.by, "refusal_reason": event.reason},
                )
                await inbox.close(conn, self.schema, event, kind="loan_to_approve", item=loan)
                await inbox.close(conn, self.schema, event, kind="loan_to_lend", item=loan)
            case c.RecordLent():
                await update_row(
                    conn, loans, {"id": event.loan_id}, {"state": "lent", "lent_on": event.lent_on}
                )
                await inbox.close(conn, self.schema, event, kind="loan_to_lend", item=loan)
                await set_deadline(
                    conn, self.schema, LOAN_DUE, event.aggregate_id, end_of(event.due_on), loan
                )
            case c.RecordReturned():
                await update_row(
                    conn,
                    loans,
                    {"id": event.loan_id},
                    {
                        "state": "returned",
                        "returned_on": event.returned_on,
                        "intact": event.intact,
                        "condition": event.condition,
                    },
                )
                await self._loan_ended(conn, event, loan)
            case c.LoanClosedAsLostOrDamaged():
                await update_row(
                    conn,
                    loans,
                    {"id": event.loan_id},
                    {
                        "state": event.outcome,
                        "condition": event.account,
                        "reported_by": event.reported_by,
                        "closed_on": event.closed_on,
                    },
                )
                await self._loan_ended(conn, event, loan)
            case c.LoanOverdue():
                await update_row(conn, loans, {"id": event.loan_id}, {"overdue": True})
                title = f"Loan of {event.number} overdue since {event.due_on}"
                for who, waiting_on in (
                    ("borrower", inbox.person(event.borrower)),
                    ("archivist", ARCHIVIST),
                ):
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="loan_overdue",
                        item=f"{loan}/{who}",
                        title=title,
                        waiting_on=waiting_on,
                        due_at=end_of(event.due_on),
                        link=f"/records/{event.aggregate_id}/loans/{loan}/return",
                    )

    async def _loan_ended(self, conn: asyncpg.Connection, event: PublicEvent, loan: str) -> None:
        """The record is no longer out: nothing is overdue any more."""
        await clear_deadline(conn, self.schema, LOAN_DUE, event.aggregate_id, loan)
        for who in ("borrower", "archivist"):
            await inbox.close(conn, self.schema, event, kind="loan_overdue", item=f"{loan}/{who}")

    async def _destruction_list(self, conn: asyncpg.Connection, event: PublicEvent) -> None:
        lists = self.t["destruction_lists"]
        link = f"/destruction-lists/{event.aggregate_id}"
        match event:
            case c.DestructionListed():
                if await insert_record(
                    conn,
                    lists,
                    event,
                    {
                        "record_ids": event.record_ids,
                        "reason": event.reason,
                        "listed_on": event.listed_on,
                        "proposed_by": event.by,
                        "state": ListState.PROPOSED.value,
                    },
                ):
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="destruction_to_approve",
                        title=f"Destruction of {len(event.record_ids)} records to approve",
                        waiting_on=inbox.MANAGEMENT,
                        link=f"{link}/approve",
                    )
            case c.DestructionApproved():
                if await update_record(
                    conn, lists, event, {"state": ListState.APPROVED.value, "approved_by": event.by}
                ):
                    await inbox.close(conn, self.schema, event, kind="destruction_to_approve")
                    await inbox.put(
                        conn,
                        self.schema,
                        event,
                        kind="destruction_to_carry_out",
                        title=f"Destruction of {len(event.record_ids)} records approved",
                        waiting_on=ARCHIVIST,
                        link=f"{link}/carry-out",
                    )
            case c.DestructionCarriedOut():
                values = {
                    "state": ListState.CARRIED_OUT.value,
                    "witness": event.witness,
                    "method": event.method,
                    "carried_out_by": event.by,
                }
                if await update_record(conn, lists, event, values):
                    await inbox.close(conn, self.schema, event, kind="destruction_to_carry_out")
