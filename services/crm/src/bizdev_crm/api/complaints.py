"""Complaints (REGULATIONS 4.3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ReadConsistency,
    RuntimeDep,
    page_of,
    schema_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Moment, Name, Note, PageParams, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_crm.api.common import Change, Create, ReasonIn, Score, sealed_history
from bizdev_crm.domain import (
    CauseCategory,
    Complaint,
    ComplaintChannel,
    ComplaintState,
    ConfirmationChannel,
    Severity,
)

router = APIRouter(route_class=CommandRoute)


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
    response_due_at: datetime = Field(description="When the (next) answer is due")
    resolution_due_at: datetime | None = Field(
        description="When the customer is to accept a solution; null for early complaints"
    )
    owner: str | None
    responded_at: datetime | None = Field(description="When it was first answered")
    escalated: bool
    escalated_at: datetime | None = Field(description="When it was first escalated")
    response_escalation_level: int = Field(
        description="The current response deadline's escalation: 0 none, 1 head, 2 management"
    )
    resolution_escalation_level: int = Field(
        description="The resolution deadline's escalation: 0 none, 1 head, 2 management"
    )
    proposal: str | None = Field(description="The latest proposal to the customer")
    rounds: int = Field(description="How many proposals were made")
    resolution: str | None
    cause: CauseCategory | None
    root_cause: str | None
    corrective_action: str | None
    satisfaction: int | None
    confirmed_by: str | None = Field(description="Who confirmed the satisfaction with the customer")
    confirmation_channel: ConfirmationChannel | None
    confirmed_on: date | None
    confirmed_with: UUID | None = Field(description="The customer's contact who confirmed it")
    closed_by: str | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CorrectiveActionView(BaseModel):
    id: UUID
    description: str
    owner: str
    due_on: date
    added_by: str
    added_at: datetime
    done_on: date | None
    outcome: str | None
    overdue: bool = Field(description="Reported overdue (not done by its due date)")


class ComplaintDetail(ComplaintView):
    corrective_actions: list[CorrectiveActionView] = Field(description="Oldest first")


def complaint_view(r: asyncpg.Record) -> ComplaintView:
    return ComplaintView.model_validate(dict(r))


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
    """The root-cause analysis, the customer's satisfaction, and who confirmed it with the
    customer, how and when. Each is required to close but `confirmed_with`; a missing one is
    refused (422) by the complaint itself, after who and when are checked."""

    model_config = ConfigDict(extra="forbid")
    cause: CauseCategory | None = None
    root_cause: Note | None = None
    corrective_action: Note | None = None
    satisfaction: Score | None = None
    confirmed_by: Name | None = Field(
        default=None, description="User id of who confirmed the satisfaction with the customer"
    )
    confirmation_channel: ConfirmationChannel | None = None
    confirmed_on: Day | None = Field(default=None, description="The day it was confirmed")
    confirmed_with: UUID | None = Field(
        default=None, description="The customer's contact person who confirmed it, if known"
    )


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
def receive_complaint(body: ComplaintIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.receive_complaint(
        actor,
        customer_id=body.customer_id,
        channel=body.channel.value,
        severity=body.severity.value,
        subject=body.subject,
        description=body.description,
        contact_id=body.contact_id,
    )
    return cmd.accepted(result)


@router.post(
    "/complaints/{complaint_id}/assign",
    response_model=Accepted,
    tags=["complaints"],
    summary="Name the owner (head of the customer's department, or management)",
)
def assign_complaint(
    complaint_id: UUID, body: AssignIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Complaint, complaint_id, lambda complaint: complaint.assign(actor, owner=body.owner)
    )


@router.post(
    "/complaints/{complaint_id}/respond",
    response_model=Accepted,
    tags=["complaints"],
    summary="Answer the customer with a proposal (the owner)",
)
def respond_to_complaint(
    complaint_id: UUID, body: RespondIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Complaint, complaint_id, lambda complaint: complaint.respond(actor, proposal=body.proposal)
    )


@router.post(
    "/complaints/{complaint_id}/resolve",
    response_model=Accepted,
    tags=["complaints"],
    summary="The customer accepted the proposal (the owner records it)",
)
def resolve_complaint(
    complaint_id: UUID, body: ResolveIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Complaint,
        complaint_id,
        lambda complaint: complaint.resolve(actor, resolution=body.resolution),
    )


@router.post(
    "/complaints/{complaint_id}/reopen",
    response_model=Accepted,
    tags=["complaints"],
    summary="The customer is not satisfied: back to assigned (the owner records it)",
)
def reopen_complaint(
    complaint_id: UUID, body: ReasonIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.reopen_complaint(actor, complaint_id, cmd.version, body.reason)
    return cmd.accepted(result)


@router.post(
    "/complaints/{complaint_id}/close",
    response_model=Accepted,
    tags=["complaints"],
    summary="Close with root-cause analysis and satisfaction (the owner or department head)",
)
def close_complaint(
    complaint_id: UUID, body: CloseIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.close_complaint(
        actor,
        complaint_id,
        cmd.version,
        cause=body.cause.value if body.cause else None,
        root_cause=body.root_cause,
        corrective_action=body.corrective_action,
        satisfaction=body.satisfaction,
        confirmed_by=body.confirmed_by,
        confirmation_channel=(
            body.confirmation_channel.value if body.confirmation_channel else None
        ),
        confirmed_on=body.confirmed_on,
        confirmed_with=body.confirmed_with,
    )
    return cmd.accepted(result)


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
    return await page_of(rt, COMPLAINTS, page, consistency, where, complaint_view)


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


def _complaint_as_of(c: Complaint) -> ComplaintAsOf:
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


async def _complaint_detail(rt: Runtime, actor: Actor, row: asyncpg.Record) -> ComplaintDetail:
    actions = await rt.pool.fetch(
        f"SELECT * FROM {schema_of(rt)}.corrective_actions WHERE complaint_id = $1 "
        "ORDER BY added_at, id",
        row["id"],
    )
    return ComplaintDetail.model_validate(
        {**dict(row), "corrective_actions": [dict(a) for a in actions]}
    )


COMPLAINT = RecordRoutes(router, "/complaints/{complaint_id}", "complaint", ["complaints"])
COMPLAINT.detail("complaints", ComplaintDetail, read=_complaint_detail)
COMPLAINT.history(Complaint, summary=EVERY_EVENT, events=sealed_history)
COMPLAINT.as_of(
    Complaint, ComplaintAsOf, _complaint_as_of, summary="The complaint as of a version or a time"
)
