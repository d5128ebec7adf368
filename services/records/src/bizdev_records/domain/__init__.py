"""Records (REGULATIONS §9): files opened by the other services' events, the records filed in
them, the counters that number them, and the lists they are destroyed under. One module per
aggregate; the record's is a package, its commands by part of the regulations (archiving,
borrowing, destruction) beside it, and `values` what it and the API and views speak of.

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history."""

from __future__ import annotations

from bizdev_records.domain.destruction import DestructionList, ListState
from bizdev_records.domain.file import File
from bizdev_records.domain.record import Record
from bizdev_records.domain.record.values import (
    Content,
    Loan,
    LoanLoss,
    LoanState,
    Medium,
    RecordState,
    ReportedBy,
)
from bizdev_records.domain.scheme import (
    PREFIX,
    SERIES,
    Category,
    archive_number,
    years_after,
)
from bizdev_records.domain.series import NumberSeries

__all__ = [
    "PREFIX",
    "SERIES",
    "Category",
    "Content",
    "DestructionList",
    "File",
    "ListState",
    "Loan",
    "LoanLoss",
    "LoanState",
    "Medium",
    "NumberSeries",
    "Record",
    "RecordState",
    "ReportedBy",
    "archive_number",
    "years_after",
]
