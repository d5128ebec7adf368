"""A record (檔案): one document filed in a file, physical (where it is kept) or electronic
(an uploaded document, or the document another service's event carries). The archivist
reviews it and decides: accepts it (classifies and numbers it, then binds it; after binding
its content never changes) or returns it to its filer with a reason, who corrects it and
files it again. It is lent one loan at a time; a loan ends with the record taken back, or
closed as lost or damaged. It may be put on legal hold, and is destroyed at the end of its
retention under an approved destruction list, its destruction record kept for good."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from bizdev_common.days import decided_in_utc, end_of, zone_name
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_not_self,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_records.domain.scheme import SERIES, Category, archive_number
from bizdev_records.domain.series import NumberSeries

_FILED = uuid5(NAMESPACE_URL, "urn:bizdev:records:filed-from")


class RecordState(StrEnum):
    FILED = "filed"
    RETURNED_TO_FILER = "returned_to_filer"
    NUMBERED = "numbered"
    BOUND = "bound"
    LOST = "lost"
    DESTROYED = "destroyed"


class Medium(StrEnum):
    PHYSICAL = "physical"
    ELECTRONIC = "electronic"


class LoanState(StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    LENT = "lent"


class LoanLoss(StrEnum):
    """How a loan ends when the record does not come back whole: `lost` (it is gone: it
    leaves circulation) or `damaged` (it is back but harmed: it stays, flagged)."""

    LOST = "lost"
    DAMAGED = "damaged"


class ReportedBy(StrEnum):
    """Who told the archivist of the loss or damage: the borrower owns up to it, or the
    archivist found it (a borrower may not lose a record: either way it is theirs)."""

    BORROWER = "borrower"
    ARCHIVIST = "archivist"


@dataclass
class Loan:
    loan_id: UUID
    borrower: str
    department: str
    purpose: str
    due_on: date
    state: LoanState
    approver: str
    overdue_raised: bool = False


@dataclass(frozen=True)
class Content:
    """An uploaded document as stored: its key in the content store, and what proves it."""

    content_id: UUID
    size: int
    sha256: str
    media_type: str
    filename: str


class Record(Aggregate):
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

    # --- before binding ----------------------------------------------------------------------

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

    # --- review ------------------------------------------------------------------------------

    class ReturnedToFiler(Aggregate.Event):
        by: str
        filer: str
        reason: str

    def return_to_filer(self, actor: Actor, reason: str) -> None:
        """The archivist's review refuses the material as filed: it goes back to who filed it,
        with what to correct. Accepting it is numbering it (`assign_number`)."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        if self.state != RecordState.FILED:
            raise InvalidTransition(f"the record is {self.state}: only filed material is reviewed")
        if self.filed_by is None:
            # Another service's event filed it as that service published it: nobody here can
            # correct it, so the review accepts it as it is.
            raise InvalidTransition("a record filed from another service's event has no filer")
        require_text("reason", reason)
        self._return_to_filer(by=actor.user_id, filer=self.filed_by, reason=reason)

    @event(ReturnedToFiler)
    def _return_to_filer(self, by: str, filer: str, reason: str) -> None:
        self.state = RecordState.RETURNED_TO_FILER
        self.returned_reason = reason

    class Resubmitted(Aggregate.Event):
        by: str
        note: str

    def resubmit(self, actor: Actor, note: str) -> None:
        """The filer files the returned material again, corrected (title, location, upload)
        or with a `note` on why it stands as it is; the archivist reviews it anew."""
        require_acting(actor)
        if actor.user_id != self.filed_by:
            raise Forbidden("only who filed the record files it again")
        if self.state != RecordState.RETURNED_TO_FILER:
            raise InvalidTransition(f"the record is {self.state}, not returned to its filer")
        self._resubmit(by=actor.user_id, note=note)

    @event(Resubmitted)
    def _resubmit(self, by: str, note: str) -> None:
        self.state = RecordState.FILED
        self.returned_reason = None

    # --- archiving ---------------------------------------------------------------------------

    class Numbered(Aggregate.Event):
        by: str
        number: str
        classification: str
        series: str
        year: int
        sequence: int

    def assign_number(self, actor: Actor, series: str, numbers: NumberSeries) -> str:
        """The archivist's review accepts the record: classifies it into a series of its
        category and gives it the next number of `numbers` (its category's, this year's)."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        if self.state != RecordState.FILED:
            raise InvalidTransition(f"the record is {self.state}, not filed")
        if series not in SERIES[self.category]:
            raise RuleViolation(
                "series",
                f"a {self.category} record is classified as one of "
                f"{', '.join(SERIES[self.category])}",
            )
        if numbers.category != self.category:
            raise ValueError("numbers of another category")  # the application's mistake
        if self.medium == Medium.ELECTRONIC and self.content is None and self.document is None:
            raise InvalidTransition("an electronic record is numbered once its document is here")
        if self.medium == Medium.PHYSICAL and self.location is None:
            raise InvalidTransition("a physical record is numbered once its location is known")
        sequence = numbers.take()
        number = archive_number(self.category, numbers.year, sequence)
        self._number(
            by=actor.user_id,
            number=number,
            classification=f"{self.category}/{series}",
            series=series,
            year=numbers.year,
            sequence=sequence,
        )
        return number

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

    def bind(self, actor: Actor) -> None:
        """From here on the record's content (title, document, upload) never changes."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        if self.state != RecordState.NUMBERED:
            raise InvalidTransition(f"the record is {self.state}: it is bound once numbered")
        assert self.number is not None
        self._bind(
            by=actor.user_id,
            number=self.number,
            sha256=None if self.content is None else self.content.sha256,
        )

    @event(Bound)
    def _bind(self, by: str, number: str, sha256: str | None) -> None:
        self.state = RecordState.BOUND

    # --- borrowing ---------------------------------------------------------------------------

    def _loan_of(self, loan_id: UUID) -> Loan:
        if self.loan is None or self.loan.loan_id != loan_id:
            raise RuleViolation("loan_id", f"no open loan {loan_id} of this record")
        return self.loan

    class LoanApplied(Aggregate.Event):
        by: str
        loan_id: UUID
        borrower: str
        department: str
        purpose: str
        due_on: date
        number: str
        approver: str

    def apply_for_loan(
        self, actor: Actor, purpose: str, due_on: date, today: date, archivist_approves: bool
    ) -> UUID:
        """Anyone acting may ask to borrow an archived (bound) record, with a purpose and a
        due date; one loan at a time: a record out on loan is not lent again until returned.
        Who approves is fixed now: the borrower's department head, or the archivist for the
        categories configured so."""
        require_acting(actor)
        require_text("purpose", purpose)
        if self.state != RecordState.BOUND:
            raise InvalidTransition(f"the record is {self.state}: only archived records are lent")
        if self.loan is not None:
            raise InvalidTransition(f"the record already has a loan ({self.loan.state})")
        if due_on < today:
            raise RuleViolation("due_on", f"a loan is due today ({today}) or later")
        loan_id = uuid4()
        assert self.number is not None
        self._apply(
            by=actor.user_id,
            loan_id=loan_id,
            borrower=actor.user_id,
            department=actor.department,
            purpose=purpose,
            due_on=due_on,
            number=self.number,
            approver=(Role.ARCHIVIST if archivist_approves else Role.DEPARTMENT_HEAD).value,
        )
        return loan_id

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

    def approve_loan(self, actor: Actor, loan_id: UUID) -> None:
        """The head of the borrower's department approves borrowing for their department
        (the role table), or the archivist who keeps the archive; for the categories
        configured so, only the archivist. Never the borrower."""
        require_acting(actor)
        loan = self._loan_of(loan_id)
        if loan.state != LoanState.APPLIED:
            raise InvalidTransition(f"the loan is {loan.state}")
        require_not_self(actor, loan.borrower, "approve")
        if actor.has(Role.ARCHIVIST):
            approved_as = Role.ARCHIVIST.value
        elif loan.approver == Role.ARCHIVIST:
            raise Forbidden("the archivist approves loans of this category")
        elif actor.is_head_of(loan.department):
            approved_as = Role.DEPARTMENT_HEAD.value
        else:
            raise Forbidden(
                f"only the head of {loan.department} (the borrower's department) or the "
                "archivist approves this loan"
            )
        self._approve(
            by=actor.user_id, loan_id=loan_id, borrower=loan.borrower, approved_as=approved_as
        )

    @event(LoanApproved)
    def _approve(self, by: str, loan_id: UUID, borrower: str, approved_as: str) -> None:
        assert self.loan is not None
        self.loan.state = LoanState.APPROVED

    class LoanRefused(Aggregate.Event):
        by: str
        loan_id: UUID
        borrower: str
        reason: str

    def refuse_loan(self, actor: Actor, loan_id: UUID, reason: str) -> None:
        require_acting(actor)
        loan = self._loan_of(loan_id)
        if loan.state == LoanState.LENT:
            raise InvalidTransition("the record is lent: it is returned, not refused")
        require_not_self(actor, loan.borrower, "refuse")
        require_text("reason", reason)
        if not (
            actor.has(Role.ARCHIVIST)
            or (loan.approver == Role.DEPARTMENT_HEAD and actor.is_head_of(loan.department))
        ):
            raise Forbidden("only who approves the loan, or the archivist, may refuse it")
        self._refuse(by=actor.user_id, loan_id=loan_id, borrower=loan.borrower, reason=reason)

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

    def lend(self, actor: Actor, loan_id: UUID, today: date) -> None:
        """Only the archivist hands a record out, and only on an approved loan."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        loan = self._loan_of(loan_id)
        if loan.state == LoanState.LENT:
            raise InvalidTransition("the record is already lent")
        if loan.state != LoanState.APPROVED:
            raise InvalidTransition("the loan is not approved")
        assert self.number is not None
        self._lend(
            by=actor.user_id,
            loan_id=loan_id,
            borrower=loan.borrower,
            department=loan.department,
            number=self.number,
            lent_on=today,
            due_on=loan.due_on,
        )

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

    def take_back(
        self, actor: Actor, loan_id: UUID, *, intact: bool, condition: str, today: date
    ) -> None:
        """The archivist takes the record back and checks it is whole and unaltered; a record
        not intact says how (`condition`)."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        loan = self._loan_of(loan_id)
        if loan.state != LoanState.LENT:
            raise InvalidTransition("the record is not lent")
        if not intact:
            require_text("condition", condition)
        self._return(
            by=actor.user_id,
            loan_id=loan_id,
            borrower=loan.borrower,
            returned_on=today,
            intact=intact,
            condition=condition,
            late=today > loan.due_on,
        )

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

    def close_loan_lost_or_damaged(
        self,
        actor: Actor,
        loan_id: UUID,
        *,
        outcome: LoanLoss,
        reported_by: ReportedBy,
        account: str,
        today: date,
    ) -> None:
        """The archivist closes a loan whose record does not come back whole, on the
        borrower's word or their own finding, saying what happened (`account`). A lost
        record leaves circulation for good; a damaged one is back, flagged with its damage.
        Only a physical record: an electronic one's document never leaves the archive."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        loan = self._loan_of(loan_id)
        if loan.state != LoanState.LENT:
            raise InvalidTransition("the record is not lent")
        if self.medium != Medium.PHYSICAL:
            raise InvalidTransition("an electronic record's document stays in the archive")
        require_text("account", account)
        assert self.number is not None
        self._close_lost_or_damaged(
            by=actor.user_id,
            loan_id=loan_id,
            borrower=loan.borrower,
            department=loan.department,
            number=self.number,
            outcome=outcome.value,
            reported_by=reported_by.value,
            account=account,
            closed_on=today,
            late=today > loan.due_on,
        )

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

    def loan_overdue(self, loan_id: UUID, now: datetime) -> None:
        """The deadline check: a record still lent when its due date is over, once."""
        loan = self._loan_of(loan_id)
        if loan.state != LoanState.LENT:
            raise InvalidTransition("the record is not lent")
        if loan.overdue_raised:
            raise InvalidTransition("the loan is already reported overdue")
        if now < end_of(loan.due_on):
            raise InvalidTransition(f"the loan is due on {loan.due_on}")
        assert self.number is not None
        self._overdue(
            loan_id=loan_id,
            borrower=loan.borrower,
            department=loan.department,
            number=self.number,
            due_on=loan.due_on,
            time_zone=zone_name(),
        )

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

    # --- legal hold and destruction ----------------------------------------------------------

    class HoldPlaced(Aggregate.Event):
        by: str
        reason: str

    def place_hold(self, actor: Actor, reason: str) -> None:
        """A record under legal hold (litigation, audit, investigation) is not destroyed."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST, Role.MANAGEMENT)
        require_text("reason", reason)
        if self.state == RecordState.DESTROYED:
            raise InvalidTransition("the record is destroyed")
        if self.legal_hold is not None:
            raise InvalidTransition("the record is already on legal hold")
        self._hold(by=actor.user_id, reason=reason)

    @event(HoldPlaced)
    def _hold(self, by: str, reason: str) -> None:
        self.legal_hold = reason

    class HoldReleased(Aggregate.Event):
        by: str
        reason: str

    def release_hold(self, actor: Actor, reason: str) -> None:
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST, Role.MANAGEMENT)
        require_text("reason", reason)
        if self.legal_hold is None:
            raise InvalidTransition("the record is not on legal hold")
        self._release(by=actor.user_id, reason=reason)

    @event(HoldReleased)
    def _release(self, by: str, reason: str) -> None:
        self.legal_hold = None

    def may_be_destroyed(self) -> None:
        """Refuses a record that must not be destroyed now, whatever list it is on."""
        if self.state == RecordState.DESTROYED:
            raise InvalidTransition(f"record {self.number or self.id} is already destroyed")
        if self.state == RecordState.LOST:
            # Nothing is there to destroy: its loss stays on record instead.
            raise InvalidTransition(f"record {self.number or self.id} is lost")
        if self.legal_hold is not None:
            raise InvalidTransition(
                f"record {self.number or self.id} is on legal hold: {self.legal_hold}"
            )
        if self.loan is not None and self.loan.state == LoanState.LENT:
            raise InvalidTransition(f"record {self.number or self.id} is out on loan")

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

    def destroy(
        self, actor: Actor, *, list_id: UUID, approved_by: str | None, witness: str, method: str
    ) -> UUID | None:
        """The archivist destroys the record under a destruction list management approved,
        before a witness; returns the content whose bytes are to be deleted. What was
        destroyed, when, approved by and witnessed by whom, and how, stays in its history."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        if approved_by is None:
            raise InvalidTransition("destruction needs management's approval of the list")
        require_text("witness", witness)
        require_text("method", method)
        if witness == actor.user_id:
            raise RuleViolation("witness", "the witness is someone other than the archivist")
        self.may_be_destroyed()
        content = None if self.content is None else self.content.content_id
        self._destroy(
            by=actor.user_id,
            list_id=list_id,
            number=self.number,
            title=self.title,
            category=self.category.value,
            file_id=self.file_id,
            approved_by=approved_by,
            witness=witness,
            method=method,
            content_id=content,
            sha256=None if self.content is None else self.content.sha256,
        )
        return content

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
