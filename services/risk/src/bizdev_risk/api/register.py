"""The register (REGULATIONS 5.1, 5.2): risks identified, assessed on the matrix (inherent and
residual, with scenario analyses), their response and its sign-off, closing; the register's
list, a risk's detail and full history, and the heat map."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    HistoryEvent,
    MinVersion,
    ReadConsistency,
    RuntimeDep,
    history_of,
    one_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import MoneyIn, Name, Note, PageParams, Percent, Text, Title, percent
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_risk.api.common import App, Change, Create, require_sees_risk, visible_risks
from bizdev_risk.domain import Assessment, Category, Level, Risk, Scenario, Scope, Strategy

router = APIRouter(route_class=CommandRoute)


class RiskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category
    scope: Scope = Field(description="What it is against")
    project_id: UUID | None = Field(default=None, description="The project, for scope project")
    customer_id: UUID | None = Field(
        default=None, description="crm's customer id, for scope customer (no personal data)"
    )
    department: Name = Field(description="The department whose risk it is")
    title: Title
    description: Text
    cause: Text


class ScenarioIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: Text = Field(description="What could happen")
    probability: Percent = Field(description="How likely, in percent")
    impact: MoneyIn = Field(description="What it would cost")


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assessment: Assessment = Field(description="inherent (before the response) or residual")
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    scenarios: list[ScenarioIn] = Field(default_factory=list, max_length=20)
    note: Note = ""


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    strategy: Strategy
    reason: Text = Field(description="Why this strategy (and why the change, if it is one)")


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class ScenarioView(BaseModel):
    scenario: str
    probability: Decimal
    impact: MoneyModel


class AssessmentView(BaseModel):
    version: int
    assessment: Assessment
    likelihood: int
    impact: int
    score: int
    level: Level
    scenarios: list[ScenarioView]
    note: str
    assessed_by: str
    assessed_at: datetime


class ResponseView(BaseModel):
    version: int
    strategy: Strategy
    previous: Strategy | None
    reason: str
    level: Level
    sign_off_required: bool
    decided_by: str
    decided_at: datetime


class MeasureView(BaseModel):
    id: UUID
    risk_id: UUID
    description: str
    department: str
    person: str
    due_on: date
    state: Literal["open", "completed"]
    overdue: bool = Field(description="Flagged: not completed by its due date")
    next_review_at: datetime
    review_overdue: bool = Field(description="Flagged: its review not held in time")
    reviews: int
    last_effective: bool | None
    completed_at: datetime | None
    added_at: datetime


class Cell(BaseModel):
    likelihood: int
    impact: int
    score: int
    level: Level


class RiskView(BaseModel):
    id: UUID
    version: int
    category: Category
    scope: Scope
    project_id: UUID | None
    customer_id: UUID | None
    department: str | None
    title: str
    description: str
    cause: str
    source: Literal["person", "kri"]
    raised_by: str | None
    state: Literal["open", "closed"]
    inherent: Cell | None
    residual: Cell | None
    score: int | None
    level: Level | None = Field(description="The residual assessment's, else the inherent's")
    strategy: Strategy | None
    strategy_reason: str | None
    response_state: Literal["none", "awaiting_sign_off", "in_force"]
    proposed_by: str | None
    signed_off_by: str | None
    closed_reason: str | None
    created_at: datetime
    updated_at: datetime


class RiskDetail(RiskView):
    assessments: list[AssessmentView]
    responses: list[ResponseView]
    measures: list[MeasureView]
    alerts: list[UUID]


def _cell(r: asyncpg.Record, p: str) -> Cell | None:
    if r[f"{p}_score"] is None:
        return None
    return Cell(
        likelihood=r[f"{p}_likelihood"],
        impact=r[f"{p}_impact"],
        score=r[f"{p}_score"],
        level=r[f"{p}_level"],
    )


def risk_view(r: asyncpg.Record) -> RiskView:
    return RiskView.model_validate(
        {**dict(r), "inherent": _cell(r, "inherent"), "residual": _cell(r, "residual")}
    )


RISKS = ListQuery(
    "risks",
    filters=[
        "category",
        "scope",
        "state",
        "level",
        "strategy",
        "response_state",
        "department",
        "project_id",
        "customer_id",
        "source",
    ],
    sorts=["created_at", "updated_at", "score", "title"],
    text=["title", "description", "cause"],
    default_sort="-created_at",
)


@router.post(
    "/risks",
    status_code=201,
    response_model=Accepted,
    tags=["register"],
    summary="Identify a risk (risk officer, management, or its department's head)",
    description="Publishes RiskRaised. Against a project, a customer (its crm id only) or the "
    "company.",
)
def identify(body: RiskIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.identify_risk(
        actor,
        category=body.category,
        scope=body.scope,
        project_id=body.project_id,
        customer_id=body.customer_id,
        department=body.department,
        title=body.title,
        description=body.description,
        cause=body.cause,
    )
    return cmd.accepted(result)


@router.post(
    "/risks/{risk_id}/assessments",
    response_model=Accepted,
    tags=["register"],
    summary="Assess a risk on the 5x5 matrix, inherent or residual (risk officer)",
    description="Publishes RiskAssessed; every reassessment is kept. The level follows the "
    "configured boundaries (GET /matrix).",
)
def assess(risk_id: UUID, body: AssessmentIn, actor: CurrentActor, cmd: Change) -> Accepted:
    result = cmd.app.assess_risk(
        actor,
        risk_id,
        cmd.version,
        assessment=body.assessment,
        likelihood=body.likelihood,
        impact=body.impact,
        scenarios=[
            Scenario(s.scenario, percent(s.probability), s.impact.to_money())
            for s in body.scenarios
        ],
        note=body.note,
    )
    return cmd.accepted(result)


@router.post(
    "/risks/{risk_id}/response",
    response_model=Accepted,
    tags=["register"],
    summary="Choose the risk's strategy, or change it, with a reason (risk officer, head)",
    description="Publishes ResponsePlanned, or StrategyChanged. `accept` at level high or "
    "above waits for management's sign-off.",
)
def plan_response(risk_id: UUID, body: ResponseIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Risk, risk_id, lambda risk: risk.plan_response(actor, body.strategy, body.reason)
    )


@router.post(
    "/risks/{risk_id}/sign-off",
    response_model=Accepted,
    tags=["register"],
    summary="Sign off accepting a risk at level high or above (management, not its proposer)",
    description="Publishes AcceptanceSignedOff.",
)
def sign_off(risk_id: UUID, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(Risk, risk_id, lambda risk: risk.sign_off(actor))


@router.post(
    "/risks/{risk_id}/close",
    response_model=Accepted,
    tags=["register"],
    summary="Close a risk with a reason (risk officer)",
    description="Publishes RiskClosed; refused while an acceptance waits for its sign-off.",
)
def close(risk_id: UUID, body: CloseIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.accepted(cmd.app.close_risk(actor, risk_id, cmd.version, body.reason))


@router.get(
    "/risks",
    response_model=Page[RiskView],
    tags=["register"],
    summary="The register, filtered; what the caller may read of it",
)
async def list_risks(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(RISKS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    category: Category | None = None,
    scope: Scope | None = None,
    state: Literal["open", "closed"] | None = None,
    level: Level | None = None,
    strategy: Strategy | None = None,
    response_state: Literal["none", "awaiting_sign_off", "in_force"] | None = None,
    department: Name | None = None,
    project_id: UUID | None = None,
    customer_id: UUID | None = None,
    source: Literal["person", "kri"] | None = None,
) -> Page[RiskView]:
    where: dict[str, Any] = {
        "category": category,
        "scope": scope,
        "state": state,
        "level": level,
        "strategy": strategy,
        "response_state": response_state,
        "department": department,
        "project_id": project_id,
        "customer_id": customer_id,
        "source": source,
    }
    where["visible"] = visible_risks(actor)
    return await page_of(rt, RISKS, page, consistency, where, risk_view)


async def _risk_row(
    rt: Runtime[Any, Any],
    actor: Actor,
    risk_id: UUID,
    min_version: int | None,
    response: Response,
) -> asyncpg.Record:
    row = await one_of(rt, "risks", risk_id, min_version, response)
    require_sees_risk(actor, row)
    return row


@router.get("/risks/{risk_id}", response_model=RiskDetail, tags=["register"])
async def get_risk(
    risk_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> RiskDetail:
    row = await _risk_row(rt, actor, risk_id, min_version, response)
    schema = f'"{rt.settings.schema_name}"'
    assessments = await rt.pool.fetch(
        f"SELECT * FROM {schema}.risk_assessments WHERE risk_id = $1 ORDER BY version", risk_id
    )
    responses = await rt.pool.fetch(
        f"SELECT * FROM {schema}.risk_responses WHERE risk_id = $1 ORDER BY version", risk_id
    )
    measures = await rt.pool.fetch(
        f"SELECT * FROM {schema}.measures WHERE risk_id = $1 ORDER BY added_at, id", risk_id
    )
    alerts = await rt.pool.fetch(
        f"SELECT id FROM {schema}.alerts WHERE risk_id = $1 ORDER BY at, id", risk_id
    )
    return RiskDetail(
        **risk_view(row).model_dump(),
        assessments=[
            AssessmentView.model_validate({**dict(a), "scenarios": _json(a["scenarios"])})
            for a in assessments
        ],
        responses=[ResponseView.model_validate(dict(x)) for x in responses],
        measures=[MeasureView.model_validate(dict(m)) for m in measures],
        alerts=[a["id"] for a in alerts],
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@router.get(
    "/risks/{risk_id}/history",
    response_model=list[HistoryEvent],
    tags=["register"],
    summary="Every event of the risk: who, when and why (assessments, strategy changes, ...)",
)
async def risk_history(
    risk_id: UUID, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> list[HistoryEvent]:
    await _risk_row(rt, actor, risk_id, None, response)
    return await history_of(rt, Risk, risk_id)


class HeatCell(BaseModel):
    likelihood: int
    impact: int
    score: int
    level: Level
    count: int = Field(description="Open risks in the cell")


class HeatMap(BaseModel):
    assessment: Assessment
    cells: list[HeatCell] = Field(description="All 25 cells, likelihood then impact")
    unassessed: int = Field(description="Open risks with no such assessment yet")


@router.get(
    "/risk-heat-map",
    response_model=HeatMap,
    tags=["register"],
    summary="Open risks per cell of the matrix, by their inherent or residual assessment",
)
async def heat_map(
    actor: CurrentActor,
    rt: RuntimeDep,
    app: App,
    assessment: Assessment = Assessment.INHERENT,
    category: Category | None = None,
    department: Name | None = None,
) -> HeatMap:
    p = assessment.value
    clauses: list[str] = ["state = 'open'"]
    args: list[Any] = []
    condition = visible_risks(actor)
    if condition is not None:
        clauses.append(condition.render(args))
    for column, value in (("category", category), ("department", department)):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    rows = await rt.pool.fetch(
        f"SELECT {p}_likelihood AS l, {p}_impact AS i, count(*) AS n "
        f'FROM "{rt.settings.schema_name}".risks WHERE {" AND ".join(clauses)} '
        "GROUP BY 1, 2",
        *args,
    )
    counts = {(r["l"], r["i"]): r["n"] for r in rows}
    matrix = app.matrix
    return HeatMap(
        assessment=assessment,
        cells=[
            HeatCell(
                likelihood=lk,
                impact=im,
                score=lk * im,
                level=matrix.level(lk * im),
                count=counts.get((lk, im), 0),
            )
            for lk in range(1, 6)
            for im in range(1, 6)
        ],
        unassessed=counts.get((None, None), 0),
    )


class MatrixView(BaseModel):
    medium_from: int
    high_from: int
    critical_from: int
    review_days: dict[Level, int] = Field(description="Days between reviews of a measure")


@router.get(
    "/matrix",
    response_model=MatrixView,
    tags=["register"],
    summary="The level boundaries and review cadence in force (settings)",
)
async def matrix(actor: CurrentActor, app: App) -> MatrixView:
    return MatrixView(
        medium_from=app.matrix.medium_from,
        high_from=app.matrix.high_from,
        critical_from=app.matrix.critical_from,
        review_days=app.cadence,
    )
