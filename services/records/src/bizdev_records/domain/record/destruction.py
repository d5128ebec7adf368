"""What a record's destruction asks of it (REGULATIONS 9.4): a record under legal hold, or
still lent, or lost, is not destroyed; one destroyed under an approved list, before a
witness, keeps what, when, who approved and who witnessed in its history.

These are the commands of the Record aggregate; their events, and what each changes, are
declared in the Record class itself, because the library names a stored event by the class
that declares it (`bizdev_records.domain.record:Record.Destroyed`)."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)

from bizdev_records.domain.record.values import Content, Loan, LoanState, RecordState
from bizdev_records.domain.scheme import Category


class DisposedRecord(Protocol):
    """What the legal hold's and the destruction's commands use of their Record."""

    state: RecordState
    number: str | None
    title: str
    category: Category
    file_id: UUID
    content: Content | None
    legal_hold: str | None
    loan: Loan | None

    @property
    def id(self) -> UUID: ...

    def _hold(self, by: str, reason: str) -> None: ...

    def _release(self, by: str, reason: str) -> None: ...

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
    ) -> None: ...


class Destruction:
    """What a legal hold and a destruction do with a record (mixed into Record)."""

    def place_hold(self: DisposedRecord, actor: Actor, reason: str) -> None:
        """A record under legal hold (litigation, audit, investigation) is not destroyed."""
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST, Role.MANAGEMENT)
        require_text("reason", reason)
        if self.state == RecordState.DESTROYED:
            raise InvalidTransition("the record is destroyed")
        if self.legal_hold is not None:
            raise InvalidTransition("the record is already on legal hold")
        self._hold(by=actor.user_id, reason=reason)

    def release_hold(self: DisposedRecord, actor: Actor, reason: str) -> None:
        require_acting(actor)
        require_role(actor, Role.ARCHIVIST, Role.MANAGEMENT)
        require_text("reason", reason)
        if self.legal_hold is None:
            raise InvalidTransition("the record is not on legal hold")
        self._release(by=actor.user_id, reason=reason)

    def may_be_destroyed(self: DisposedRecord) -> None:
        """Refuses a record that must not be destroyed now, whatever list it is on."""
        _require_destroyable(self)

    def destroy(
        self: DisposedRecord,
        actor: Actor,
        *,
        list_id: UUID,
        approved_by: str | None,
        witness: str,
        method: str,
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
        _require_destroyable(self)
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


def _require_destroyable(record: DisposedRecord) -> None:
    if record.state == RecordState.DESTROYED:
        raise InvalidTransition(f"record {record.number or record.id} is already destroyed")
    if record.state == RecordState.LOST:
        # Nothing is there to destroy: its loss stays on record instead.
        raise InvalidTransition(f"record {record.number or record.id} is lost")
    if record.legal_hold is not None:
        raise InvalidTransition(
            f"record {record.number or record.id} is on legal hold: {record.legal_hold}"
        )
    if record.loan is not None and record.loan.state == LoanState.LENT:
        raise InvalidTransition(f"record {record.number or record.id} is out on loan")
