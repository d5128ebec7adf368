"""Customers and their file (REGULATIONS 4.1, 4.2): the 360° view shows contact persons'
personal data to who needs to know, masked to everyone else."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ExpectedVersion,
    ReadConsistency,
    RuntimeDep,
    money_of,
    page_of,
    schema_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Email, Line, MoneyIn, Name, Note, PageParams, Phone, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_crm.api.common import App, Change, Create, ReasonIn, sealed_history
from bizdev_crm.api.complaints import ComplaintView, complaint_view
from bizdev_crm.api.contracts import ContractView, contract_view
from bizdev_crm.api.follow_ups import FollowUpView
from bizdev_crm.application import CrmApplication
from bizdev_crm.domain import (
    Channel,
    ContactDetails,
    Customer,
    CustomerEventKind,
    CustomerEventState,
    CustomerStatus,
    ProposalOutcome,
)

router = APIRouter(route_class=CommandRoute)


class ContactAccepted(Accepted):
    contact_id: UUID = Field(description="The contact person added")


class ProposalAccepted(Accepted):
    proposal_id: UUID = Field(description="The proposal offered")


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


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: CustomerStatus = Field(description="Where the relationship stands now")
    reason: Note = Field(default="", description="Why; required for dormant and lost")


class OwnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: Name = Field(description="User id of the new owner")
    reason: Note = ""


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
    status: CustomerStatus
    status_reason: str | None
    last_visited_on: date | None
    next_visit_due_on: date | None = Field(
        description="When the next follow-up visit is due by its status's cycle; null: none"
    )
    visit_overdue_since: date | None = Field(
        description="The first missed visit day, while no visit has been recorded since"
    )
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
    contracts: list[ContractView] = Field(description="Contracts with the customer, newest first")
    follow_ups: list[FollowUpView]
    complaints: list[ComplaintView]
    events: list[InvitationView]
    satisfaction_trend: list[SatisfactionPoint] = Field(description="Oldest first")
    average_satisfaction: float | None


CUSTOMERS = ListQuery(
    "customers",
    filters=["channel", "owner", "department", "industry", "status"],
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
def register_customer(body: CustomerIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.register_customer(
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
    return cmd.accepted(result)


@router.patch(
    "/customers/{customer_id}",
    response_model=Accepted,
    tags=["customers"],
    summary="Update the customer file (its owner or their department head)",
)
def update_customer(
    customer_id: UUID, body: CustomerFileIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Customer,
        customer_id,
        lambda customer: customer.update_file(
            actor,
            name=body.name,
            industry=body.industry,
            address=body.address,
            needs=body.needs,
            preferences=body.preferences,
        ),
    )


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
    app: App,
    version: ExpectedVersion,
    response: Response,
) -> ContactAccepted:
    result, contact_id = app.add_contact(actor, customer_id, version, body.details())
    response.headers["ETag"] = f'"{result.version}"'
    return ContactAccepted(id=result.id, version=result.version, contact_id=contact_id)


@router.put(
    "/customers/{customer_id}/contacts/{contact_id}",
    response_model=Accepted,
    tags=["customers"],
    summary="Replace a contact person's details (the customer's owner or their department head)",
)
def change_contact(
    customer_id: UUID, contact_id: UUID, body: ContactIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.change_contact(actor, customer_id, cmd.version, contact_id, body.details())
    return cmd.accepted(result)


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
    app: App,
    version: ExpectedVersion,
    response: Response,
) -> ProposalAccepted:
    result, proposal_id = app.offer_proposal(
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
    customer_id: UUID, proposal_id: UUID, body: ProposalOutcomeIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Customer,
        customer_id,
        lambda customer: customer.record_proposal_outcome(
            actor, proposal_id=proposal_id, outcome=body.outcome.value, notes=body.notes
        ),
    )


@router.post(
    "/customers/{customer_id}/status",
    response_model=Accepted,
    tags=["customers"],
    summary="Change the customer's status (its owner, their department head or management)",
    description="prospect, active, dormant or lost; dormant and lost need a reason. The next "
    "follow-up visit is then due by the new status's cycle (BIZDEV_CRM_FOLLOW_UP_CYCLE_DAYS).",
)
def change_customer_status(
    customer_id: UUID, body: StatusIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.change_customer_status(
        actor, customer_id, cmd.version, status=body.status.value, reason=body.reason
    )
    return cmd.accepted(result)


@router.post(
    "/customers/{customer_id}/owner",
    response_model=Accepted,
    tags=["customers"],
    summary="Reassign the customer's owner (the head of its department, or management)",
)
def reassign_customer_owner(
    customer_id: UUID, body: OwnerIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Customer,
        customer_id,
        lambda customer: customer.reassign_owner(actor, owner=body.owner, reason=body.reason),
    )


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
    customer_id: UUID, body: ReasonIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.erase_personal_data(actor, customer_id, cmd.version, body.reason)
    return cmd.accepted(result)


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
    status: CustomerStatus | None = None,
) -> Page[CustomerView]:
    where = {
        "channel": channel.value if channel else None,
        "owner": owner,
        "department": department,
        "industry": industry,
        "status": status.value if status else None,
    }
    return await page_of(rt, CUSTOMERS, page, consistency, where, CustomerView)


async def _customer_360(
    rt: Runtime[CrmApplication, Any], actor: Actor, row: asyncpg.Record
) -> Customer360:
    customer_id = row["id"]
    s = schema_of(rt)
    contacts, masked = await run_in_threadpool(rt.application.contacts_seen_by, actor, customer_id)
    async with rt.pool.acquire() as conn:
        proposals = await conn.fetch(
            f"SELECT * FROM {s}.proposals WHERE customer_id = $1 ORDER BY offered_at", customer_id
        )
        dealings = await conn.fetch(
            f"SELECT * FROM {s}.dealings WHERE customer_id = $1 ORDER BY recorded_at", customer_id
        )
        contracts = await conn.fetch(
            f"SELECT * FROM {s}.contracts WHERE customer_id = $1 ORDER BY created_at DESC, id",
            customer_id,
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
        contracts=[contract_view(k) for k in contracts],
        follow_ups=[FollowUpView.model_validate(dict(f)) for f in follow_ups],
        complaints=[complaint_view(c) for c in complaints],
        events=[InvitationView.model_validate(dict(e)) for e in events],
        satisfaction_trend=trend,
        average_satisfaction=(
            round(sum(p.score for p in trend) / len(trend), 2) if trend else None
        ),
    )


CUSTOMER = RecordRoutes(router, "/customers/{customer_id}", "customer", ["customers"])
CUSTOMER.detail("customers", Customer360, read=_customer_360, summary="The customer's 360° view")
CUSTOMER.history(
    Customer,
    summary="Every event: who, when and why (personal data shown sealed)",
    events=sealed_history,
)
