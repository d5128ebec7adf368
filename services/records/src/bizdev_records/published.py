"""The records service's published events (topic `bizdev.records.events.v1`).

The counters behind archive numbers stay inside: RecordNumbered carries the number."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from bizdev_common.contract import DecidingTimeZone, EventContract, PublicEvent
from pydantic import Field

from bizdev_records.domain import DestructionList, File, Record

# --- files ------------------------------------------------------------------------------------


class FileOpened(PublicEvent):
    """A file was opened: by another service's event (a project opened, a customer
    registered, a contract signed, an application reviewed) or by a team (marketing)."""

    category: str = Field(description="customer, project, contract or marketing")
    subject_id: UUID = Field(
        description="The project, customer, contract, application or marketing matter it is about"
    )
    title: str = Field(description="What it is about")
    department: str = Field(description="Department the subject belongs to")
    source: str = Field(description="What opened it: `<service>.<event>`, or `team`")
    opened_by: str | None = Field(description="User id of the team member; null from events")


class FileActiveLifeEnded(PublicEvent):
    """The subject's active life ended (project closed, contract completed or terminated,
    customer lost, a marketing file closed): the retention of its records runs from here."""

    ended_on: date = Field(description="The day it ended")
    reason: str = Field(description="What ended it")
    retention_years: int = Field(description="The category's retention, from the settings")
    retention_ends_on: date = Field(description="From this day its records may be destroyed")


class FileActiveLifeResumed(PublicEvent):
    """The subject came back (a lost customer active again): no retention runs any more."""

    reason: str = Field(description="What resumed it")


class FileRetentionExpired(PublicEvent):
    """The periodic check found the file's retention over: its records are due for review
    for destruction (once per end of active life)."""

    retention_ends_on: date = Field(description="The day the retention ended")
    time_zone: DecidingTimeZone


# --- records ----------------------------------------------------------------------------------


class RecordFiled(PublicEvent):
    """A record was filed: a document another service's event produced, or a team's item."""

    file_id: UUID = Field(description="The file it is filed in")
    category: str = Field(description="customer, project, contract or marketing")
    subject_id: UUID = Field(description="The file's subject")
    title: str = Field(description="What it is")
    source: str = Field(description="`<service>.<event>` that produced it, or `team`")
    source_event_id: str | None = Field(description="The CloudEvents id of that event")
    department: str = Field(description="Department it belongs to")
    medium: str = Field(description="physical or electronic")
    document: dict[str, Any] | None = Field(
        description="The document as the producing service published it; null for a team's "
        "item (its document is uploaded, or it is physical)"
    )
    filed_by: str | None = Field(description="User id of the team member; null from events")


class RecordRetitled(PublicEvent):
    """The record's title was corrected before binding."""

    title: str = Field(description="The new title")


class RecordLocated(PublicEvent):
    """Where a physical record is kept."""

    room: str = Field(description="Room")
    shelf: str = Field(description="Shelf")
    box: str = Field(description="Box")


class DocumentUploaded(PublicEvent):
    """An electronic record's document was uploaded (before binding; a later upload
    replaces it)."""

    content_id: UUID = Field(description="The stored content")
    size: int = Field(description="Its size in bytes")
    sha256: str = Field(description="Its SHA-256, hex")
    media_type: str = Field(description="Its media type")
    filename: str = Field(description="Its file name as uploaded")
    replaces: UUID | None = Field(description="The content it replaces, if any")


class RecordReturnedToFiler(PublicEvent):
    """The archivist's review did not accept the record as filed: it went back to its filer
    with what to correct (its filer files it again: RecordResubmitted)."""

    filer: str = Field(description="User id of who filed it, whose inbox it is in now")
    reason: str = Field(description="What to correct")


class RecordResubmitted(PublicEvent):
    """The filer filed the returned record again: the archivist reviews it anew."""

    note: str = Field(description="What the filer corrected, or why it stands; may be empty")


class RecordNumbered(PublicEvent):
    """The archivist reviewed the record and accepted it: classified it and gave it its
    archive number, unique and without gaps per category and year."""

    number: str = Field(description="The archive number, e.g. PRJ-2026-000123")
    classification: str = Field(description="`<category>/<series>`")
    series: str = Field(description="The series within the category")
    year: int = Field(description="The year of the numbering")
    sequence: int = Field(description="Its place in the category's numbers of that year")


class RecordBound(PublicEvent):
    """The archivist bound the record: its content never changes from here."""

    number: str = Field(description="The archive number")
    sha256: str | None = Field(description="The SHA-256 of its uploaded document, if any")


class LoanApplied(PublicEvent):
    """Someone asked to borrow the record, with a purpose and a due date."""

    loan_id: UUID = Field(description="The loan")
    borrower: str = Field(description="User id of the borrower")
    department: str = Field(description="The borrower's department")
    purpose: str = Field(description="What for")
    due_on: date = Field(description="When it is to be back")
    number: str = Field(description="The record's archive number")
    approver: str = Field(
        description="Who approves it: department_head (the borrower's) or archivist"
    )


class LoanApproved(PublicEvent):
    """The head of the borrower's department, or the archivist (alone, for the categories
    configured so), approved the loan."""

    loan_id: UUID = Field(description="The loan")
    borrower: str = Field(description="User id of the borrower")
    approved_as: str = Field(description="department_head or archivist")


