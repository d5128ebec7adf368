"""Periodic identification (REGULATIONS 5.1): the risk officer opens a round for a period and
the departments asked; each head submits the department's risks or declares none; a late
department is in its head's /inbox and flagged once (IdentificationOverdue)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    MinVersion,
    ReadConsistency,
    RuntimeDep,
    one_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, PageParams
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Actor, Forbidden, Role
from bizdev_common.readmodel import Condition, ListQuery, Page
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_risk.api.common import Change, Create, reads_all

router = APIRouter(route_class=CommandRoute)


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period_start: Day
    period_end: Day
    departments: list[Name] = Field(min_length=1, max_length=100)
    due_on: Day = Field(description="When the submissions are due; today or later")


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: Name = Field(description="The head's department")
    risk_ids: list[UUID] = Field(
        default_factory=list, max_length=500, description="The department's risks identified"
    )
    declared_none: bool = Field(default=False, description="The department has none")


class DepartmentView(BaseModel):
    department: str
    state: Literal["awaiting", "submitted"]
    overdue: bool = Field(description="Flagged: not submitted by the due date")
    risk_ids: list[UUID]
    declared_none: bool
    late: bool
    submitted_by: str | None
    submitted_at: datetime | None


class RoundView(BaseModel):
    id: UUID
    version: int
    period_start: date
    period_end: date
    due_on: date
    departments: list[str]
    opened_by: str
    created_at: datetime
    updated_at: datetime


class RoundDetail(RoundView):
    submissions: list[DepartmentView]


ROUNDS = ListQuery(
    "rounds",
    filters=[],
    sorts=["created_at", "due_on", "period_start"],
    text=["opened_by"],
    default_sort="-created_at",
)


@router.post(
    "/identification-rounds",
    status_code=201,
    response_model=Accepted,
    tags=["identification"],
    summary="Open an identification round (risk officer)",
    description="Publishes IdentificationRoundOpened; each department asked finds it in its "
    "head's /inbox.",
)
def open_round(body: RoundIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.open_round(
        actor,
        period_start=body.period_start,
        period_end=body.period_end,
        departments=body.departments,
        due_on=body.due_on,
    )
    return cmd.accepted(result)


@router.post(
    "/identification-rounds/{round_id}/submissions",
    response_model=Accepted,
    tags=["identification"],
    summary="Submit the department's risks, or declare none (the department's head)",
    description="Publishes IdentificationSubmitted; the risks must be the department's.",
)
def submit(round_id: UUID, body: SubmissionIn, actor: CurrentActor, cmd: Change) -> Accepted:
    result = cmd.app.submit_identification(
        actor,
        round_id,
        cmd.version,
        department=body.department,
        risk_ids=body.risk_ids,
        declared_none=body.declared_none,
    )
    return cmd.accepted(result)


def _require_sees_round(actor: Actor, row: asyncpg.Record) -> None:
    if reads_all(actor):
        return
    if actor.has(Role.DEPARTMENT_HEAD) and actor.department in row["departments"]:
        return
    raise Forbidden("a round is read by the risk officer, management, the auditor and its heads")


@router.get(
    "/identification-rounds",
    response_model=Page[RoundView],
    tags=["identification"],
    summary="Identification rounds (a head sees those that ask their department)",
)
async def list_rounds(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(ROUNDS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
) -> Page[RoundView]:
    if reads_all(actor):
        condition = None
    elif actor.has(Role.DEPARTMENT_HEAD):
        condition = Condition("{} = ANY(departments)", (actor.department,))
    else:
        raise Forbidden("rounds are read by the risk officer, management, the auditor and heads")
    return await page_of(rt, ROUNDS, page, consistency, {"visible": condition}, RoundView)


@router.get(
    "/identification-rounds/{round_id}", response_model=RoundDetail, tags=["identification"]
)
async def get_round(
    round_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    response: Response,
    min_version: MinVersion = None,
) -> RoundDetail:
    row = await one_of(rt, "rounds", round_id, min_version, response)
    _require_sees_round(actor, row)
    rows = await rt.pool.fetch(
        f'SELECT * FROM "{rt.settings.schema_name}".round_departments WHERE round_id = $1 '
        "ORDER BY department",
        round_id,
    )
    return RoundDetail(
        **RoundView.model_validate(dict(row)).model_dump(),
        submissions=[DepartmentView.model_validate(dict(r)) for r in rows],
    )
