"""Read models of the records service, fed by its own topic: one projection per record
family, each with its own tables, so that a changed table rebuilds only its family.

- `files`: the files, their active life and retention;
- `records`: the catalogue of records, their loans, and the destruction record of each
  record destroyed (kept for good);
- `destruction_lists`: the destruction lists.

Each family keeps the inbox items and deadlines its records arm, in the transaction of its
rows, and follows its record row's version guard (bizdev_common.inbox and .projector say
how, and why a family only creates the inbox's table)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bizdev_common.projector import Projection

from bizdev_records.projections.destruction_lists import DestructionLists
from bizdev_records.projections.files import Files
from bizdev_records.projections.records import Records

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

PROJECTIONS: Sequence[Callable[[str], Projection]] = (Files, Records, DestructionLists)
"""The service's read models, for its wiring."""

__all__ = ["INBOX_KINDS", "PROJECTIONS", "DestructionLists", "Files", "Records"]
