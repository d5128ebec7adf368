"""Borrowing (REGULATIONS 9.3): an application with purpose and due date → approval by the
borrower's department head (or the archivist, for the categories configured so) → lent by
the archivist → returned and checked. A record out on loan is not lent again until returned;
a loan past due raises LoanOverdue once and waits in the borrower's and the archivist's
/inbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ExpectedVersion,
    ReadConsistency,
    RuntimeDep,
    accepted,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, Note, PageParams, Text
from bizdev_common.domain import Role
from bizdev_common.readmodel import ListQuery, Page
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_records.api.common import app_of, reads_everything

router = APIRouter()


class LoanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: Text = Field(description="What the record is borrowed for")
    due_on: Day = Field(description="When it is to be back: today or later")


class RefusalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intact: bool = Field(description="Whether it came back whole and unaltered")
    condition: Note = Field(default="", description="What is wrong with it (when not intact)")


class LoanAccepted(Accepted):
    loan_id: UUID


class LoanView(BaseModel):
    id: UUID
    record_id: UUID
    number: str
    borrower: str
    department: str
    purpose: str
    due_on: date
    approver: str = Field(description="department_head or archivist")
    state: str = Field(description="applied, approved, refused, lent or returned")
    decided_by: str | None
    refusal_reason: str | None
    lent_on: date | None
    returned_on: date | None
    intact: bool | None
    condition: str | None
    overdue: bool = Field(description="Reported overdue (LoanOverdue)")
    applied_at: datetime


LOANS = ListQuery(
    "loans",
    filters=["record_id", "borrower", "department", "state", "overdue"],
    sorts=["applied_at", "due_on"],
    text=["number", "purpose"],
    default_sort="-applied_at",
)


@router.post(
    "/records/{record_id}/loans",
    status_code=201,
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Apply to borrow an archived record",
    description="One loan at a time: a record with a loan open is refused (409). "
    "Publishes LoanApplied.",
)
def apply_for_loan(
    record_id: UUID,
    body: LoanIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> LoanAccepted:
    result, loan_id = app_of(rt).apply_for_loan(
        actor, record_id, version, purpose=body.purpose, due_on=body.due_on
    )
    done = accepted(result, response)
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


LOAN = "/records/{record_id}/loans/{loan_id}"


@router.post(
    f"{LOAN}/approve",
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Approve a loan (the borrower's department head, or the archivist for the configured "
    "categories)",
    description="Publishes LoanApproved.",
)
def approve_loan(
    record_id: UUID,
    loan_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> LoanAccepted:
    done = accepted(app_of(rt).approve_loan(actor, record_id, version, loan_id), response)
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


@router.post(
    f"{LOAN}/refuse",
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Refuse a loan, with the reason (its approver or the archivist)",
    description="Publishes LoanRefused.",
)
def refuse_loan(
    record_id: UUID,
    loan_id: UUID,
    body: RefusalIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> LoanAccepted:
    result = app_of(rt).refuse_loan(actor, record_id, version, loan_id, body.reason)
    done = accepted(result, response)
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


@router.post(
    f"{LOAN}/lend",
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Hand the record out on an approved loan (archivist)",
    description="Publishes RecordLent; past its due date it raises LoanOverdue once.",
)
def lend(
    record_id: UUID,
    loan_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> LoanAccepted:
    done = accepted(app_of(rt).lend(actor, record_id, version, loan_id), response)
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


@router.post(
    f"{LOAN}/return",
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Take the record back and check it (archivist)",
    description="Publishes RecordReturned.",
)
def take_back(
    record_id: UUID,
    loan_id: UUID,
    body: ReturnIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> LoanAccepted:
    result = app_of(rt).take_back(
        actor, record_id, version, loan_id, intact=body.intact, condition=body.condition
    )
    done = accepted(result, response)
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


def loan_view(row: asyncpg.Record) -> LoanView:
    return LoanView.model_validate(dict(row))


@router.get(
    "/loans",
    response_model=Page[LoanView],
    tags=["borrowing"],
    summary="Loans: outstanding (state=lent), overdue (overdue=true), by borrower or record",
    description="The archivist, management and the auditor see every loan; a department "
    "head their department's; anyone else their own.",
)
async def list_loans(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(LOANS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    record_id: UUID | None = None,
    borrower: Name | None = None,
    department: Name | None = None,
    state: Annotated[
        str | None, Query(pattern="^(applied|approved|refused|lent|returned)$")
    ] = None,
    overdue: bool | None = None,
) -> Page[LoanView]:
    if not reads_everything(actor):
        if actor.has(Role.DEPARTMENT_HEAD):
            department = actor.department
        else:
            borrower = actor.user_id
    where = {
        "record_id": record_id,
        "borrower": borrower,
        "department": department,
        "state": state,
        "overdue": overdue,
    }
    rows, total = await page_of(rt, LOANS, page, consistency, where, written="records")
    return Page(
        items=[loan_view(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )
