"""What a record, the API and the views speak of: a record's states and media, a loan and its
states, how a loan ends when the record does not come back whole, and an uploaded document
as stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID


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
