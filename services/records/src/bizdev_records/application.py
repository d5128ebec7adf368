"""The records service's commands: load, decide (the aggregates do), save."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from bizdev_common.days import company_day
from bizdev_common.domain import Actor, InvalidTransition, RuleViolation
from bizdev_common.eventstore import CommandResult, ServiceApplication, VersionConflict
from bizdev_common.scheduler import clock_for
from eventsourcing.utils import Environment, EnvType

from bizdev_records.domain import (
    Content,
    DestructionList,
    File,
    LoanLoss,
    Medium,
    NumberSeries,
    Record,
    ReportedBy,
)
from bizdev_records.settings import RecordsSettings

NUMBERING_ATTEMPTS = 50
"""Concurrent numberings in one category conflict on its counter and are retried: each
attempt but one per round saves, so 50 covers far more archivists than an archive has."""


NUMBERS_SNAPSHOT_INTERVAL = 10
"""A category's counter takes an event per record numbered; loading it from a snapshot every
ten keeps each numbering's read short however many records a year brings."""


class RecordsApplication(ServiceApplication):
    name = "records"
    snapshotting_intervals = {NumberSeries: NUMBERS_SNAPSHOT_INTERVAL}

    def __init__(self, settings: RecordsSettings) -> None:
        super().__init__(settings)
        self.records_settings = settings
        self.clock = clock_for(settings)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        environment = super().construct_env(name, env)
        environment["IS_SNAPSHOTTING_ENABLED"] = "y"  # the counters' snapshots
        return environment

    def today(self) -> date:
        return company_day(self.clock.now())

    # --- files and records -------------------------------------------------------------------

    def open_marketing_file(self, actor: Actor, subject_id: UUID, title: str) -> CommandResult:
        file = File.open_marketing(actor, subject_id, title)
        if self.find(File, file.id) is not None:
            raise InvalidTransition(f"there is a marketing file of {subject_id} already")
        return self.commit(file)

    def close_file(
        self,
        actor: Actor,
        file_id: UUID,
        expected_version: int | None,
        reason: str,
        ended_on: date | None = None,
    ) -> CommandResult:
        """`ended_on`: the day the file's active life ended, today when not said."""
        file = self.load(File, file_id, expected_version)
        today = self.today()
        years = self.records_settings.years_for(file.category)
        file.close(actor, today, reason, years, ended_on or today)
        return self.commit(file)

    def file_item(self, actor: Actor, file_id: UUID, title: str, medium: Medium) -> CommandResult:
        file = self.find(File, file_id)
        if file is None:
            raise RuleViolation("file_id", f"no file {file_id}")
        record = Record.add(
            actor,
            file_id=file.id,
            category=file.category,
            subject_id=file.subject_id,
            title=title,
            medium=medium,
            file_department=file.department,
        )
        return self.commit(record)

    def may_attach(self, actor: Actor, record_id: UUID, expected_version: int | None) -> None:
        """Refuses an upload before its bytes are read."""
        self.load(Record, record_id, expected_version).may_attach(actor)

    def attach(
        self, actor: Actor, record_id: UUID, expected_version: int | None, content: Content
    ) -> tuple[CommandResult, UUID | None]:
        record = self.load(Record, record_id, expected_version)
        replaced = record.attach(actor, content)
        return self.commit(record), replaced

    def content_of(self, actor: Actor, record_id: UUID) -> Content:
        return self.load(Record, record_id).may_read_content(actor)

    # --- review ------------------------------------------------------------------------------

    # --- archiving ---------------------------------------------------------------------------

    def assign_number(
        self, actor: Actor, record_id: UUID, expected_version: int | None, series: str
    ) -> tuple[CommandResult, str]:
        """The record's number comes from its category's counter for this year, saved with
        it: a conflict on the counter (someone numbered meanwhile) is retried, one on the
        record is the caller's (409)."""
        for attempt in range(NUMBERING_ATTEMPTS):
            record = self.load(Record, record_id, expected_version)
            year = self.today().year
            numbers = self.find(NumberSeries, NumberSeries.create_id(record.category, year))
            if numbers is None:
                numbers = NumberSeries(category=record.category.value, year=year)
            number = record.assign_number(actor, series, numbers)
            try:
                return self.commit(record, numbers), number
            except VersionConflict:
                if attempt == NUMBERING_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))  # noqa: S311 - jitter
        raise AssertionError("unreachable")

    # --- borrowing ---------------------------------------------------------------------------

    def _archivist_approves(self, record: Record) -> bool:
        return record.category in self.records_settings.archivist_approves_loans

    def apply_for_loan(
        self,
        actor: Actor,
        record_id: UUID,
        expected_version: int | None,
        *,
        purpose: str,
        due_on: date,
    ) -> tuple[CommandResult, UUID]:
        record = self.load(Record, record_id, expected_version)
        loan_id = record.apply_for_loan(
            actor, purpose, due_on, self.today(), self._archivist_approves(record)
        )
        return self.commit(record), loan_id

    def lend(
        self, actor: Actor, record_id: UUID, expected_version: int | None, loan_id: UUID
    ) -> CommandResult:
        record = self.load(Record, record_id, expected_version)
        record.lend(actor, loan_id, self.today())
        return self.commit(record)

    def take_back(
        self,
        actor: Actor,
        record_id: UUID,
        expected_version: int | None,
        loan_id: UUID,
        *,
        intact: bool,
        condition: str,
    ) -> CommandResult:
        record = self.load(Record, record_id, expected_version)
        record.take_back(actor, loan_id, intact=intact, condition=condition, today=self.today())
        return self.commit(record)

    def close_loan_lost_or_damaged(
        self,
        actor: Actor,
        record_id: UUID,
        expected_version: int | None,
        loan_id: UUID,
        *,
        outcome: LoanLoss,
        reported_by: ReportedBy,
        account: str,
    ) -> CommandResult:
        record = self.load(Record, record_id, expected_version)
        record.close_loan_lost_or_damaged(
            actor,
            loan_id,
            outcome=outcome,
            reported_by=reported_by,
            account=account,
            today=self.today(),
        )
        return self.commit(record)

    # --- retention and destruction -----------------------------------------------------------

    def propose_destruction(
        self, actor: Actor, record_ids: Sequence[UUID], reason: str
    ) -> CommandResult:
        """Lists records for destruction: each one's retention over (its file's active life
        ended long enough ago), none on legal hold or out on loan."""
        today = self.today()
        for record_id in record_ids:
            record = self.find(Record, record_id)
            if record is None:
                raise RuleViolation("record_ids", f"no record {record_id}")
            file = self.find(File, record.file_id)
            if file is None or not file.retention_over(today):
                raise RuleViolation(
                    "record_ids", f"record {record.number or record_id}'s retention is not over"
                )
            record.may_be_destroyed()
        return self.commit(DestructionList.propose(actor, record_ids, reason, today))

    def carry_out_destruction(
        self,
        actor: Actor,
        list_id: UUID,
        expected_version: int | None,
        *,
        witness: str,
        method: str,
    ) -> tuple[CommandResult, list[UUID]]:
        """Destroys every record of the approved list in one transaction (all or none: a
        record put on hold or lent since the approval stops it); returns the contents whose
        bytes are to be deleted."""
        listed = self.load(DestructionList, list_id, expected_version)
        approved_by = listed.carry_out(actor, witness, method)
        records = [self.load(Record, record_id) for record_id in listed.record_ids]
        contents = [
            record.destroy(
                actor, list_id=list_id, approved_by=approved_by, witness=witness, method=method
            )
            for record in records
        ]
        result = self.commit(listed, *records)
        return result, [c for c in contents if c is not None]