class LoanRefused(PublicEvent):
    """The loan was refused, with the reason."""

    loan_id: UUID = Field(description="The loan")
    borrower: str = Field(description="User id of the borrower")
    reason: str = Field(description="Why")


class RecordLent(PublicEvent):
    """The archivist handed the record out on an approved loan."""

    loan_id: UUID = Field(description="The loan")
    borrower: str = Field(description="User id of the borrower")
    department: str = Field(description="The borrower's department")
    number: str = Field(description="The record's archive number")
    lent_on: date = Field(description="The day it was lent")
    due_on: date = Field(description="When it is to be back")


class RecordReturned(PublicEvent):
    """The archivist took the record back and checked it."""

    loan_id: UUID = Field(description="The loan")
    borrower: str = Field(description="User id of the borrower")
    returned_on: date = Field(description="The day it came back")
    intact: bool = Field(description="Whether it came back whole and unaltered")
    condition: str = Field(description="What was wrong with it, when not intact")
    late: bool = Field(description="Whether it came back after its due date")


class LoanClosedAsLostOrDamaged(PublicEvent):
    """The archivist closed a loan whose physical record did not come back whole: `lost`
    (it leaves circulation: no loan, no destruction, its loss kept on record) or `damaged`
    (back in the archive, flagged with its damage). The loan's overdue watch ends."""

    loan_id: UUID = Field(description="The loan")
    borrower: str = Field(description="User id of the borrower, who answers for it")
    department: str = Field(description="The borrower's department")
    number: str = Field(description="The record's archive number")
    outcome: str = Field(description="lost or damaged")
    reported_by: str = Field(
        description="borrower (who reported it to the archivist) or archivist (who found it)"
    )
    account: str = Field(description="What happened, and for damage what is harmed")
    closed_on: date = Field(description="The day the loan was closed")
    late: bool = Field(description="Whether it was closed after the loan's due date")


class LoanOverdue(PublicEvent):
    """A lent record was not back when its due date was over (once per loan)."""

    loan_id: UUID = Field(description="The loan")
    borrower: str = Field(description="User id of the borrower")
    department: str = Field(description="The borrower's department")
    number: str = Field(description="The record's archive number")
    due_on: date = Field(description="When it was due")
    time_zone: DecidingTimeZone


class LegalHoldPlaced(PublicEvent):
    """The record is under legal hold: it cannot be destroyed."""

    reason: str = Field(description="Why (litigation, audit, investigation)")


class LegalHoldReleased(PublicEvent):
    """The legal hold was lifted."""

    reason: str = Field(description="Why")


class RecordDestroyed(PublicEvent):
    """The record was destroyed under an approved destruction list, before a witness; an
    uploaded document's bytes are deleted for good. This event is its destruction record."""

    list_id: UUID = Field(description="The destruction list")
    number: str | None = Field(description="Its archive number, if it had one")
    title: str = Field(description="What it was")
    category: str = Field(description="Its category")
    file_id: UUID = Field(description="The file it was in")
    approved_by: str = Field(description="User id of management who approved the list")
    witness: str = Field(description="Who witnessed the destruction")
    method: str = Field(description="How it was destroyed (shredded, deleted, ...)")
    sha256: str | None = Field(description="The SHA-256 of the document deleted, if any")


# --- destruction lists ------------------------------------------------------------------------


class DestructionListed(PublicEvent):
    """The archivist listed records whose retention is over for destruction."""

    record_ids: list[UUID] = Field(description="The records listed")
    reason: str = Field(description="Why they are of no further value")
    listed_on: date = Field(description="The day they were listed")


class DestructionApproved(PublicEvent):
    """Management approved the destruction list (never who drew it up)."""

    record_ids: list[UUID] = Field(description="The records approved for destruction")


class DestructionCarriedOut(PublicEvent):
    """The archivist destroyed the listed records before a witness."""

    witness: str = Field(description="Who witnessed it")
    method: str = Field(description="How")
    destroyed: list[UUID] = Field(description="The records destroyed")


CONTRACT = EventContract(
    "records",
    {
        File.Opened: FileOpened,
        File.ActiveLifeEnded: FileActiveLifeEnded,
        File.ActiveLifeResumed: FileActiveLifeResumed,
        File.RetentionExpired: FileRetentionExpired,
        Record.Filed: RecordFiled,
        Record.Retitled: RecordRetitled,
        Record.Located: RecordLocated,
        Record.ContentAttached: DocumentUploaded,
        Record.ReturnedToFiler: RecordReturnedToFiler,
        Record.Resubmitted: RecordResubmitted,
        Record.Numbered: RecordNumbered,
        Record.Bound: RecordBound,
        Record.LoanApplied: LoanApplied,
        Record.LoanApproved: LoanApproved,
        Record.LoanRefused: LoanRefused,
        Record.Lent: RecordLent,
        Record.Returned: RecordReturned,
        Record.LoanClosedAsLostOrDamaged: LoanClosedAsLostOrDamaged,
        Record.LoanOverdue: LoanOverdue,
        Record.HoldPlaced: LegalHoldPlaced,
        Record.HoldReleased: LegalHoldReleased,
        Record.Destroyed: RecordDestroyed,
        DestructionList.Proposed: DestructionListed,
        DestructionList.Approved: DestructionApproved,
        DestructionList.CarriedOut: DestructionCarriedOut,
    },
)
