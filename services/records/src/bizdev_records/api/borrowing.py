"""Borrowing (REGULATIONS 9.3): an application with purpose and due date → approval by the
head of the borrower's department or the archivist (only the archivist, for the categories
configured so) → lent by the archivist → returned and checked, or closed as lost or damaged.
A record out on loan is not lent again until it is back; a loan past due raises LoanOverdue
once and waits in the borrower's and the archivist's /inbox until the loan ends."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ReadConsistency,
    RuntimeDep,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, Note, PageParams, Text
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Role
from bizdev_common.readmodel import ListQuery, Page
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_records.api.common import Change, reads_everything
from bizdev_records.domain import LoanLoss, Record, ReportedBy

router = APIRouter(route_class=CommandRoute)


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


class LossIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: LoanLoss = Field(
        description="lost (it leaves circulation) or damaged (back, flagged with the damage)"
    )
    reported_by: ReportedBy = Field(
        description="borrower (they reported it) or archivist (you found it)"
    )
    account: Text = Field(description="What happened, and for damage what is harmed")


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
    state: str = Field(description="applied, approved, refused, lent, returned, lost or damaged")
    decided_by: str | None
    refusal_reason: str | None
    lent_on: date | None
    returned_on: date | None
    intact: bool | None
    condition: str | None = Field(
        description="What was wrong when it came back, or the account of its loss or damage"
    )
    reported_by: str | None = Field(
        description="For a loan closed as lost or damaged: borrower or archivist"
    )
    closed_on: date | None = Field(description="When it was closed as lost or damaged")
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
def apply_for_loan(record_id: UUID, body: LoanIn, actor: CurrentActor, cmd: Change) -> LoanAccepted:
    result, loan_id = cmd.app.apply_for_loan(
        actor, record_id, cmd.version, purpose=body.purpose, due_on=body.due_on
    )
    done = cmd.accepted(result)
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


LOAN = "/records/{record_id}/loans/{loan_id}"


@router.post(
    f"{LOAN}/approve",
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Approve a loan (the head of the borrower's department, or the archivist)",
    description="For the categories configured so only the archivist; never the borrower; "
    "anyone else 403. Publishes LoanApproved.",
)
def approve_loan(record_id: UUID, loan_id: UUID, actor: CurrentActor, cmd: Change) -> LoanAccepted:
    done = cmd.act(Record, record_id, lambda record: record.approve_loan(actor, loan_id))
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


@router.post(
    f"{LOAN}/refuse",
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Refuse a loan, with the reason (its approver or the archivist)",
    description="Publishes LoanRefused.",
)
def refuse_loan(
    record_id: UUID, loan_id: UUID, body: RefusalIn, actor: CurrentActor, cmd: Change
) -> LoanAccepted:
    done = cmd.act(
        Record, record_id, lambda record: record.refuse_loan(actor, loan_id, body.reason)
    )
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


@router.post(
    f"{LOAN}/lend",
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Hand the record out on an approved loan (archivist)",
    description="Publishes RecordLent; past its due date it raises LoanOverdue once.",
)
def lend(record_id: UUID, loan_id: UUID, actor: CurrentActor, cmd: Change) -> LoanAccepted:
    done = cmd.accepted(cmd.app.lend(actor, record_id, cmd.version, loan_id))
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


@router.post(
    f"{LOAN}/return",
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Take the record back and check it (archivist)",
    description="Publishes RecordReturned.",
)
def take_back(
    record_id: UUID, loan_id: UUID, body: ReturnIn, actor: CurrentActor, cmd: Change
) -> LoanAccepted:
    result = cmd.app.take_back(
        actor, record_id, cmd.version, loan_id, intact=body.intact, condition=body.condition
    )
    done = cmd.accepted(result)
    return LoanAccepted(id=done.id, version=done.version, loan_id=loan_id)


@router.post(
    f"{LOAN}/lost-or-damaged",
    response_model=LoanAccepted,
    tags=["borrowing"],
    summary="Close a loan as lost or damaged (archivist), as the borrower reported or as found",
    description="A lent physical record only. Lost: the record leaves circulation (state "
    "lost: not lent, not destroyed); damaged: it is back, flagged with its damage. The loan's "
    "overdue watch and inbox items end. Publishes LoanClosedAsLostOrDamaged.",
)
def close_lost_or_damaged(
    record_id: UUID, loan_id: UUID, body: LossIn, actor: CurrentActor, cmd: Change
) -> LoanAccepted:
    result = cmd.app.close_loan_lost_or_damaged(
        actor,
        record_id,
        cmd.version,
        loan_id,
        outcome=body.outcome,
        reported_by=body.reported_by,
        account=body.account,
    )
    done = cmd.accepted(result)
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
        str | None, Query(pattern="^(applied|approved|refused|lent|returned|lost|damaged)$")
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
    return await page_of(rt, LOANS, page, consistency, where, loan_view, written="records")
