"""A record (檔案): one document filed in a file, physical (where it is kept) or electronic
(an uploaded document, or the document another service's event carries). The archivist
reviews it and decides: accepts it (classifies and numbers it, then binds it; after binding
its content never changes) or returns it to its filer with a reason, who corrects it and
files it again. It is lent one loan at a time; a loan ends with the record taken back, or
closed as lost or damaged. It may be put on legal hold, and is destroyed at the end of its
retention under an approved destruction list, its destruction record kept for good."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.days import decided_in_utc
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Role,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_records.domain.record.archiving import Archiving
from bizdev_records.domain.record.borrowing import Borrowing
from bizdev_records.domain.record.destruction import Destruction
from bizdev_records.domain.record.values import (
    Content,
    Loan,
    LoanLoss,
    LoanState,
    Medium,
    RecordState,
)
from bizdev_records.domain.scheme import Category

_FILED = uuid5(NAMESPACE_URL, "urn:bizdev:records:filed-from")


class Record(Archiving, Borrowing, Destruction, Aggregate):
    @staticmethod
    def filed_from(source_event_id: str) -> UUID:
        """The record another service's event files: one per event, however often it is
        delivered."""
        return uuid5(_FILED, source_event_id)

    class Filed(Aggregate.Created):
        file_id: UUID
        category: str
        subject_id: UUID
        title: str
        source: str
        source_event_id: str | None
        department: str
        medium: str
        document: dict[str, Any] | None
        filed_by: str | None

    @event(Filed)
    def __init__(
        self,
        file_id: UUID,
        category: str,
        subject_id: UUID,
        title: str,
        source: str,
        source_event_id: str | None,
        department: str,
        medium: str,
        document: dict[str, Any] | None,
        filed_by: str | None,
    ) -> None:
        self.file_id = file_id
        self.category = Category(category)
        self.subject_id = subject_id
        self.title = title
        self.source = source
        self.department = department
        self.medium = Medium(medium)
        self.document = document
        self.filed_by = filed_by
        self.state = RecordState.FILED
        self.location: dict[str, str] | None = None
        self.content: Content | None = None
        self.number: str | None = None
        self.series: str | None = None
        self.legal_hold: str | None = None
        self.loan: Loan | None = None
        self.returned_reason: str | None = None
        self.damage: str | None = None

    @classmethod
    def add(
        cls,
        actor: Actor,
        *,
        file_id: UUID,
        category: Category,
        subject_id: UUID,
        title: str,
        medium: Medium,
        file_department: str,
    ) -> Record:
        """A team files its own item into a file of its department (the archivist into
        any)."""
        require_acting(actor)
        if not (actor.has(Role.ARCHIVIST) or actor.department == file_department):
            raise Forbidden("a team files its items in its own department's files")
        require_text("title", title)
        return cls(
            file_id=file_id,
            category=category.value,
            subject_id=subject_id,
            title=title,
            source="team",
            source_event_id=None,
            department=file_department,
            medium=medium.value,
            document=None,
            filed_by=actor.user_id,
        )

    # --- before binding --------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self.state in (RecordState.DESTROYED, RecordState.LOST):
            raise InvalidTransition(f"the record is {self.state}")
        if self.state == RecordState.BOUND:
            raise InvalidTransition("the record is bound: its content cannot change")

    def _require_filer_or_archivist(self, actor: Actor) -> None:
        """Who filed it changes it until the archivist accepts and numbers it (having reviewed
        it as it was), and again when it is returned to them; from numbering on only the
        archivist, until it is bound."""
        require_acting(actor)
        if actor.has(Role.ARCHIVIST):
            return
        if actor.user_id != self.filed_by:
            raise Forbidden("only who filed the record, or the archivist, may change it")
        if self.state == RecordState.NUMBERED:
            raise InvalidTransition("the record is reviewed and numbered: ask the archivist")

    class Retitled(Aggregate.Event):
        by: str
        title: str

    def retitle(self, actor: Actor, title: str) -> None:
        self._require_filer_or_archivist(actor)
        self._require_open()
        require_text("title", title)
        self._retitle(by=actor.user_id, title=title)

    @event(Retitled)
    def _retitle(self, by: str, title: str) -> None:
        self.title = title

    class Located(Aggregate.Event):
        by: str
        room: str
        shelf: str
        box: str

    def locate(self, actor: Actor, *, room: str, shelf: str, box: str) -> None:
        """Where a physical record is kept. Before binding its filer or the archivist; after,
        only the archivist (moving the box changes where it is, not what it is)."""
        if self.medium != Medium.PHYSICAL:
            raise InvalidTransition("only a physical record has a location")
        if self.state in (RecordState.DESTROYED, RecordState.LOST):
            raise InvalidTransition(f"the record is {self.state}")
        if self.state == RecordState.BOUND:
            require_acting(actor)
            require_role(actor, Role.ARCHIVIST)
        else:
            self._require_filer_or_archivist(actor)
        for name, value in (("room", room), ("shelf", shelf), ("box", box)):
            require_text(name, value)
        self._locate(by=actor.user_id, room=room, shelf=shelf, box=box)

    @event(Located)
    def _locate(self, by: str, room: str, shelf: str, box: str) -> None:
        self.location = {"room": room, "shelf": shelf, "box": box}

    def may_attach(self, actor: Actor) -> None:
        """Whether `actor` may upload this record's document now (checked before the upload
        is read, and again when it is attached)."""
        self._require_filer_or_archivist(actor)
        self._require_open()
        if self.medium != Medium.ELECTRONIC:
            raise InvalidTransition("a physical record has no uploaded document")

    class ContentAttached(Aggregate.Event):
        by: str
        content_id: UUID
        size: int
        sha256: str
        media_type: str
        filename: str
        replaces: UUID | None

    def attach(self, actor: Actor, content: Content) -> UUID | None:
        """The uploaded document becomes the record's content; returns the content it
        replaces, whose bytes are no longer needed."""
        self.may_attach(actor)
        replaced = None if self.content is None else self.content.content_id
        self._attach(
            by=actor.user_id,
            content_id=content.content_id,
            size=content.size,
            sha256=content.sha256,
            media_type=content.media_type,
            filename=content.filename,
            replaces=replaced,
        )
        return replaced

    @event(ContentAttached)
    def _attach(
        self,
        by: str,
        content_id: UUID,
        size: int,
        sha256: str,
        media_type: str,
        filename: str,
        replaces: UUID | None,
    ) -> None:
        self.content = Content(content_id, size, sha256, media_type, filename)

    def may_read_content(self, actor: Actor) -> Content:
        """Who may download the uploaded document: the archivist, management and the auditor;
        the record's own department; a borrower while it is lent to them."""
        if self.state == RecordState.DESTROYED:
            raise InvalidTransition("the record is destroyed: its document is gone")
        if self.content is None:
            raise InvalidTransition("the record has no uploaded document")
        lent_to_actor = (
            self.loan is not None
            and self.loan.state == LoanState.LENT
            and self.loan.borrower == actor.user_id
        )
        if not (
            actor.has(Role.ARCHIVIST)
            or actor.has(Role.MANAGEMENT)
            or actor.has(Role.AUDITOR)
            or actor.department == self.department
            or lent_to_actor
        ):
            raise Forbidden(
                "the document is read by its department, the archivist, management, the "
                "auditor, or whoever it is lent to"
            )
        return self.content

    # --- review: its commands are in archiving.py ------------------------------------------------

    class ReturnedToFiler(Aggregate.Event):
        by: str
        filer: str
        reason: str

    @event(ReturnedToFiler)
    def _return_to_filer(self, by: str, filer: str, reason: str) -> None:
        self.state = RecordState.RETURNED_TO_FILER
        self.returned_reason = reason

    class Resubmitted(Aggregate.Event):
        by: str
        note: str

    @event(Resubmitted)
    def _resubmit(self, by: str, note: str) -> None:
        self.state = RecordState.FILED
        self.returned_reason = None

    # --- archiving: its commands are in archiving.py ---------------------------------------------

    class Numbered(Aggregate.Event):
        by: str
        number: str
        classification: str
        series: str
        year: int
        sequence: int

    @event(Numbered)
    def _number(
        self, by: str, number: str, classification: str, series: str, year: int, sequence: int
    ) -> None:
        self.number = number
        self.series = series
        self.state = RecordState.NUMBERED

    class Bound(Aggregate.Event):
        by: str
        number: str
        sha256: str | None

    @event(Bound)
    def _bind(self, by: str, number: str, sha256: str | None) -> None:
        self.state = RecordState.BOUND

    # --- borrowing: its commands are in borrowing.py ---------------------------------------------

    class LoanApplied(Aggregate.Event):
        by: str
        loan_id: UUID
        borrower: str
        department: str
        purpose: str
        due_on: date
        number: str
        approver: str

    @event(LoanApplied)
    def _apply(
        self,
        by: str,
        loan_id: UUID,
        borrower: str,
        department: str,
        purpose: str,
        due_on: date,
        number: str,
        approver: str,
    ) -> None:
        self.loan = Loan(
            loan_id, borrower, department, purpose, due_on, LoanState.APPLIED, approver
        )

    class LoanApproved(Aggregate.Event):
        by: str
        loan_id: UUID
        borrower: str
        approved_as: str

    @event(LoanApproved)
    def _approve(self, by: str, loan_id: UUID, borrower: str, approved_as: str) -> None:
        assert self.loan is not None
        self.loan.state = LoanState.APPROVED

    class LoanRefused(Aggregate.Event):
        by: str
        loan_id: UUID
        borrower: str
        reason: str

    @event(LoanRefused)
    def _refuse(self, by: str, loan_id: UUID, borrower: str, reason: str) -> None:
        self.loan = None

    class Lent(Aggregate.Event):
        by: str
        loan_id: UUID
        borrower: str
        department: str
        number: str
        lent_on: date
        due_on: date

    @event(Lent)
    def _lend(
        self,
        by: str,
        loan_id: UUID,
        borrower: str,
        department: str,
        number: str,
        lent_on: date,
        due_on: date,
    ) -> None:
        assert self.loan is not None
        self.loan.state = LoanState.LENT

    class Returned(Aggregate.Event):
        by: str
        loan_id: UUID
        borrower: str
        returned_on: date
        intact: bool
        condition: str
        late: bool

    @event(Returned)
    def _return(
        self,
        by: str,
        loan_id: UUID,
        borrower: str,
        returned_on: date,
        intact: bool,
        condition: str,
        late: bool,
    ) -> None:
        self.loan = None

    class LoanClosedAsLostOrDamaged(Aggregate.Event):
        by: str
        loan_id: UUID
        borrower: str
        department: str
        number: str
        outcome: str
        reported_by: str
        account: str
        closed_on: date
        late: bool

    @event(LoanClosedAsLostOrDamaged)
    def _close_lost_or_damaged(
        self,
        by: str,
        loan_id: UUID,
        borrower: str,
        department: str,
        number: str,
        outcome: str,
        reported_by: str,
        account: str,
        closed_on: date,
        late: bool,
    ) -> None:
        self.loan = None
        if outcome == LoanLoss.LOST:
            self.state = RecordState.LOST
        else:
            self.damage = account

    class LoanOverdue(Aggregate.Event):
        class_version = 2
        loan_id: UUID
        borrower: str
        department: str
        number: str
        due_on: date
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    @event(LoanOverdue)
    def _overdue(
        self,
        loan_id: UUID,
        borrower: str,
        department: str,
        number: str,
        due_on: date,
        time_zone: str,
    ) -> None:
        assert self.loan is not None
        self.loan.overdue_raised = True

    # --- legal hold and destruction: their commands are in destruction.py ------------------------

    class HoldPlaced(Aggregate.Event):
        by: str
        reason: str

    @event(HoldPlaced)
    def _hold(self, by: str, reason: str) -> None:
        self.legal_hold = reason

    class HoldReleased(Aggregate.Event):
        by: str
        reason: str

    @event(HoldReleased)
    def _release(self, by: str, reason: str) -> None:
        self.legal_hold = None

    class Destroyed(Aggregate.Event):
        by: str
        list_id: UUID
        number: str | None
        title: str
        category: str
        file_id: UUID
        approved_by: str
        witness: str
        method: str
        content_id: UUID | None
        sha256: str | None

    @event(Destroyed)
    def _destroy(
        self,
        by: str,
        list_id: UUID,
        number: str | None,
        title: str,
        category: str,
        file_id: UUID,
        approved_by: str,
        witness: str,
        method: str,
        content_id: UUID | None,
        sha256: str | None,
    ) -> None:
        self.state = RecordState.DESTROYED
        self.document = None
        self.loan = None
