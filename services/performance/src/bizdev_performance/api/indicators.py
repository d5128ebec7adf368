"""Indicators (REGULATIONS 8.1), their targets per person, team or department and period,
market share entered by the market department, and attainment read from the events (8.3)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from bizdev_common.api import Accepted, ReadConsistency, RuntimeDep, page_of, schema_of
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Line, Name, PageParams, Percent, Text, Title, percent
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import RuleViolation
from bizdev_common.readmodel import Condition, ListQuery, Page, wait_for
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_performance.api.access import Reach, guard_target
from bizdev_performance.api.common import Create, DecimalIn
from bizdev_performance.attainment import attained
from bizdev_performance.domain import Indicator, Target
from bizdev_performance.domain.values import (
    PERIOD_PATTERN,
    Direction,
    IndicatorKind,
    Measure,
    SubjectKind,
)
from bizdev_performance.published import Number

router = APIRouter(route_class=CommandRoute)

Period = Annotated[
    str,
    Field(pattern=PERIOD_PATTERN, description="YYYY, YYYY-Qn or YYYY-MM", examples=["2026-Q4"]),
]


class IndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Title
    kind: IndicatorKind
    measure: Measure | None = Field(
        default=None,
        description="Where actuals come from; the kind's own by default (sales: "
        "contract_value), required for custom",
    )
    unit: Name = Field(description="A currency code for money measures; else e.g. 'score', '%'")
    direction: Direction = Direction.HIGHER_IS_BETTER
    description: Line = ""


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator_id: UUID
    subject_kind: SubjectKind
    subject: Name = Field(description="User id, project id (a team) or department name")
    period: Period
    value: DecimalIn = Field(description="More than zero, in the indicator's unit")
    basis: Text = Field(description="The business goals and job duties it is set from")
    reason: Text | None = Field(default=None, description="Required when revising a target")


class MarketShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_kind: SubjectKind
    subject: Name
    period: Period
    percent: Percent
    source: Text = Field(description="Where the figure comes from")


class IndicatorView(BaseModel):
    id: UUID
    version: int
    name: str
    kind: IndicatorKind
    measure: Measure
    unit: str
    direction: Direction
    description: str
    created_at: datetime
    updated_at: datetime


class AttainmentView(BaseModel):
    target_id: UUID
    version: int = Field(description="The target's version")
    indicator_id: UUID
    indicator: str
    measure: Measure
    unit: str
    direction: Direction
    subject_kind: SubjectKind
    subject: str
    subject_department: str | None
    period: str
    first_day: date
    last_day: date
    target: Number
    actual: Number | None = Field(description="From the events; null when nothing measured")
    facts: int = Field(description="How many events the actual is made of")
    attainment: Number | None = Field(description="Percent of the target, capped at 150")


class MarketShareView(BaseModel):
    id: UUID
    version: int
    subject_kind: SubjectKind
    subject: str
    period: str
    percent: Number
    source: str
    recorded_by: str
    updated_at: datetime


@router.post(
    "/indicators",
    status_code=201,
    response_model=Accepted,
    tags=["indicators"],
    summary="Define an indicator (hr or management)",
)
def define(body: IndicatorIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.define_indicator(
        actor,
        name=body.name,
        kind=body.kind,
        measure=body.measure,
        unit=body.unit,
        direction=body.direction,
        description=body.description,
    )
    return cmd.accepted(result)


INDICATORS = ListQuery(
    "indicators",
    filters=["kind", "measure"],
    sorts=["name", "kind", "created_at"],
    text=["name", "description"],
    default_sort="name",
)


@router.get("/indicators", response_model=Page[IndicatorView], tags=["indicators"])
async def list_indicators(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(INDICATORS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    kind: IndicatorKind | None = None,
    measure: Measure | None = None,
) -> Page[IndicatorView]:
    where = {"kind": kind and kind.value, "measure": measure and measure.value}
    return await page_of(rt, INDICATORS, page, consistency, where, IndicatorView)


INDICATOR = RecordRoutes(router, "/indicators/{indicator_id}", "indicator", ["indicators"])
INDICATOR.detail("indicators", IndicatorView, lambda r: IndicatorView.model_validate(dict(r)))
INDICATOR.history(Indicator, summary=EVERY_EVENT)


@router.put(
    "/targets",
    response_model=Accepted,
    tags=["indicators"],
    summary="Set (or revise, with a reason) a target (hr, management, the subject's "
    "department head)",
    description="Publishes TargetSet, or TargetRevised.",
)
async def set_target(body: TargetIn, actor: CurrentActor, rt: RuntimeDep, cmd: Create) -> Accepted:
    team_department = None
    if body.subject_kind is SubjectKind.TEAM:
        # A team is a project's, known from projects' events: its department is theirs.
        team_department = await rt.pool.fetchval(
            f"SELECT department FROM {schema_of(rt)}.projects WHERE id::text = $1", body.subject
        )
        if team_department is None:
            raise RuleViolation("subject", f"no team of a project {body.subject} is known")
    result = await run_in_threadpool(
        cmd.app.set_target,
        actor,
        indicator_id=body.indicator_id,
        subject_kind=body.subject_kind,
        subject=body.subject,
        subject_department=team_department,
        period=body.period,
        value=Decimal(body.value),
        basis=body.basis,
        reason=body.reason,
    )
    return cmd.accepted(result)


TARGET = RecordRoutes(router, "/targets/{target_id}", "target", ["indicators"], guard=guard_target)
TARGET.history(
    Target, summary="Every value the target had, who set it and why (a person's: who needs to know)"
)


@router.get(
    "/attainment",
    response_model=list[AttainmentView],
    tags=["indicators"],
    summary="Attainment per indicator, subject and period, from the events (always current)",
    description="A person's attainment is shown to who may read their evaluation; a team's "
    "and a department's to everyone.",
)
async def attainment(
    actor: CurrentActor,
    rt: RuntimeDep,
    consistency: Annotated[ReadConsistency, Query()],
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    subject_kind: SubjectKind | None = None,
    subject: Name | None = None,
    indicator_id: UUID | None = None,
    subject_department: Name | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[AttainmentView]:
    await wait_for(
        rt.pool, rt.settings.schema_name, "targets", consistency.wait_for,
        consistency.min_version, rt.settings.read_wait_max_seconds,
    )  # fmt: skip
    where = {
        "period": period,
        "subject_kind": subject_kind and subject_kind.value,
        "subject": subject,
        "indicator_id": indicator_id,
        "subject_department": subject_department,
    }
    reach = await Reach.of(rt, actor)
    mine = reach.people("t.subject", "t.subject_department")
    # A team's and a department's attainment is everyone's; a person's, need to know.
    restrict = (
        None if mine is None else Condition(f"t.subject_kind <> 'person' OR {mine.sql}", mine.args)
    )
    rows = await attained(
        rt.pool,
        rt.settings.schema_name,
        where,
        restrict=restrict,
        limit=limit,
        offset=offset,
    )
    return [AttainmentView.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/market-shares",
    response_model=Accepted,
    tags=["indicators"],
    summary="Enter a market share with its source (the market department)",
    description="The one actual entered by hand (REGULATIONS 8.3). Publishes MarketShareRecorded.",
)
def record_market_share(body: MarketShareIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.record_market_share(
        actor,
        subject_kind=body.subject_kind,
        subject=body.subject,
        period=body.period,
        percent=percent(body.percent),
        source=body.source,
    )
    return cmd.accepted(result)


MARKET_SHARES = ListQuery(
    "market_shares",
    filters=["period", "subject_kind", "subject"],
    sorts=["period", "subject", "updated_at"],
    text=["subject", "source"],
    default_sort="-updated_at",
)


@router.get("/market-shares", response_model=Page[MarketShareView], tags=["indicators"])
async def list_market_shares(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(MARKET_SHARES.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    subject_kind: SubjectKind | None = None,
    subject: Name | None = None,
) -> Page[MarketShareView]:
    where = {
        "period": period,
        "subject_kind": subject_kind and subject_kind.value,
        "subject": subject,
    }
    return await page_of(rt, MARKET_SHARES, page, consistency, where, MarketShareView)
