"""The archivist's review of a record (REGULATIONS 9.2): returned to its filer with what to
correct and filed again, or accepted: classified, numbered, then bound.

These are the commands of the Record aggregate; their events, and what each changes, are
declared in the Record class itself, because the library names a stored event by the class
that declares it (`bizdev_records.domain.record:Record.Numbered`)."""

from __future__ import annotations

from typing import Any, Protocol

from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)

from bizdev_records.domain.record.values import Content, Medium, RecordState
from bizdev_records.domain.scheme import SERIES, Category, archive_number
from bizdev_records.domain.series import NumberSeries


class ArchivedRecord(Protocol):
    """What the review's commands use of their Record."""

    state: RecordState
    filed_by: str | None
    category: Category
    medium: Medium
    content: Content | None
    document: dict[str, Any] | None
    location: dict[str, str] | None
    number: str | None

    def _return_to_filer(self, by: str, filer: str, reason: str) -> None: ...

    def _resubmit(self, by: str, note: str) -> None: ...

    def _number(
        self, by: str, number: str, classification: str, series: str, year: int, sequence: int
    ) -> None: ...

    def _bind(self, by: str, number: str, sha256: str | None) -> None: ...


class Archiving:
    """What the archivist's review does with a record (mixed into Record)."""

    def return_to_filer(self: ArchivedRecord, actor: Actor, reason: str) -> None:
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

    def resubmit(self: ArchivedRecord, actor: Actor, note: str) -> None:
        """The filer files the returned material again, corrected (title, location, upload)
        or with a `note` on why it stands as it is; the archivist reviews it anew."""
        require_acting(actor)
        if actor.user_id != self.filed_by:
            raise Forbidden("only who filed the record files it again")
        if self.state != RecordState.RETURNED_TO_FILER:
            raise InvalidTransition(f"the record is {self.state}, not returned to its filer")
        self._resubmit(by=actor.user_id, note=note)

    def assign_number(
        self: ArchivedRecord, actor: Actor, series: str, numbers: NumberSeries
    ) -> str:
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

    def bind(self: ArchivedRecord, actor: Actor) -> None:
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
