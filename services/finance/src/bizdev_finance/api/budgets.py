"""Budgets (REGULATIONS 7.1): opened from projects' approved plans, approved and revised by
finance; every version kept, with its changes line by line."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ReadConsistency,
    RuntimeDep,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import MoneyIn, Name, PageParams, Percent, Text, percent
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_finance.api.access import Reach, guard_budget
from bizdev_finance.api.common import Change
from bizdev_finance.domain import Budget, BudgetState, PlannedLine, variance_percent
from bizdev_finance.published import BudgetLineModel, LineChange

router = APIRouter(route_class=CommandRoute)


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contingency_percent: Percent = Field(
        description="Allowance for price swings in percent of each line (0 to 100)"
    )


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: UUID = Field(description="The line's id: an existing one to keep it, a new one to add")
    category: Name = Field(description="marketing, personnel, operations or procurement")
    amount: MoneyIn = Field(description="Amount budgeted, more than zero")


class ReviseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text
    lines: list[LineIn] = Field(min_length=1, max_length=200, description="Every line after it")
    contingency_percent: Percent


class LineView(BaseModel):
    line_id: UUID
    category: str
    budget: MoneyModel
    committed: MoneyModel = Field(description="Approved (within budget or by management), unpaid")
    actual: MoneyModel = Field(description="Posted: paid")
    pending: MoneyModel = Field(description="Held for management's approval")
    remaining: MoneyModel = Field(
        description="Budget minus committed and actual (negative when overrun)"
    )
    variance: MoneyModel = Field(description="Budget minus actual (negative: overrun)")
    variance_percent: Decimal | None = Field(
        description="The variance in percent of the budget, rounded to 2 places; null at 0"
    )


class VersionView(BaseModel):
    budget_version: int
    plan_revision: int
    reason: str | None
    lines: list[BudgetLineModel]
    changes: list[LineChange]
    approved_by: str | None
    contingency_percent: Decimal | None
    opened_at: datetime


class BudgetSummary(BaseModel):
    id: UUID
    version: int
    project_id: UUID
    project_name: str
    department: str
    plan_revision: int
    budget_version: int
    state: BudgetState
    contingency_percent: Decimal
    created_at: datetime
    updated_at: datetime


class BudgetView(BudgetSummary):
    lines: list[LineView] = Field(description="The lines of the version in force")
    versions: list[VersionView] = Field(description="Every version, oldest first")


class BudgetAsOf(BaseModel):
    """The budget as it stood at a version or moment (from its events)."""

    id: UUID
    version: int
    project_id: UUID
    plan_revision: int
    budget_version: int
    state: BudgetState
    contingency_percent: Decimal
    lines: list[BudgetLineModel]
    modified_on: datetime


BUDGETS = ListQuery(
    "budgets",
    filters=["state", "project_id", "department"],
    sorts=["created_at", "updated_at", "project_name"],
    text=["project_name"],
    default_sort="-created_at",
)


@router.post(
    "/budgets/{budget_id}/approve",
    response_model=Accepted,
    tags=["budgets"],
    summary="Approve the draft version, with its contingency (finance)",
    description="Publishes BudgetApproved.",
)
def approve_budget(budget_id: UUID, body: ApproveIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Budget, budget_id, lambda budget: budget.approve(actor, percent(body.contingency_percent))
    )


@router.post(
    "/budgets/{budget_id}/revise",
    response_model=Accepted,
    tags=["budgets"],
    summary="Revise the approved budget with a reason: its next version (finance)",
    description="Publishes BudgetRevised with the changes line by line.",
)
def revise_budget(budget_id: UUID, body: ReviseIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Budget,
        budget_id,
        lambda budget: budget.revise(
            actor,
            reason=body.reason,
            lines=[PlannedLine(x.line_id, x.category, x.amount.to_money()) for x in body.lines],
            contingency_percent=percent(body.contingency_percent),
        ),
    )


@router.get(
    "/budgets",
    response_model=Page[BudgetSummary],
    tags=["budgets"],
    summary="Budgets: all for management, finance and auditors; a department head's "
    "department's; a team lead's projects'",
)
async def list_budgets(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(BUDGETS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    state: BudgetState | None = None,
    project_id: UUID | None = None,
    department: Name | None = None,
) -> Page[BudgetSummary]:
    where = {
        "state": state.value if state else None,
        "project_id": project_id,
        "department": department,
        "reach": Reach.of(rt, actor).projects(),
    }
    return await page_of(rt, BUDGETS, page, consistency, where, BudgetSummary)


async def _budget_view(rt: Runtime[Any, Any], actor: Actor, row: asyncpg.Record) -> BudgetView:
    schema = f'"{rt.settings.schema_name}"'
    async with rt.pool.acquire() as conn:
        lines = await conn.fetch(
            f"SELECT * FROM {schema}.budget_lines WHERE budget_id = $1 AND in_force "
            "ORDER BY category, line_id",
            row["id"],
        )
        versions = await conn.fetch(
            f"SELECT * FROM {schema}.budget_versions WHERE budget_id = $1 ORDER BY budget_version",
            row["id"],
        )
    return BudgetView.model_validate(
        {
            **dict(row),
            "lines": [
                {
                    "line_id": x["line_id"],
                    "category": x["category"],
                    "budget": MoneyModel(amount=x["budget_amount"], currency=x["currency"]),
                    "committed": MoneyModel(amount=x["committed_amount"], currency=x["currency"]),
                    "actual": MoneyModel(amount=x["actual_amount"], currency=x["currency"]),
                    "pending": MoneyModel(amount=x["pending_amount"], currency=x["currency"]),
                    "remaining": MoneyModel(
                        amount=x["budget_amount"] - x["committed_amount"] - x["actual_amount"],
                        currency=x["currency"],
                    ),
                    "variance": MoneyModel(
                        amount=x["budget_amount"] - x["actual_amount"], currency=x["currency"]
                    ),
                    "variance_percent": variance_percent(x["budget_amount"], x["actual_amount"]),
                }
                for x in lines
            ],
            "versions": [
                {**dict(v), "lines": json.loads(v["lines"]), "changes": json.loads(v["changes"])}
                for v in versions
            ],
        }
    )


def _budget_as_of(b: Budget) -> BudgetAsOf:
    return BudgetAsOf(
        id=b.id,
        version=b.version,
        project_id=b.project_id,
        plan_revision=b.plan_revision,
        budget_version=b.budget_version,
        state=b.state,
        contingency_percent=b.contingency_percent,
        lines=[
            BudgetLineModel(
                line_id=p.line_id,
                category=p.category,
                amount=MoneyModel(amount=p.amount.amount, currency=p.amount.currency),
            )
            for p in b.lines.values()
        ],
        modified_on=b.modified_on,
    )


BUDGET = RecordRoutes(router, "/budgets/{budget_id}", "budget", ["budgets"], guard=guard_budget)
BUDGET.detail("budgets", BudgetView, read=_budget_view)
BUDGET.history(Budget, summary=EVERY_EVENT)
BUDGET.as_of(Budget, BudgetAsOf, _budget_as_of, summary="The budget as of a version or a time")
