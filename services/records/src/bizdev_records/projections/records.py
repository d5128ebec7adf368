"""The catalogue's read model (REGULATIONS §6): each record filed, its review, number,
binding, location, document, legal hold and loans, and the destruction record of each record
destroyed (kept for good), with the items that wait on the archivist, the filer, the approver
of a loan and its borrower, and the deadline of each loan's return.

A loan is part of its record: its events move the record's row to their version, and that
row's version guard decides whether the loan's rows change."""

from __future__ import annotations

import json
from uuid import UUID

from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.days import end_of
from bizdev_common.domain import Role
from bizdev_common.envelope import Envelope
from bizdev_common.projector import (
    Projection,
    ViewConnection,
    change_record,
    insert_record,
    insert_row,
    update_record,
    update_row,
    updated_record,
)
from bizdev_common.scheduler import clear_deadline, set_deadline

from bizdev_records import published, storage
from bizdev_records.domain import LoanLoss, RecordState
from bizdev_records.projections._common import ARCHIVIST
from bizdev_records.reactions import LOAN_DUE

DDL = [
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
]


class Records(Projection):
    name = "records"
    tables = ("records", "loans", "destructions")
    ddl = [*DDL, *inbox.DDL, *storage.DDL]

    def __init__(self, schema: str) -> None:
        super().__init__(schema, [published.CONTRACT])

    async def apply(self, conn: ViewConnection, event: PublicEvent, envelope: Envelope) -> None:
        match event:
            case published.RecordFiled():
                await self._filed(conn, event)
            case published.RecordRetitled():
                await change_record(conn, self.t["records"], event, {"title": event.title})
            case published.RecordReturnedToFiler():
                await self._returned_to_filer(conn, event)
            case published.RecordResubmitted():
                await self._resubmitted(conn, event)
            case published.RecordLocated():
                await self._located(conn, event)
            case published.DocumentUploaded():
                await self._document_uploaded(conn, event)
            case published.RecordNumbered():
                await self._numbered(conn, event)
            case published.RecordBound():
                await self._bound(conn, event)
            case published.LegalHoldPlaced():
                await change_record(conn, self.t["records"], event, {"legal_hold": event.reason})
            case published.LegalHoldReleased():
                await change_record(conn, self.t["records"], event, {"legal_hold": None})
            case published.RecordDestroyed():
                await self._destroyed(conn, event)
            case published.LoanApplied():
                await self._loan_applied(conn, event)
            case published.LoanApproved():
                await self._loan_approved(conn, event)
            case published.LoanRefused():
                await self._loan_refused(conn, event)
            case published.RecordLent():
                await self._lent(conn, event)
            case published.RecordReturned():
                await self._returned(conn, event)
            case published.LoanClosedAsLostOrDamaged():
                await self._loan_closed_as_lost_or_damaged(conn, event)
            case published.LoanOverdue():
                await self._loan_overdue(conn, event)

    # --- filing, review and archiving --------------------------------------------------------

    async def _filed(self, conn: ViewConnection, event: published.RecordFiled) -> None:
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

    async def _returned_to_filer(
        self, conn: ViewConnection, event: published.RecordReturnedToFiler
    ) -> None:
        values = {"state": RecordState.RETURNED_TO_FILER.value, "returned_reason": event.reason}
        if row := await updated_record(conn, self.t["records"], event, values, ["title"]):
            await inbox.close(conn, self.schema, event, kind="record_to_archive")
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="record_returned",
                title=f"Returned to you: {row['title']}: {event.reason}"[:200],
                waiting_on=inbox.person(event.filer),
                link=f"/records/{event.aggregate_id}/resubmit",
            )

    async def _resubmitted(self, conn: ViewConnection, event: published.RecordResubmitted) -> None:
        values = {"state": RecordState.FILED.value, "returned_reason": None}
        if row := await updated_record(conn, self.t["records"], event, values, ["title"]):
            await inbox.close(conn, self.schema, event, kind="record_returned")
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="record_to_archive",
                title=f"To review again, number and bind: {row['title']}"[:200],
                waiting_on=ARCHIVIST,
                link=f"/records/{event.aggregate_id}/number",
            )

    async def _located(self, conn: ViewConnection, event: published.RecordLocated) -> None:
        values = {"room": event.room, "shelf": event.shelf, "box": event.box}
        await change_record(conn, self.t["records"], event, values)

    async def _document_uploaded(
        self, conn: ViewConnection, event: published.DocumentUploaded
    ) -> None:
        values = {
            "content_id": event.content_id,
            "content_size": event.size,
            "content_sha256": event.sha256,
            "media_type": event.media_type,
            "filename": event.filename,
        }
        if await update_record(conn, self.t["records"], event, values) and event.replaces:
            # The command deletes it too; this covers a crash before it did.
            await storage.delete_content(conn, self.schema, event.replaces)

    async def _numbered(self, conn: ViewConnection, event: published.RecordNumbered) -> None:
        values = {
            "state": RecordState.NUMBERED.value,
            "number": event.number,
            "classification": event.classification,
            "series": event.series,
            "year": event.year,
            "sequence": event.sequence,
        }
        if await update_record(conn, self.t["records"], event, values):
            await inbox.put(
                conn,
                self.schema,
                event,
                kind="record_to_archive",
                title=f"To bind: {event.number}",
                waiting_on=ARCHIVIST,
                link=f"/records/{event.aggregate_id}/bind",
            )

    async def _bound(self, conn: ViewConnection, event: published.RecordBound) -> None:
        values = {"state": RecordState.BOUND.value}
        if await update_record(conn, self.t["records"], event, values):
            await inbox.close(conn, self.schema, event, kind="record_to_archive")

    async def _destroyed(self, conn: ViewConnection, event: published.RecordDestroyed) -> None:
        values = {"state": RecordState.DESTROYED.value, "document": None}
        row = await updated_record(conn, self.t["records"], event, values, ["content_id"])
        if row is None:
            return
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
        if row["content_id"] is not None:
            # The command deletes the bytes; this covers a crash before it did.
            await storage.delete_content(conn, self.schema, row["content_id"])

    # --- loans -------------------------------------------------------------------------------

    async def _loan_applied(self, conn: ViewConnection, event: published.LoanApplied) -> None:
        if not await update_record(conn, self.t["records"], event, {}):
            return
        loan = str(event.loan_id)
        await insert_row(
            conn,
            self.t["loans"],
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
            ARCHIVIST if event.approver == Role.ARCHIVIST.value else inbox.head_of(event.department)
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

    async def _loan_approved(self, conn: ViewConnection, event: published.LoanApproved) -> None:
        if not await self._loan_moved(
            conn, event, event.loan_id, {"state": "approved", "decided_by": event.by}
        ):
            return
        loan = str(event.loan_id)
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

    async def _loan_refused(self, conn: ViewConnection, event: published.LoanRefused) -> None:
        if not await self._loan_moved(
            conn,
            event,
            event.loan_id,
            {"state": "refused", "decided_by": event.by, "refusal_reason": event.reason},
        ):
            return
        loan = str(event.loan_id)
        await inbox.close(conn, self.schema, event, kind="loan_to_approve", item=loan)
        await inbox.close(conn, self.schema, event, kind="loan_to_lend", item=loan)

    async def _lent(self, conn: ViewConnection, event: published.RecordLent) -> None:
        if not await self._loan_moved(
            conn,
            event,
            event.loan_id,
            {"state": "lent", "lent_on": event.lent_on},
            {"on_loan": True},
        ):
            return
        loan = str(event.loan_id)
        await inbox.close(conn, self.schema, event, kind="loan_to_lend", item=loan)
        await set_deadline(
            conn, self.schema, LOAN_DUE, event.aggregate_id, end_of(event.due_on), loan
        )

    async def _returned(self, conn: ViewConnection, event: published.RecordReturned) -> None:
        if not await self._loan_moved(
            conn,
            event,
            event.loan_id,
            {
                "state": "returned",
                "returned_on": event.returned_on,
                "intact": event.intact,
                "condition": event.condition,
            },
            {"on_loan": False},
        ):
            return
        await self._loan_ended(conn, event, str(event.loan_id))

    async def _loan_closed_as_lost_or_damaged(
        self, conn: ViewConnection, event: published.LoanClosedAsLostOrDamaged
    ) -> None:
        values: dict[str, object] = (
            {"on_loan": False, "state": RecordState.LOST.value}
            if event.outcome == LoanLoss.LOST
            else {"on_loan": False, "damage": event.account}
        )
        if not await self._loan_moved(
            conn,
            event,
            event.loan_id,
            {
                "state": event.outcome,
                "condition": event.account,
                "reported_by": event.reported_by,
                "closed_on": event.closed_on,
            },
            values,
        ):
            return
        await self._loan_ended(conn, event, str(event.loan_id))

    async def _loan_overdue(self, conn: ViewConnection, event: published.LoanOverdue) -> None:
        if not await self._loan_moved(conn, event, event.loan_id, {"overdue": True}):
            return
        loan = str(event.loan_id)
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

    async def _loan_moved(
        self,
        conn: ViewConnection,
        event: PublicEvent,
        loan_id: UUID,
        loan: dict[str, object],
        record: dict[str, object] | None = None,
    ) -> bool:
        """A loan's row, and its record's (the version guard): False, and nothing written,
        when the record's row has seen this event already."""
        if not await update_record(conn, self.t["records"], event, record or {}):
            return False
        await update_row(conn, self.t["loans"], {"id": loan_id}, loan)
        return True

    async def _loan_ended(self, conn: ViewConnection, event: PublicEvent, loan: str) -> None:
        """The record is no longer out: nothing is overdue any more."""
        await clear_deadline(conn, self.schema, LOAN_DUE, event.aggregate_id, loan)
        for who in ("borrower", "archivist"):
            await inbox.close(conn, self.schema, event, kind="loan_overdue", item=f"{loan}/{who}")
