"""Leads and market insights (REGULATIONS 2.1): what a department finds and learns of
the market before an initiation application."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ReadConsistency,
    RuntimeDep,
    money_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import MoneyIn, Name, Note, PageParams, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import RecordRoutes
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_projects.api.common import Change, Create
from bizdev_projects.domain import (
    InsightKind,
    Lead,
    LeadState,
)

router = APIRouter(route_class=CommandRoute)


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: Title
    need: Text
    source: Title
    estimated_value: MoneyIn
    customer_id: UUID | None = Field(
        default=None,
        description="The crm customer, when one is known: one crm announced (else 422)",
    )


class QualifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = Field(default="", description="Why the lead is worth pursuing")
    customer_id: UUID | None = Field(
        default=None,
        description="The crm customer, when known by now: one crm announced (else 422)",
    )


class DiscardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasons: Text = Field(description="Required: why the lead is not pursued")


class LeadView(BaseModel):
    id: UUID
    version: int
    state: LeadState
    finder: str
    department: str
    customer: str
    customer_id: UUID | None = Field(description="The crm customer, when one is known")
    need: str
    source: str
    estimated_value: MoneyModel
    judged_by: str | None = Field(description="Who qualified or discarded it last")
    judgement: str | None = Field(description="The note of a qualification, the discard reasons")
    converted_project_id: UUID | None = Field(
        description="The first approved project the lead became: its finder is rewarded"
    )
    converted_at: datetime | None
    created_at: datetime


LEADS = ListQuery(
    "leads",
    filters=["department", "finder", "state", "customer_id"],
    sorts=["created_at", "customer"],
    text=["customer", "need", "source"],
    default_sort="-created_at",
)


def _lead(r: asyncpg.Record) -> LeadView:
    return LeadView(
        **{
            k: r[k]
            for k in (
                "id",
                "version",
                "state",
                "finder",
                "department",
                "customer",
                "customer_id",
                "need",
                "source",
                "judged_by",
                "judgement",
                "converted_project_id",
                "converted_at",
                "created_at",
            )
        },
        estimated_value=money_of(r, "estimated_value"),
    )


@router.post(
    "/leads",
    status_code=201,
    response_model=Accepted,
    tags=["leads"],
    summary="Submit a lead (any employee)",
)
def submit_lead(body: LeadIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.submit_lead(
        actor,
        body.customer,
        body.need,
        body.source,
        body.estimated_value.to_money(),
        body.customer_id,
    )
    return cmd.accepted(result)


@router.post(
    "/leads/{lead_id}/qualify",
    response_model=Accepted,
    tags=["leads"],
    summary="Qualify a lead, naming its crm customer if known (head of the finder's "
    "department or management; never the finder)",
)
def qualify_lead(lead_id: UUID, body: QualifyIn, actor: CurrentActor, cmd: Change) -> Accepted:
    result = cmd.app.qualify_lead(
        actor, lead_id, cmd.version, note=body.note, customer_id=body.customer_id
    )
    return cmd.accepted(result)


@router.post(
    "/leads/{lead_id}/discard",
    response_model=Accepted,
    tags=["leads"],
    summary="Discard a lead with reasons (head of the finder's department or management; "
    "never the finder)",
)
def discard_lead(lead_id: UUID, body: DiscardIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(Lead, lead_id, lambda lead: lead.discard(actor, reasons=body.reasons))


@router.get("/leads", response_model=Page[LeadView], tags=["leads"])
async def list_leads(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(LEADS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    department: Name | None = None,
    finder: Name | None = None,
    state: LeadState | None = None,
    customer_id: UUID | None = None,
) -> Page[LeadView]:
    where = {
        "department": department,
        "finder": finder,
        "state": state.value if state else None,
        "customer_id": customer_id,
    }
    return await page_of(rt, LEADS, page, consistency, where, _lead)


RecordRoutes(router, "/leads/{lead_id}", "lead", ["leads"]).detail("leads", LeadView, _lead)


class InsightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: InsightKind
    title: Title
    content: Text


class InsightView(BaseModel):
    id: UUID
    version: int
    recorded_by: str
    department: str
    kind: InsightKind
    title: str
    content: str
    created_at: datetime


INSIGHTS = ListQuery(
    "market_insights",
    filters=["kind"],
    sorts=["created_at", "title"],
    text=["title", "content"],
    default_sort="-created_at",
)


@router.post(
    "/market-insights",
    status_code=201,
    response_model=Accepted,
    tags=["market insights"],
    summary="Record market information (market department)",
)
def record_insight(body: InsightIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.record_market_insight(actor, body.kind.value, body.title, body.content)
    return cmd.accepted(result)


@router.get("/market-insights", response_model=Page[InsightView], tags=["market insights"])
async def list_insights(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(INSIGHTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    kind: InsightKind | None = None,
) -> Page[InsightView]:
    return await page_of(
        rt, INSIGHTS, page, consistency, {"kind": kind.value if kind else None}, InsightView
    )
