"""What records does on other services' events, and on deadlines passing.

It reads the projects and crm topics as a tolerant reader: its own model of just the events
and fields it files, named like the upstream events. Files open by themselves (a project
opened, a customer registered, a contract signed, an application reviewed); the documents
those services produce are filed in them as records; the events that end a subject's active
life start its file's retention. Every record filed from an event is keyed by that event's
id, so a redelivery files nothing twice.

Customer files carry the customer's id and what crm publishes about the customer, never its
contact persons' personal data (crm publishes none of it; nothing here asks for it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from bizdev_common.contract import PublicEvent
from bizdev_common.days import company_day, zone_name
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.reactions import Reaction
from bizdev_common.scheduler import DeadlineCheck
from eventsourcing.domain import Aggregate

from bizdev_records.application import RecordsApplication
from bizdev_records.domain import Category, File, Medium, Record
from bizdev_records.upstream import (
    CRM,
    PROJECTS,
    ApplicationApproved,
    ApplicationRejected,
    ApplicationReviewed,
    ComplaintClosed,
    ContractCompleted,
    ContractSigned,
    ContractTerminated,
    CustomerRegistered,
    CustomerStatusChanged,
    MeetingMinutesRecorded,
    PlanApproved,
    ProjectClosed,
    ProjectOpened,
)

# --- projects ---------------------------------------------------------------------------------


# --- crm --------------------------------------------------------------------------------------


_ENVELOPE_FIELDS = {"aggregate_id", "version", "occurred_at", "by"}


def _document(event: PublicEvent) -> dict[str, Any]:
    """What the producing service published of the document, as it published it."""
    return {"by": event.by, **event.model_dump(mode="json", exclude=_ENVELOPE_FIELDS)}


def _source(envelope: Envelope) -> str:
    """`projects.ProjectOpened` from `bizdev.projects.ProjectOpened.v1`."""
    return ".".join(envelope.type.split(".")[1:3])


@dataclass(frozen=True)
class Subject:
    """What a file is about: its category and subject, and the department it belongs to."""

    category: Category
    subject_id: UUID
    department: str

    @property
    def file_id(self) -> UUID:
        return File.create_id(self.category.value, self.subject_id)


def _filed(
    app: RecordsApplication, envelope: Envelope, event: PublicEvent, subject: Subject, title: str
) -> Record | None:
    """The record of the document `event` carries, filed in the subject's file; None when it
    was filed before."""
    record_id = Record.filed_from(envelope.id)
    if app.find(Record, record_id) is not None:
        return None
    if not subject.department:  # the event does not say; the file, if open already, does
        file = app.find(File, subject.file_id)
        if file is not None:
            subject = Subject(subject.category, subject.subject_id, file.department)
    record: Record = Record._create(  # the id names the upstream event
        Record.Filed,
        id=record_id,
        file_id=subject.file_id,
        category=subject.category.value,
        subject_id=subject.subject_id,
        title=title[:200],
        source=_source(envelope),
        source_event_id=envelope.id,
        department=subject.department,
        medium=Medium.ELECTRONIC.value,
        document=_document(event),
        filed_by=None,
    )
    return record


def _opened(
    app: RecordsApplication, envelope: Envelope, subject: Subject, title: str
) -> File | None:
    if app.find(File, subject.file_id) is not None:
        return None
    return File(
        category=subject.category.value,
        subject_id=subject.subject_id,
        title=title[:200],
        department=subject.department,
        source=_source(envelope),
        opened_by=None,
    )


def _ended(app: RecordsApplication, subject: Subject, on: date, reason: str) -> File | None:
    file = app.find(File, subject.file_id)
    if file is None:
        return None
    years = app.records_settings.years_for(subject.category)
    return file if file.end_active_life(on, reason[:1000], years) else None


def _present(*aggregates: Aggregate | None) -> Sequence[Aggregate]:
    return tuple(a for a in aggregates if a is not None)


class ProjectFilesReaction(Reaction):
    """Projects' events open project files (and application files, where review opinions
    are filed before a project exists), file their documents, and end a project file's
    active life when the project closes."""

    name = "project_files"
    upstream = (PROJECTS,)

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        assert isinstance(app, RecordsApplication)
        on = company_day(event.occurred_at)
        match event:
            case ProjectOpened():
                project = Subject(Category.PROJECT, event.aggregate_id, event.department)
                return _present(
                    _opened(app, envelope, project, event.name),
                    _filed(app, envelope, event, project, f"Project opened: {event.name}"),
                )
            case ProjectClosed():
                project = Subject(Category.PROJECT, event.aggregate_id, event.department)
                return _present(
                    _filed(app, envelope, event, project, f"Project closed: {event.project_name}"),
                    _ended(app, project, on, f"project closed ({event.outcome})"),
                )
            case ApplicationReviewed():
                # No project exists yet: the opinion is filed in the application's own file,
                # whose active life the approval ends (the project's file takes over).
                application = Subject(Category.PROJECT, event.aggregate_id, "")
                verdict = "recommended" if event.recommend else "not recommended"
                return _present(
                    _opened(app, envelope, application, f"Application {event.aggregate_id}"),
                    _filed(app, envelope, event, application, f"Review opinion ({verdict})"),
                )
            case ApplicationApproved():
                project = Subject(Category.PROJECT, event.project_id, event.department)
                application = Subject(Category.PROJECT, event.aggregate_id, event.department)
                return _present(
                    _filed(app, envelope, event, project, f"Initiation approved: {event.title}"),
                    _ended(
                        app,
                        application,
                        on,
                        "application approved: the project's file continues it",
                    ),
                )
            case ApplicationRejected():
                # Revised and submitted again, it may still be approved: the file stays open.
                application = Subject(Category.PROJECT, event.aggregate_id, event.department)
                title = f"Initiation rejected: {event.title}"
                return _present(_filed(app, envelope, event, application, title))
            case PlanApproved():
                project = Subject(Category.PROJECT, event.project_id, event.department)
                title = f"Plan revision {event.revision} approved: {event.project_name}"
                return _present(_filed(app, envelope, event, project, title))
            case MeetingMinutesRecorded():
                project = Subject(Category.PROJECT, event.project_id, "")
                return _present(_filed(app, envelope, event, project, "Meeting minutes"))
        return ()


class CustomerFilesReaction(Reaction):
    """crm's events open customer files and contract records, file closed complaints, and
    end a file's active life: a contract completed or terminated, a customer lost (resumed
    when the customer comes back)."""

    name = "customer_files"
    upstream = (CRM,)

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        assert isinstance(app, RecordsApplication)
        match event:
            case CustomerRegistered():
                customer = Subject(Category.CUSTOMER, event.aggregate_id, event.department)
                return _present(
                    _opened(app, envelope, customer, event.name),
                    _filed(app, envelope, event, customer, f"Customer registered: {event.name}"),
                )
            case CustomerStatusChanged():
                file = app.find(File, File.create_id(Category.CUSTOMER.value, event.aggregate_id))
                if file is None:
                    return ()
                customer = Subject(Category.CUSTOMER, event.aggregate_id, file.department)
                if event.status == "lost":
                    on = company_day(event.occurred_at)
                    return _present(_ended(app, customer, on, f"customer lost: {event.reason}"))
                resumed = file.resume_active_life(f"customer {event.status} again")
                return (file,) if resumed else ()
            case ContractSigned():
                contract = Subject(Category.CONTRACT, event.aggregate_id, event.department)
                return _present(
                    _opened(app, envelope, contract, f"Contract {event.number}: {event.title}"),
                    _filed(app, envelope, event, contract, f"Signed contract {event.number}"),
                )
            case ContractCompleted():
                return self._contract_ended(
                    app, envelope, event, event.completed_on, f"Contract {event.number} completed"
                )
            case ContractTerminated():
                what = f"Contract {event.number} terminated: {event.reason}"
                return self._contract_ended(app, envelope, event, event.terminated_on, what)
            case ComplaintClosed():
                customer = Subject(Category.CUSTOMER, event.customer_id, event.department)
                title = f"Complaint closed ({event.cause})"
                return _present(_filed(app, envelope, event, customer, title))
        return ()

    @staticmethod
    def _contract_ended(
        app: RecordsApplication, envelope: Envelope, event: PublicEvent, on: date, what: str
    ) -> Sequence[Aggregate]:
        file = app.find(File, File.create_id(Category.CONTRACT.value, event.aggregate_id))
        if file is None:
            return ()  # a draft abandoned before signing has no record
        contract = Subject(Category.CONTRACT, event.aggregate_id, file.department)
        return _present(
            _filed(app, envelope, event, contract, what),
            _ended(app, contract, on, what),
        )


LOAN_DUE = "loan_due"
"""Deadline kind, armed by the views: a lent record's due date is over (item: the loan id)."""
RETENTION_OVER = "retention_over"
"""Deadline kind, armed by the views: a file's retention ends (the periodic list's trigger)."""


class LoanDueCheck(DeadlineCheck[RecordsApplication]):
    """A record still lent when its due date is over raises LoanOverdue, once."""

    kind = LOAN_DUE

    def fire(self, app: RecordsApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.act(Record, aggregate_id, None, lambda record: record.loan_overdue(UUID(item), now))


class RetentionCheck(DeadlineCheck[RecordsApplication]):
    """A file whose retention is over puts its records on the list due for destruction."""

    kind = RETENTION_OVER

    def fire(self, app: RecordsApplication, aggregate_id: UUID, item: str, now: datetime) -> None:
        app.act(
            File,
            aggregate_id,
            None,
            lambda file: file.retention_expired(company_day(now), zone_name()),
        )
