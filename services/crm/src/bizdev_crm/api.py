"""HTTP API of the crm service: typed routes that translate to commands and queries.

Commands answer with the record's id and new version; send that version back in `If-Match`
to refuse a stale write (409), and as `min_version` to a query to read your own write.

Contact persons' names, phones and e-mails are shown only by the customer's 360° view, opened
from the event store with the customer's key at read time, in the clear to who needs to know
and masked to everyone else (`personal_data_masked`); once the customer's personal data is
erased they read as null with `erased: true`. Histories show sealed values as sealed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ExpectedVersion,
    HistoryEvent,
    MinVersion,
    ReadConsistency,
    RuntimeDep,
    accepted,
    history_of,
    money_of,
    one_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import (
    LIMIT_MAX,
    OFFSET_MAX,
    Day,
    Email,
    Line,
    Moment,
    MoneyIn,
    Name,
    Note,
    PageParams,
    Phone,
    Text,
    Title,
    Version,
)
from bizdev_common.contract import MoneyModel
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.service import Runtime
from eventsourcing.domain import Aggregate
from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_crm.application import CrmApplication
from bizdev_crm.domain import (
    CauseCategory,
    Channel,
    Complaint,
    ComplaintChannel,
    ComplaintState,
    ContactDetails,
    Customer,
    CustomerEvent,
    CustomerEventKind,
    CustomerEventState,
    FollowUp,
    FollowUpState,
    ProposalOutcome,
    Sealed,
    Severity,
)

router = APIRouter()

Score = Annotated[int, Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied)")]


# --- plumbing ---------------------------------------------------------------------------------


def app_of(rt: Runtime[CrmApplication, Any]) -> CrmApplication:
    return rt.application


def schema_of(rt: Runtime) -> str:
    return f'"{rt.settings.schema_name}"'


class ContactAccepted(Accepted):
    contact_id: UUID = Field(description="The contact person added")


class ProposalAccepted(Accepted):
    proposal_id: UUID = Field(description="The proposal offered")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


SEALED = "(sealed personal data)"


async def _history(rt: Runtime, cls: type[Aggregate], record_id: UUID) -> list[HistoryEvent]:
    """Every event of a record; sealed values are ciphertext, harmless but meaningless, so
    the history says what they are instead."""
    return [
        h.model_copy(
            update={"data": {k: SEALED if isinstance(v, Sealed) else v for k, v in h.data.items()}}
        )
        for h in await history_of(rt, cls, record_id)
    ]


# --- customers (REGULATIONS 4.1, 4.2) --------------------------------------------------------


class ContactIn(BaseModel):
    """A contact person. Name, phone and e-mail are personal data: stored sealed with the
    customer's own key, never published, erasable."""

    model_config = ConfigDict(extra="forbid")
    position: Title = Field(description="Position at the customer, e.g. Purchasing manager")
    name: Name = Field(repr=False)
    phone: Phone | None = Field(default=None, repr=False)
    email: Email | None = Field(default=None, repr=False)

    def details(self) -> ContactDetails:
        return ContactDetails(
            position=self.position, name=self.name, phone=self.phone, email=self.email
        )


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Title = Field(description="The customer's (company) name")
    industry: Title
    channel: Channel = Field(description="Where the customer was found")
    needs: Text = Field(description="The needs found")
    owner: Name | None = Field(
        default=None, description="User id of who develops the customer (default: you)"
    )
    address: Line = ""
    preferences: Note = ""
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class CustomerFileIn(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")
    name: Title | None = None
    industry: Title | None = None
    address: Line | None = None
    needs: Text | None = None
    preferences: Note | None = None


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    description: Text
    value: MoneyIn


class ProposalOutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: ProposalOutcome
    notes: Note = ""


class CustomerView(BaseModel):
    id: UUID
    version: int
    name: str
    industry: str
    channel: Channel
    owner: str
    department: str
    address: str
    needs: str
    preferences: str
    contact_ids: list[UUID]
    personal_data_erased: bool
    erased_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ContactView(BaseModel):
    contact_id: UUID
    position: str
    name: str | None = Field(description="Masked unless you need to know; null once erased")
    phone: str | None = Field(description="Masked likewise; null when not given or once erased")
    email: str | None = Field(description="Masked likewise; null when not given or once erased")
    erased: bool = Field(description="The customer's personal data was erased")


class ProposalView(BaseModel):
    id: UUID
    title: str
    description: str
    value: MoneyModel
    offered_by: str
    offered_at: datetime
    outcome: ProposalOutcome | None
    outcome_notes: str | None
    decided_by: str | None
    decided_at: datetime | None


class DealingView(BaseModel):
    project_id: UUID
    project_name: str
    department: str
    application_id: UUID
    recorded_at: datetime


class InvitationView(BaseModel):
    event_id: UUID
    kind: CustomerEventKind
    title: str
    held_on: date
    state: CustomerEventState
    attended: bool | None = Field(description="Null until attendance is recorded")


class SatisfactionPoint(BaseModel):
    at: datetime = Field(description="When the score was given")
    score: int
    source: Literal["follow_up", "complaint"]
    record_id: UUID


class FollowUpView(BaseModel):
    id: UUID
    version: int
    customer_id: UUID
    department: str
    visitor: str
    scheduled_by: str
    due_on: date
    purpose: str
    state: FollowUpState
    visited_on: date | None
    satisfaction: int | None
    notes: str | None
    cancel_reason: str | None
    recorded_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ComplaintView(BaseModel):
    id: UUID
    version: int
    customer_id: UUID
    department: str
    contact_id: UUID | None
    channel: ComplaintChannel
    severity: Severity
    subject: str
    description: str
    state: ComplaintState
    received_by: str
    received_at: datetime
    response_due_at: datetime
    owner: str | None
    responded_at: datetime | None = Field(description="When it was first answered")
    escalated: bool
    escalated_at: datetime | None
    proposal: str | None = Field(description="The latest proposal to the customer")
    rounds: int = Field(description="How many proposals were made")
    resolution: str | None
    cause: CauseCategory | None
    root_cause: str | None
    corrective_action: str | None
    satisfaction: int | None
    closed_by: str | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class Customer360(BaseModel):
    """Everything about one customer: the file, contact persons, proposals, dealings,
    follow-ups, complaints, events and how satisfied it has been over time."""

    customer: CustomerView
    contacts: list[ContactView]
    personal_data_masked: bool = Field(
        description=(
            "Contact persons' names, phones and e-mails are masked (e.g. `Z***`, "
            "`+86 *** 0000`, `z***@acme.example`): only the customer's owner, the head of its "
            "department and management see them in the clear"
        )
    )
    proposals: list[ProposalView]
    dealings: list[DealingView]
    follow_ups: list[FollowUpView]
    complaints: list[ComplaintView]
    events: list[InvitationView]
    satisfaction_trend: list[SatisfactionPoint] = Field(description="Oldest first")
    average_satisfaction: float | None


CUSTOMERS = ListQuery(
    "customers",
    filters=["channel", "owner", "department", "industry"],
    sorts=["created_at", "updated_at", "name", "industry"],
    text=["name", "industry", "needs", "preferences"],
    default_sort="name",
)


@router.post(
    "/customers",
    status_code=201,
    response_model=Accepted,
    tags=["customers"],
    summary="Register a customer with its contact persons (any employee)",
)
def register_customer(
    body: CustomerIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    result = app_of(rt).register_customer(
        actor,
        name=body.name,
        industry=body.industry,
        channel=body.channel.value,
        needs=body.needs,
        owner=body.owner,
        address=body.address,
        preferences=body.preferences,
        contacts=[c.details() for c in body.contacts],
    )
    return accepted(result, response)


@router.patch(
    "/customers/{customer_id}",
    response_model=Accepted,
    tags=["customers"],
    summary="Update the customer file (its owner or their department head)",
)
def update_customer(
    customer_id: UUID,
    body: CustomerFileIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).update_customer_file(
        actor,
        customer_id,
        version,
        name=body.name,
        industry=body.industry,
        address=body.address,
        needs=body.needs,
        preferences=body.preferences,
    )
    return accepted(result, response)


@router.post(
    "/customers/{customer_id}/contacts",
    status_code=201,
    response_model=ContactAccepted,
    tags=["customers"],
    summary="Add a contact person (the customer's owner or their department head)",
)
def add_contact(
    customer_id: UUID,
    body: ContactIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> ContactAccepted:
    result, contact_id = app_of(rt).add_contact(actor, customer_id, version, body.details())
    response.headers["ETag"] = f'"{result.version}"'
    return ContactAccepted(id=result.id, version=result.version, contact_id=contact_id)


@router.put(
    "/customers/{customer_id}/contacts/{contact_id}",
    response_model=Accepted,
    tags=["customers"],
    summary="Replace a contact person's details (the customer's owner or their department head)",
)
def change_contact(
    customer_id: UUID,
    contact_id: UUID,
    body: ContactIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).change_contact(actor, customer_id, version, contact_id, body.details())
    return accepted(result, response)


@router.post(
    "/customers/{customer_id}/proposals",
    status_code=201,
    response_model=ProposalAccepted,
    tags=["customers"],
    summary="Offer the customer a proposal (any employee)",
)
def offer_proposal(
    customer_id: UUID,
    body: ProposalIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> ProposalAccepted:
    result, proposal_id = app_of(rt).offer_proposal(
        actor,
        customer_id,
        version,
        title=body.title,
        description=body.description,
        value=body.value.to_money(),
    )
    response.headers["ETag"] = f'"{result.version}"'
    return ProposalAccepted(id=result.id, version=result.version, proposal_id=proposal_id)


@router.post(
    "/customers/{customer_id}/proposals/{proposal_id}/outcome",
    response_model=Accepted,
    tags=["customers"],
    summary="Record the customer's answer to a proposal (who offered it, or the owner)",
)
def record_proposal_outcome(
    customer_id: UUID,
    proposal_id: UUID,
    body: ProposalOutcomeIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).record_proposal_outcome(
        actor,
        customer_id,
        version,
        proposal_id=proposal_id,
        outcome=body.outcome.value,
        notes=body.notes,
    )
    return accepted(result, response)


@router.post(
    "/customers/{customer_id}/erase-personal-data",
    response_model=Accepted,
    tags=["customers"],
    summary="Erase the contact persons' personal data on request (management)",
    description=(
        "Destroys the customer's key: its contact persons' names, phones and e-mails become "
        "unreadable everywhere, for good. The customer, its history and every other record "
        "stay. Publishes CustomerDataErased."
    ),
)
def erase_personal_data(
    customer_id: UUID,
    body: ReasonIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).erase_personal_data(actor, customer_id, version, body.reason)
    return accepted(result, response)


@router.get("/customers", response_model=Page[CustomerView], tags=["customers"])
async def list_customers(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(CUSTOMERS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    channel: Channel | None = None,
    owner: Name | None = None,
    department: Name | None = None,
    industry: Name | None = None,
) -> Page[CustomerView]:
    where = {
        "channel": channel.value if channel else None,
        "owner": owner,
        "department": department,
        "industry": industry,
    }
    rows, total = await page_of(rt, CUSTOMERS, page, consistency, where)
    items = [CustomerView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def _complaint(r: asyncpg.Record) -> ComplaintView:
    return ComplaintView.model_validate(dict(r))


@router.get(
    "/customers/{customer_id}",
    response_model=Customer360,
    tags=["customers"],
    summary="The customer's 360° view",
)
async def get_customer(
    customer_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> Customer360:
    row = await one_of(rt, "customers", customer_id, min_version, response)
    s = schema_of(rt)
    contacts, masked = await run_in_threadpool(app_of(rt).contacts_seen_by, actor, customer_id)
    async with rt.pool.acquire() as conn:
        proposals = await conn.fetch(
            f"SELECT * FROM {s}.proposals WHERE customer_id = $1 ORDER BY offered_at", customer_id
        )
        dealings = await conn.fetch(
            f"SELECT * FROM {s}.dealings WHERE customer_id = $1 ORDER BY recorded_at", customer_id
        )
        follow_ups = await conn.fetch(
            f"SELECT * FROM {s}.follow_ups WHERE customer_id = $1 ORDER BY due_on DESC, id",
            customer_id,
        )
        complaints = await conn.fetch(
            f"SELECT * FROM {s}.complaints WHERE customer_id = $1 ORDER BY received_at DESC, id",
            customer_id,
        )
        events = await conn.fetch(
            f"SELECT e.id AS event_id, e.kind, e.title, e.held_on, e.state, i.attended "
            f"FROM {s}.event_invitations i JOIN {s}.customer_events e ON e.id = i.event_id "
            "WHERE i.customer_id = $1 ORDER BY e.held_on DESC, e.id",
            customer_id,
        )
    trend = sorted(
        [
            SatisfactionPoint(
                at=f["recorded_at"], score=f["satisfaction"], source="follow_up", record_id=f["id"]
            )
            for f in follow_ups
            if f["satisfaction"] is not None
        ]
        + [
            SatisfactionPoint(
                at=c["closed_at"], score=c["satisfaction"], source="complaint", record_id=c["id"]
            )
            for c in complaints
            if c["satisfaction"] is not None
        ],
        key=lambda p: p.at,
    )
    return Customer360(
        customer=CustomerView.model_validate(dict(row)),
        contacts=[ContactView.model_validate(c, from_attributes=True) for c in contacts],
        personal_data_masked=masked,
        proposals=[
            ProposalView.model_validate({**dict(p), "value": money_of(p, "value")})
            for p in proposals
        ],
        dealings=[DealingView.model_validate(dict(d)) for d in dealings],
        follow_ups=[FollowUpView.model_validate(dict(f)) for f in follow_ups],
        complaints=[_complaint(c) for c in complaints],
        events=[InvitationView.model_validate(dict(e)) for e in events],
        satisfaction_trend=trend,
        average_satisfaction=(
            round(sum(p.score for p in trend) / len(trend), 2) if trend else None
        ),
    )


@router.get(
    "/customers/{customer_id}/history",
    response_model=list[HistoryEvent],
    tags=["customers"],
    summary="Every event: who, when and why (personal data shown sealed)",
)
async def customer_history(
    customer_id: UUID, actor: CurrentActor, rt: RuntimeDep
) -> list[HistoryEvent]:
    return await _history(rt, Customer, customer_id)


# --- follow-up visits (REGULATIONS 4.2) ------------------------------------------------------


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID
    due_on: Day = Field(description="Date the visit is due by")
    purpose: Text
    visitor: Name | None = Field(default=None, description="User id of the visitor (default: you)")


class FollowUpOutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visited_on: Day
    satisfaction: Score
    notes: Text


class OverdueFollowUp(FollowUpView):
    days_overdue: int


FOLLOW_UPS = ListQuery(
    "follow_ups",
    filters=["customer_id", "visitor", "state", "department"],
    sorts=["due_on", "created_at", "updated_at"],
    text=["purpose", "notes"],
    default_sort="due_on",
)


@router.post(
    "/follow-ups",
    status_code=201,
    response_model=Accepted,
    tags=["follow-ups"],
    summary="Schedule a follow-up visit (any employee)",
)
def schedule_follow_up(
    body: FollowUpIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    result = app_of(rt).schedule_follow_up(
        actor,
        customer_id=body.customer_id,
        due_on=body.due_on,
        purpose=body.purpose,
        visitor=body.visitor,
    )
    return accepted(result, response)


@router.post(
    "/follow-ups/{follow_up_id}/outcome",
    response_model=Accepted,
    tags=["follow-ups"],
    summary="Record the visit's outcome and the customer's satisfaction (the visitor)",
)
def record_follow_up(
    follow_up_id: UUID,
    body: FollowUpOutcomeIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).record_follow_up(
        actor,
        follow_up_id,
        version,
        visited_on=body.visited_on,
        satisfaction=body.satisfaction,
        notes=body.notes,
    )
    return accepted(result, response)


@router.post(
    "/follow-ups/{follow_up_id}/cancel",
    response_model=Accepted,
    tags=["follow-ups"],
    summary="Cancel a scheduled visit (the visitor or who scheduled it)",
)
def cancel_follow_up(
    follow_up_id: UUID,
    body: ReasonIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).cancel_follow_up(actor, follow_up_id, version, body.reason)
    return accepted(result, response)


@router.get("/follow-ups", response_model=Page[FollowUpView], tags=["follow-ups"])
async def list_follow_ups(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(FOLLOW_UPS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    customer_id: UUID | None = None,
    visitor: Name | None = None,
    state: FollowUpState | None = None,
    department: Name | None = None,
) -> Page[FollowUpView]:
    where = {
        "customer_id": customer_id,
        "visitor": visitor,
        "state": state.value if state else None,
        "department": department,
    }
    rows, total = await page_of(rt, FOLLOW_UPS, page, consistency, where)
    items = [FollowUpView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/follow-ups/overdue",
    response_model=Page[OverdueFollowUp],
    tags=["follow-ups"],
    summary="Scheduled visits past their due date, most overdue first",
)
async def overdue_follow_ups(
    actor: CurrentActor,
    rt: RuntimeDep,
    visitor: Name | None = None,
    department: Name | None = None,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 20,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> Page[OverdueFollowUp]:
    today = rt.clock.now().date()
    args: list[Any] = [FollowUpState.SCHEDULED.value, today]
    cond = "state = $1 AND due_on < $2"
    for column, value in (("visitor", visitor), ("department", department)):
        if value is not None:
            args.append(value)
            cond += f" AND {column} = ${len(args)}"
    table = f"{schema_of(rt)}.follow_ups"
    async with rt.pool.acquire() as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {cond}", *args)
        rows = await conn.fetch(
            f"SELECT * FROM {table} WHERE {cond} ORDER BY due_on, id LIMIT {limit} OFFSET {offset}",
            *args,
        )
    items = [
        OverdueFollowUp.model_validate({**dict(r), "days_overdue": (today - r["due_on"]).days})
        for r in rows
    ]
    return Page(items=items, total=int(total), limit=limit, offset=offset)


@router.get("/follow-ups/{follow_up_id}", response_model=FollowUpView, tags=["follow-ups"])
async def get_follow_up(
    follow_up_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> FollowUpView:
    row = await one_of(rt, "follow_ups", follow_up_id, min_version, response)
    return FollowUpView.model_validate(dict(row))


@router.get(
    "/follow-ups/{follow_up_id}/history",
    response_model=list[HistoryEvent],
    tags=["follow-ups"],
    summary="Every event: who, when and why",
)
async def follow_up_history(
    follow_up_id: UUID, actor: CurrentActor, rt: RuntimeDep
) -> list[HistoryEvent]:
    return await _history(rt, FollowUp, follow_up_id)


# --- customer events (REGULATIONS 4.2) -------------------------------------------------------


class CustomerEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: CustomerEventKind
    title: Title
    held_on: Day
    venue: Title


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID
    attended: bool


class Invitee(BaseModel):
    customer_id: UUID
    customer_name: str | None
    attended: bool | None = Field(description="Null until attendance is recorded")
    invited_at: datetime


class CustomerEventView(BaseModel):
    id: UUID
    version: int
    kind: CustomerEventKind
    title: str
    held_on: date
    venue: str
    organiser: str
    department: str
    state: CustomerEventState
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime


class CustomerEventDetail(CustomerEventView):
    invitations: list[Invitee]
    attended: int = Field(description="How many invited customers came")


CUSTOMER_EVENTS = ListQuery(
    "customer_events",
    filters=["kind", "state", "department", "organiser"],
    sorts=["held_on", "created_at", "title"],
    text=["title", "venue"],
    default_sort="-held_on",
)


@router.post(
    "/customer-events",
    status_code=201,
    response_model=Accepted,
    tags=["customer events"],
    summary="Plan an appreciation event or industry seminar (any employee)",
)
def plan_customer_event(
    body: CustomerEventIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    result = app_of(rt).plan_customer_event(
        actor, kind=body.kind.value, title=body.title, held_on=body.held_on, venue=body.venue
    )
    return accepted(result, response)


@router.post(
    "/customer-events/{event_id}/invitations",
    response_model=Accepted,
    tags=["customer events"],
    summary="Invite a customer (the organiser or their department head)",
)
def invite_customer(
    event_id: UUID,
    body: InvitationIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).invite_customer(actor, event_id, version, body.customer_id)
    return accepted(result, response)


@router.post(
    "/customer-events/{event_id}/attendance",
    response_model=Accepted,
    tags=["customer events"],
    summary="Record whether an invited customer attended (the organiser or their head)",
)
def record_attendance(
    event_id: UUID,
    body: AttendanceIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).record_attendance(
        actor, event_id, version, customer_id=body.customer_id, attended=body.attended
    )
    return accepted(result, response)


@router.post(
    "/customer-events/{event_id}/cancel",
    response_model=Accepted,
    tags=["customer events"],
    summary="Cancel a planned event (the organiser or their department head)",
)
def cancel_customer_event(
    event_id: UUID,
    body: ReasonIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).cancel_customer_event(actor, event_id, version, body.reason)
    return accepted(result, response)


@router.get("/customer-events", response_model=Page[CustomerEventView], tags=["customer events"])
async def list_customer_events(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(CUSTOMER_EVENTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    kind: CustomerEventKind | None = None,
    state: CustomerEventState | None = None,
    department: Name | None = None,
    organiser: Name | None = None,
) -> Page[CustomerEventView]:
    where = {
        "kind": kind.value if kind else None,
        "state": state.value if state else None,
        "department": department,
        "organiser": organiser,
    }
    rows, total = await page_of(rt, CUSTOMER_EVENTS, page, consistency, where)
    items = [CustomerEventView.model_validate(dict(r)) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/customer-events/{event_id}",
    response_model=CustomerEventDetail,
    tags=["customer events"],
    summary="The event with its invitations and attendance",
)
async def get_customer_event(
    event_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> CustomerEventDetail:
    row = await one_of(rt, "customer_events", event_id, min_version, response)
    s = schema_of(rt)
    invitations = await rt.pool.fetch(
        f"SELECT i.customer_id, c.name AS customer_name, i.attended, i.invited_at "
        f"FROM {s}.event_invitations i LEFT JOIN {s}.customers c ON c.id = i.customer_id "
        "WHERE i.event_id = $1 ORDER BY i.invited_at, i.customer_id",
        event_id,
    )
    invitees = [Invitee.model_validate(dict(i)) for i in invitations]
    return CustomerEventDetail.model_validate(
        {
            **dict(row),
            "invitations": invitees,
            "attended": sum(1 for i in invitees if i.attended),
        }
    )


@router.get(
    "/customer-events/{event_id}/history",
    response_model=list[HistoryEvent],
    tags=["customer events"],
    summary="Every event: who, when and why",
)
async def customer_event_history(
    event_id: UUID, actor: CurrentActor, rt: RuntimeDep
) -> list[HistoryEvent]:
    return await _history(rt, CustomerEvent, event_id)


# --- complaints (REGULATIONS 4.3) ------------------------------------------------------------


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID
    channel: ComplaintChannel
    severity: Severity = Field(description="Sets the response deadline (see configuration)")
    subject: Title
    description: Text = Field(
        description="The complaint as made; name people by contact_id, not by their details"
    )
    contact_id: UUID | None = Field(default=None, description="The contact person complaining")


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: Name = Field(description="User id of who handles the complaint")


class RespondIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proposal: Text = Field(description="What is proposed to the customer")


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: Text = Field(description="What the customer accepted")


class CloseIn(BaseModel):
    """The root-cause analysis and the customer's satisfaction. Each is required to close;
    a missing one is refused (422) by the complaint itself, after who and when are checked."""

    model_config = ConfigDict(extra="forbid")
    cause: CauseCategory | None = None
    root_cause: Note | None = None
    corrective_action: Note | None = None
    satisfaction: Score | None = None


class QueuedComplaint(ComplaintView):
    time_left_seconds: float | None = Field(
        description="Until the response deadline (negative: past it); null once answered"
    )


class CauseCount(BaseModel):
    key: str = Field(description="The cause, or the customer id")
    label: str | None = Field(description="The customer's name when counting by customer")
    count: int


class ComplaintCounts(BaseModel):
    by: Literal["cause", "customer"]
    received_from: datetime
    received_to: datetime
    total: int
    counts: list[CauseCount] = Field(description="Largest first")


class ComplaintAsOf(BaseModel):
    """The complaint as it stood at a version or moment (from its events)."""

    id: UUID
    version: int
    state: ComplaintState
    customer_id: UUID
    department: str
    severity: Severity
    subject: str
    owner: str | None
    response_due_at: datetime
    escalated_at: datetime | None
    proposal: str | None
    rounds: int
    resolution: str | None
    cause: CauseCategory | None
    satisfaction: int | None
    modified_on: datetime


COMPLAINTS = ListQuery(
    "complaints",
    filters=[
        "state",
        "customer_id",
        "owner",
        "severity",
        "department",
        "channel",
        "escalated",
        "cause",
    ],
    sorts=["received_at", "response_due_at", "updated_at", "severity"],
    text=["subject", "description"],
    default_sort="-received_at",
)


@router.post(
    "/complaints",
    status_code=201,
    response_model=Accepted,
    tags=["complaints"],
    summary="Record a complaint as it comes in (any employee)",
)
def receive_complaint(
    body: ComplaintIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    result = app_of(rt).receive_complaint(
        actor,
        customer_id=body.customer_id,
        channel=body.channel.value,
        severity=body.severity.value,
        subject=body.subject,
        description=body.description,
        contact_id=body.contact_id,
    )
    return accepted(result, response)


@router.post(
    "/complaints/{complaint_id}/assign",
    response_model=Accepted,
    tags=["complaints"],
    summary="Name the owner (head of the customer's department, or management)",
)
def assign_complaint(
    complaint_id: UUID,
    body: AssignIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    return accepted(app_of(rt).assign_complaint(actor, complaint_id, version, body.owner), response)


@router.post(
    "/complaints/{complaint_id}/respond",
    response_model=Accepted,
    tags=["complaints"],
    summary="Answer the customer with a proposal (the owner)",
)
def respond_to_complaint(
    complaint_id: UUID,
    body: RespondIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).respond_to_complaint(actor, complaint_id, version, body.proposal)
    return accepted(result, response)


@router.post(
    "/complaints/{complaint_id}/resolve",
    response_model=Accepted,
    tags=["complaints"],
    summary="The customer accepted the proposal (the owner records it)",
)
def resolve_complaint(
    complaint_id: UUID,
    body: ResolveIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).resolve_complaint(actor, complaint_id, version, body.resolution)
    return accepted(result, response)


@router.post(
    "/complaints/{complaint_id}/reopen",
    response_model=Accepted,
    tags=["complaints"],
    summary="The customer is not satisfied: back to assigned (the owner records it)",
)
def reopen_complaint(
    complaint_id: UUID,
    body: ReasonIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).reopen_complaint(actor, complaint_id, version, body.reason)
    return accepted(result, response)


@router.post(
    "/complaints/{complaint_id}/close",
    response_model=Accepted,
    tags=["complaints"],
    summary="Close with root-cause analysis and satisfaction (the owner or department head)",
)
def close_complaint(
    complaint_id: UUID,
    body: CloseIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).close_complaint(
        actor,
        complaint_id,
        version,
        cause=body.cause.value if body.cause else None,
        root_cause=body.root_cause,
        corrective_action=body.corrective_action,
        satisfaction=body.satisfaction,
    )
    return accepted(result, response)


@router.get("/complaints", response_model=Page[ComplaintView], tags=["complaints"])
async def list_complaints(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(COMPLAINTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    state: ComplaintState | None = None,
    customer_id: UUID | None = None,
    owner: Name | None = None,
    severity: Severity | None = None,
    department: Name | None = None,
    channel: ComplaintChannel | None = None,
    escalated: bool | None = None,
    cause: CauseCategory | None = None,
) -> Page[ComplaintView]:
    where = {
        "state": state.value if state else None,
        "customer_id": customer_id,
        "owner": owner,
        "severity": severity.value if severity else None,
        "department": department,
        "channel": channel.value if channel else None,
        "escalated": escalated,
        "cause": cause.value if cause else None,
    }
    rows, total = await page_of(rt, COMPLAINTS, page, consistency, where)
    return Page(
        items=[_complaint(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get(
    "/complaints/queue",
    response_model=list[QueuedComplaint],
    tags=["complaints"],
    summary="An owner's open complaints, the most urgent first, with the time left",
)
async def complaint_queue(
    actor: CurrentActor,
    rt: RuntimeDep,
    owner: Annotated[Name | None, Query(description="User id (default: you)")] = None,
) -> list[QueuedComplaint]:
    rows = await rt.pool.fetch(
        f"SELECT * FROM {schema_of(rt)}.complaints WHERE owner = $1 AND state <> $2 "
        # Unanswered first, by deadline; then those waiting on the customer.
        "ORDER BY responded_at IS NOT NULL, response_due_at, id",
        owner or actor.user_id,
        ComplaintState.CLOSED.value,
    )
    now = rt.clock.now()
    return [
        QueuedComplaint.model_validate(
            {
                **dict(r),
                "time_left_seconds": (
                    None
                    if r["responded_at"] is not None
                    else (r["response_due_at"] - now).total_seconds()
                ),
            }
        )
        for r in rows
    ]


@router.get(
    "/complaints/counts",
    response_model=ComplaintCounts,
    tags=["complaints"],
    summary="Complaints received in a period, counted by root cause or by customer",
    description=(
        "By cause, complaints not yet closed count as `unanalysed`: their cause is known "
        "only once the root-cause analysis closes them. The period defaults to the 30 days "
        "up to now."
    ),
)
async def complaint_counts(
    actor: CurrentActor,
    rt: RuntimeDep,
    by: Literal["cause", "customer"] = "cause",
    received_from: Annotated[Moment | None, Query(alias="from", description="Inclusive")] = None,
    received_to: Annotated[Moment | None, Query(alias="to", description="Exclusive")] = None,
    department: Name | None = None,
) -> ComplaintCounts:
    end = received_to or rt.clock.now()
    start = received_from or end - timedelta(days=30)
    s = schema_of(rt)
    args: list[Any] = [start, end]
    cond = "c.received_at >= $1 AND c.received_at < $2"
    if department is not None:
        args.append(department)
        cond += " AND c.department = $3"
    if by == "cause":
        query = (
            f"SELECT COALESCE(c.cause, 'unanalysed') AS key, NULL AS label, count(*) AS count "
            f"FROM {s}.complaints c WHERE {cond} GROUP BY 1 ORDER BY count DESC, key"
        )
    else:
        query = (
            f"SELECT c.customer_id::text AS key, cu.name AS label, count(*) AS count "
            f"FROM {s}.complaints c LEFT JOIN {s}.customers cu ON cu.id = c.customer_id "
            f"WHERE {cond} GROUP BY 1, 2 ORDER BY count DESC, key"
        )
    rows = await rt.pool.fetch(query, *args)
    counts = [CauseCount.model_validate(dict(r)) for r in rows]
    return ComplaintCounts(
        by=by,
        received_from=start,
        received_to=end,
        total=sum(c.count for c in counts),
        counts=counts,
    )


@router.get("/complaints/{complaint_id}", response_model=ComplaintView, tags=["complaints"])
async def get_complaint(
    complaint_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> ComplaintView:
    return _complaint(await one_of(rt, "complaints", complaint_id, min_version, response))


@router.get(
    "/complaints/{complaint_id}/history",
    response_model=list[HistoryEvent],
    tags=["complaints"],
    summary="Every event: who, when and why",
)
async def complaint_history(
    complaint_id: UUID, actor: CurrentActor, rt: RuntimeDep
) -> list[HistoryEvent]:
    return await _history(rt, Complaint, complaint_id)


@router.get(
    "/complaints/{complaint_id}/as-of",
    response_model=ComplaintAsOf,
    tags=["complaints"],
    summary="The complaint as of a version or a time",
)
def complaint_as_of(
    complaint_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: Annotated[Version | None, Query()] = None,
    at: Annotated[Moment | None, Query()] = None,
) -> ComplaintAsOf:
    c = app_of(rt).as_of(Complaint, complaint_id, version=version, at=at)
    return ComplaintAsOf(
        id=c.id,
        version=c.version,
        state=c.state,
        customer_id=c.customer_id,
        department=c.department,
        severity=Severity(c.severity),
        subject=c.subject,
        owner=c.owner,
        response_due_at=c.response_due_at,
        escalated_at=c.escalated_at,
        proposal=c.proposal,
        rounds=c.rounds,
        resolution=c.resolution,
        cause=CauseCategory(c.cause) if c.cause else None,
        satisfaction=c.satisfaction,
        modified_on=c.modified_on,
    )
