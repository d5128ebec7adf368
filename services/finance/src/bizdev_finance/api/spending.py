"""Spending (REGULATIONS 7.2): expenses booked against a budget line. Within the line's
budget plus contingency one is committed; beyond, it is held for management, who approve
(it is committed) or refuse it. Finance records a committed expense's payment: it is posted,
an actual cost."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    ReadConsistency,
    RuntimeDep,
    money_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, MoneyIn, Name, PageParams, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.readmodel import ListQuery, Page
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_finance.api.access import Reach
from bizdev_finance.api.common import Change
from bizdev_finance.domain import Budget, ExpenseState

router = APIRouter(route_class=CommandRoute)


class ExpenseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: UUID = Field(description="The budget line it is booked against")
    amount: MoneyIn = Field(description="More than zero, in the line's currency")
    spent_on: Day
    vendor: Title
    description: Text
    reason: Text | None = Field(
        default=None, description="Why it goes beyond the budget: required when it does"
    )
    necessity: Text | None = Field(
        default=None, description="Why it is necessary: required when it goes beyond the budget"
    )


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paid_on: Day = Field(
        description="The day it was paid: from the day it was spent to today, in a period "
        "still open"
    )


class ExpenseAccepted(BaseModel):
    """The budget's new version, and the expense's id."""

    id: UUID = Field(description="The budget")
    version: int
    expense_id: UUID


class ExpenseView(BaseModel):
    id: UUID
    budget_id: UUID
    project_id: UUID
    line_id: UUID
    category: str
    amount: MoneyModel
    spent_on: date
    paid_on: date | None = Field(description="When it was paid (posted); null until then")
    vendor: str
    description: str
    requester: str
    state: ExpenseState
    reason: str | None
    necessity: str | None
    decided_by: str | None
    refusal_reason: str | None
    recorded_at: datetime


def expense_view(r: asyncpg.Record) -> ExpenseView:
    return ExpenseView.model_validate({**dict(r), "amount": money_of(r, "amount")})


EXPENSES = ListQuery(
    "expenses",
    filters=["budget_id", "project_id", "line_id", "state", "requester", "category"],
    sorts=["recorded_at", "spent_on", "amount_amount"],
    text=["vendor", "description"],
    default_sort="-recorded_at",
)


@router.post(
    "/budgets/{budget_id}/expenses",
    status_code=201,
    response_model=ExpenseAccepted,
    tags=["spending"],
    summary="Record an expense against a line (you are its requester)",
    description="Booked by the project's team (its lead and members, as projects' team events "
    "told finance), the head of its department or finance; anyone else is a 403. Committed "
    "(ExpenseCommitted) when the line's committed plus actual stays within budget plus "
    "contingency; otherwise held pending approval (ExpenseHeldForApproval), which needs "
    "`reason` and `necessity`, for management other than its requester. Refused (422 naming "
    "`spent_on`) when its month is closed.",
)
def record_expense(
    budget_id: UUID, body: ExpenseIn, actor: CurrentActor, cmd: Change
) -> ExpenseAccepted:
    result, expense_id = cmd.app.record_expense(
        actor,
        budget_id,
        cmd.version,
        line_id=body.line_id,
        amount=body.amount.to_money(),
        spent_on=body.spent_on,
        vendor=body.vendor,
        description=body.description,
        reason=body.reason,
        necessity=body.necessity,
    )
    done = cmd.accepted(result)
    return ExpenseAccepted(id=done.id, version=done.version, expense_id=expense_id)


@router.post(
    "/budgets/{budget_id}/expenses/{expense_id}/approve",
    response_model=ExpenseAccepted,
    tags=["spending"],
    summary="Approve a held expense beyond the budget (management, never its requester)",
    description="Publishes OverspendApproved and ExpenseCommitted.",
)
def approve_overspend(
    budget_id: UUID, expense_id: UUID, actor: CurrentActor, cmd: Change
) -> ExpenseAccepted:
    done = cmd.act(Budget, budget_id, lambda budget: budget.approve_overspend(actor, expense_id))
    return ExpenseAccepted(id=done.id, version=done.version, expense_id=expense_id)


@router.post(
    "/budgets/{budget_id}/expenses/{expense_id}/refuse",
    response_model=ExpenseAccepted,
    tags=["spending"],
    summary="Refuse a held expense with a reason (management, never its requester)",
)
def refuse_overspend(
    budget_id: UUID, expense_id: UUID, body: ReasonIn, actor: CurrentActor, cmd: Change
) -> ExpenseAccepted:
    done = cmd.act(
        Budget, budget_id, lambda budget: budget.refuse_overspend(actor, expense_id, body.reason)
    )
    return ExpenseAccepted(id=done.id, version=done.version, expense_id=expense_id)


@router.post(
    "/budgets/{budget_id}/expenses/{expense_id}/pay",
    response_model=ExpenseAccepted,
    tags=["spending"],
    summary="Record the payment of a committed expense: it is posted, an actual cost (finance)",
    description="Publishes ExpensePosted, and BudgetLineOverrun when the line's actual passes "
    "its budget. Refused (422 naming `paid_on`) when the payment's month is closed.",
)
def pay_expense(
    budget_id: UUID, expense_id: UUID, body: PaymentIn, actor: CurrentActor, cmd: Change
) -> ExpenseAccepted:
    result = cmd.app.pay_expense(actor, budget_id, cmd.version, expense_id, body.paid_on)
    done = cmd.accepted(result)
    return ExpenseAccepted(id=done.id, version=done.version, expense_id=expense_id)


@router.get(
    "/expenses",
    response_model=Page[ExpenseView],
    tags=["spending"],
    summary="Expenses: of the budgets you may read, and those you requested",
)
async def list_expenses(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(EXPENSES.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    budget_id: UUID | None = None,
    project_id: UUID | None = None,
    line_id: UUID | None = None,
    state: ExpenseState | None = None,
    requester: Name | None = None,
    category: Name | None = None,
) -> Page[ExpenseView]:
    where = {
        "budget_id": budget_id,
        "project_id": project_id,
        "line_id": line_id,
        "state": state.value if state else None,
        "requester": requester,
        "category": category,
        "reach": Reach.of(rt, actor).expenses(),
    }
    return await page_of(rt, EXPENSES, page, consistency, where, expense_view, written="budgets")
