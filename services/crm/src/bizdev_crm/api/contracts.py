"""Contracts with customers (REGULATIONS §4.2): drafted by the customer's department, signed,
completed or terminated. Their numbers are unique in crm; signing publishes ContractSigned,
the source of revenue in finance and of sales in performance."""

from __future__ import annotations

from datetime import date, datetime
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
from bizdev_common.boundary import Day, MoneyIn, Name, PageParams, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_crm.api.common import Change, Create, ReasonIn
from bizdev_crm.domain import Contract, ContractState

router = APIRouter(route_class=CommandRoute)


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID
    number: Title = Field(
        description="The contract number, unique in crm (case and spaces do not count)"
    )
    title: Title
    value: MoneyIn = Field(description="The contract's value, more than zero")
    salesperson: Name | None = Field(
        default=None, description="User id of the salesperson credited (default: you)"
    )
    project_id: UUID | None = Field(default=None, description="The project it belongs to")


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signed_on: Day = Field(description="The day it was signed with the customer (not later)")


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    completed_on: Day = Field(description="Between the signing and today")


class ContractView(BaseModel):
    id: UUID
    version: int
    number: str
    title: str
    value: MoneyModel
    customer_id: UUID
    department: str
    salesperson: str
    project_id: UUID | None
    state: ContractState
    drafted_by: str
    signed_on: date | None
    completed_on: date | None
    terminated_on: date | None
    termination_reason: str | None
    created_at: datetime
    updated_at: datetime


def contract_view(r: asyncpg.Record) -> ContractView:
    return ContractView.model_validate({**dict(r), "value": money_of(r, "value")})


class ContractAsOf(BaseModel):
    """The contract as it stood at a version or moment (from its events)."""

    id: UUID
    version: int
    number: str
    title: str
    value: MoneyModel
    customer_id: UUID
    salesperson: str
    project_id: UUID | None
    state: ContractState
    signed_on: date | None
    completed_on: date | None
    terminated_on: date | None
    termination_reason: str | None
    modified_on: datetime


CONTRACTS = ListQuery(
    "contracts",
    filters=["state", "customer_id", "salesperson", "department", "project_id"],
    sorts=["created_at", "updated_at", "number", "signed_on", "value_amount"],
    text=["number", "title"],
    default_sort="-created_at",
)


@router.post(
    "/contracts",
    status_code=201,
    response_model=Accepted,
    tags=["contracts"],
    summary="Draft a contract with a customer (its department's employees, its owner)",
    description="A number already taken is refused with 422 naming `number`.",
)
def draft_contract(body: ContractIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.draft_contract(
        actor,
        customer_id=body.customer_id,
        number=body.number,
        title=body.title,
        value=body.value.to_money(),
        salesperson=body.salesperson,
        project_id=body.project_id,
    )
    return cmd.accepted(result)


@router.post(
    "/contracts/{contract_id}/sign",
    response_model=Accepted,
    tags=["contracts"],
    summary="Record it signed (the head of its department or management, not its salesperson)",
    description="Publishes ContractSigned.",
)
def sign_contract(contract_id: UUID, body: SignIn, actor: CurrentActor, cmd: Change) -> Accepted:
    result = cmd.app.sign_contract(actor, contract_id, cmd.version, body.signed_on)
    return cmd.accepted(result)


@router.post(
    "/contracts/{contract_id}/complete",
    response_model=Accepted,
    tags=["contracts"],
    summary="Record it completed (its salesperson, the head of its department or management)",
)
def complete_contract(
    contract_id: UUID, body: CompleteIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.complete_contract(actor, contract_id, cmd.version, body.completed_on)
    return cmd.accepted(result)


@router.post(
    "/contracts/{contract_id}/terminate",
    response_model=Accepted,
    tags=["contracts"],
    summary="Terminate a draft or signed contract with the reason (head or management)",
)
def terminate_contract(
    contract_id: UUID, body: ReasonIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.terminate_contract(actor, contract_id, cmd.version, body.reason)
    return cmd.accepted(result)


@router.get("/contracts", response_model=Page[ContractView], tags=["contracts"])
async def list_contracts(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(CONTRACTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    state: ContractState | None = None,
    customer_id: UUID | None = None,
    salesperson: Name | None = None,
    department: Name | None = None,
    project_id: UUID | None = None,
) -> Page[ContractView]:
    where = {
        "state": state.value if state else None,
        "customer_id": customer_id,
        "salesperson": salesperson,
        "department": department,
        "project_id": project_id,
    }
    return await page_of(rt, CONTRACTS, page, consistency, where, contract_view)


def _contract_as_of(k: Contract) -> ContractAsOf:
    return ContractAsOf(
        id=k.id,
        version=k.version,
        number=k.number,
        title=k.title,
        value=MoneyModel(amount=k.value.amount, currency=k.value.currency),
        customer_id=k.customer_id,
        salesperson=k.salesperson,
        project_id=k.project_id,
        state=k.state,
        signed_on=k.signed_on,
        completed_on=k.completed_on,
        terminated_on=k.terminated_on,
        termination_reason=k.termination_reason,
        modified_on=k.modified_on,
    )


CONTRACT = RecordRoutes(router, "/contracts/{contract_id}", "contract", ["contracts"])
CONTRACT.detail("contracts", ContractView, contract_view)
CONTRACT.history(Contract, summary=EVERY_EVENT)
CONTRACT.as_of(
    Contract, ContractAsOf, _contract_as_of, summary="The contract as of a version or a time"
)
