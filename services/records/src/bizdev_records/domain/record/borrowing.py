"""Borrowing a record (REGULATIONS 9.3): applied for, approved (or refused), lent, and taken
back by its due date, or closed as lost or damaged; one loan at a time, flagged once overdue.

These are the commands of the Record aggregate about its loans; their events, and what each
changes, are declared in the Record class itself, because the library names a stored event by
the class that declares it (`bizdev_records.domain.record:Record.LoanApplied`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from uuid import UUID, uuid4

from bizdev_common.days import end_of, zone_name
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

from bizdev_records.domain.record.values import (
    Loan,
    LoanLoss,
    LoanState,
    Medium,
    RecordState,
    ReportedBy,
)


class LentRecord(Protocol):
    """What the loans' commands use of their Record."""

    state: RecordState
    medium: Medium
    number: str | None
    loan: Loan | None

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
    ) -> None: ...

    def _approve(self, by: str, loan_id: UUID, borrower: str, approved_as: str) -> None: ...

    def _refuse(self, by: str, loan_id: UUID, borrower: str, reason: str) -> None: ...

    def _lend(
        self,
        by: str,
        loan_id: UUID,
        borrower: str,
        department: str,
        number: str,
        lent_on: date,
        due_on: date,
    ) -> None: ...

    def _return(
        self,
        by: str,
        loan_id: UUID,
        borrower: str,
        returned_on: date,
        intact: bool,
        condition: str,
        late: bool,
    ) -> None: ...

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
    ) -> None: ...

    def _overdue(
        self,
        loan_id: UUID,
        borrower: str,
        department: str,
        number: str,
        due_on: date,
        time_zone: str,
    ) -> None: ...


class Borrowing:
    """What borrowing does with a record (mixed into Record)."""

    def apply_for_loan(
        self: LentRecord,
        actor: Actor,
        purpose: str,
        due_on: date,
        today: date,
        archivist_approves: bool,
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

    def approve_loan(self: LentRecord, actor: Actor, loan_id: UUID) -> None:
        """The head of the borrower's department approves borrowing for their department
        (the role table), or the archivist who keeps the archive; for the categories
        configured so, only the archivist. Never the borrower."""
        require_acting(actor)
        loan = _loan_of(self, loan_id)
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

    def refuse_loan(self: LentRecord, actor: Actor, loan_id: UUID, reason: str) -> None:
        require_acting(actor)
        loan = _loan_of(self, loan_id)
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

    def lend(self: LentRecord, actor: Actor, loan_id: UUID, today: date) -> None:
        """Only the archivist hands a record out, and only on an approved loan."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        loan = _loan_of(self, loan_id)
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

    def take_back(
        self: LentRecord, actor: Actor, loan_id: UUID, *, intact: bool, condition: str, today: date
    ) -> None:
        """The archivist takes the record back and checks it is whole and unaltered; a record
        not intact says how (`condition`)."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST)
        loan = _loan_of(self, loan_id)
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

    def close_loan_lost_or_damaged(
        self: LentRecord,
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
        loan = _loan_of(self, loan_id)
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

    def loan_overdue(self: LentRecord, loan_id: UUID, now: datetime) -> None:
        """The deadline check: a record still lent when its due date is over, once."""
        loan = _loan_of(self, loan_id)
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


def _loan_of(record: LentRecord, loan_id: UUID) -> Loan:
    if record.loan is None or record.loan.loan_id != loan_id:
        raise RuleViolation("loan_id", f"no open loan {loan_id} of this record")
    return record.loan
