"""Retention and destruction (REGULATIONS 9.4): a record's retention (per category, in the
settings) counts from the event that ended its file's active life; the periodic check puts
files whose retention is over in the archivist's inbox; the archivist lists records due,
management approves the list, the archivist destroys them before a witness. A record under
legal hold or out on loan cannot be destroyed; an uploaded document's bytes are deleted for
good, while the destruction record (what, when, approved by, witnessed by, how) is kept."""

from __future__ import annotations

from datetime import date, datetime
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
from bizdev_common.boundary import LIMIT_MAX, OFFSET_MAX, CursorQuery, Name, PageParams, Text
from bizdev_common.commands import CommandRoute
from bizdev_common.cursors import decode_cursor, encode_cursor
from bizdev_common.domain import Actor, RuleViolation
from bizdev_common.readmodel import ListQuery, Page, wait_for
from bizdev_common.routes import RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_records.api.common import App, Change, Create, require_archive_reader, store_of
from bizdev_records.api.files import RecordView, record_view
from bizdev_records.domain import Category, DestructionList, ListState, Record

router = APIRouter(route_class=CommandRoute)


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(description="Why (litigation, audit, investigation), or why lifted")


class DestructionListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_ids: list[UUID] = Field(
        min_length=1, max_length=500, description="Records whose retention is over"
    )
    reason: Text = Field(description="Why they are of no further value")


class CarryOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    witness: Name = Field(description="Who witnesses the destruction (not the archivist)")
    method: Name = Field(description="How: shredded, incinerated, deleted, ...")


class DueRecord(RecordView):
    retention_ends_on: date = Field(description="The day its retention ended")


class DestructionListView(BaseModel):
    id: UUID
    version: int
    record_ids: list[UUID]
    reason: str
    listed_on: date
    proposed_by: str
    state: ListState
    approved_by: str | None
    witness: str | None
    method: str | None
    carried_out_by: str | None
    created_at: datetime
    updated_at: datetime


class DestructionRecord(BaseModel):
    """What was destroyed, when, approved by and witnessed by whom, and how: kept for good."""

    id: UUID = Field(description="The record destroyed")
    list_id: UUID
    number: str | None
    title: str
    category: Category
    file_id: UUID
    approved_by: str
    witness: str
    method: str
    destroyed_by: str
    destroyed_at: datetime
    sha256: str | None = Field(description="SHA-256 of the document whose bytes were deleted")


@router.post(
    "/records/{record_id}/legal-hold",
    response_model=Accepted,
    tags=["destruction"],
    summary="Put a record on legal hold (archivist or management): it cannot be destroyed",
    description="Publishes LegalHoldPlaced.",
)
def place_hold(record_id: UUID, body: HoldIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(Record, record_id, lambda record: record.place_hold(actor, body.reason))


@router.post(
    "/records/{record_id}/legal-hold/release",
    response_model=Accepted,
    tags=["destruction"],
    summary="Lift a record's legal hold (archivist or management)",
    description="Publishes LegalHoldReleased.",
)
def release_hold(record_id: UUID, body: HoldIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(Record, record_id, lambda record: record.release_hold(actor, body.reason))


DUE_LIST, DUE_SORT = "records-due-for-destruction", "retention_ends_on"
"""What a cursor of this list names, so that one of another list is refused."""


@router.get(
    "/records-due-for-destruction",
    response_model=Page[DueRecord],
    tags=["destruction"],
    summary="Records whose retention is over, not on legal hold nor on loan (as of today)",
    description="For the archivist, management and the auditor.",
)
async def due_for_destruction(
    actor: CurrentActor,
    rt: RuntimeDep,
    app: App,
    consistency: Annotated[ReadConsistency, Query()],
    category: Category | None = None,
    file_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 50,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
    cursor: CursorQuery = None,
) -> Page[DueRecord]:
    """Read-your-writes waits on a file (`wait_for` its id, e.g. after closing it)."""
    require_archive_reader(actor)
    await wait_for(
        rt.pool,
        rt.settings.schema_name,
        "files",
        consistency.wait_for,
        consistency.min_version,
        rt.settings.read_wait_max_seconds,
    )
    today = app.today()
    schema = f'"{rt.settings.schema_name}"'
    condition = (
        f"FROM {schema}.records r JOIN {schema}.files f ON f.id = r.file_id "
        "WHERE f.retention_ends_on <= $1 AND r.state NOT IN ('destroyed', 'lost') "
        "AND r.legal_hold IS NULL AND NOT r.on_loan AND ($2::text IS NULL OR r.category = $2) "
        "AND ($3::uuid IS NULL OR r.file_id = $3)"
    )
    args: list[Any] = [today, category.value if category else None, file_id]
    total = await rt.pool.fetchval(f"SELECT count(*) {condition}", *args)
    after = ""
    if cursor is not None:
        if offset:
            raise RuleViolation("query.offset", "a page is found by cursor or by offset, not both")
        # retention_ends_on is never NULL here (it is <= today), so one row comparison holds.
        ends_on, last_id = decode_cursor(cursor, DUE_LIST, DUE_SORT)
        if not isinstance(ends_on, date) or isinstance(ends_on, datetime):
            raise RuleViolation("query.cursor", "not a cursor of this list")
        args += [ends_on, last_id]
        after = "AND (f.retention_ends_on, r.id) > ($4, $5) "
    rows = await rt.pool.fetch(
        f"SELECT r.*, f.retention_ends_on {condition} {after}"
        f"ORDER BY f.retention_ends_on, r.id LIMIT {int(limit) + 1} OFFSET {int(offset)}",
        *args,
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(DUE_LIST, DUE_SORT, last["retention_ends_on"], last["id"])
    return Page(
        items=[
            DueRecord(**record_view(r).model_dump(), retention_ends_on=r["retention_ends_on"])
            for r in rows
        ],
        total=int(total),
        limit=limit,
        offset=offset,
        next_cursor=next_cursor,
    )


@router.post(
    "/destruction-lists",
    status_code=201,
    response_model=Accepted,
    tags=["destruction"],
    summary="List records due for destruction (archivist), for management to approve",
    description="Each record's retention must be over, none on legal hold or lent. "
    "Publishes DestructionListed.",
)
def propose_destruction(body: DestructionListIn, actor: CurrentActor, cmd: Create) -> Accepted:
    result = cmd.app.propose_destruction(actor, body.record_ids, body.reason)
    return cmd.accepted(result)


@router.post(
    "/destruction-lists/{list_id}/approve",
    response_model=Accepted,
    tags=["destruction"],
    summary="Approve a destruction list (management, never who drew it up)",
    description="Publishes DestructionApproved.",
)
def approve_destruction(list_id: UUID, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(DestructionList, list_id, lambda listed: listed.approve(actor))


@router.post(
    "/destruction-lists/{list_id}/carry-out",
    response_model=Accepted,
    tags=["destruction"],
    summary="Destroy the records of an approved list before a witness (archivist)",
    description="All or none: a record put on hold or lent since stops it (409). Uploaded "
    "documents' bytes are deleted for good. Publishes RecordDestroyed for each record and "
    "DestructionCarriedOut.",
)
async def carry_out(
    list_id: UUID, body: CarryOutIn, actor: CurrentActor, rt: RuntimeDep, cmd: Change
) -> Accepted:
    result, contents = await run_in_threadpool(
        lambda: cmd.app.carry_out_destruction(
            actor, list_id, cmd.version, witness=body.witness, method=body.method
        )
    )
    store = store_of(rt)
    for content_id in contents:
        await store.delete(content_id)
    return cmd.accepted(result)


DESTRUCTION_LISTS = ListQuery(
    "destruction_lists",
    filters=["state", "proposed_by", "approved_by"],
    sorts=["created_at", "updated_at", "listed_on"],
    text=["reason"],
    default_sort="-created_at",
)

DESTRUCTIONS = ListQuery(
    "destructions",
    filters=["list_id", "category", "file_id", "number"],
    sorts=["destroyed_at", "number"],
    text=["title", "number"],
    default_sort="-destroyed_at",
)


@router.get(
    "/destruction-lists",
    response_model=Page[DestructionListView],
    tags=["destruction"],
    summary="Destruction lists (the archivist, management and the auditor)",
)
async def list_destruction_lists(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(DESTRUCTION_LISTS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    state: ListState | None = None,
) -> Page[DestructionListView]:
    require_archive_reader(actor)
    where = {"state": state.value if state else None}
    return await page_of(rt, DESTRUCTION_LISTS, page, consistency, where, DestructionListView)


async def archive_reader(rt: Runtime[Any, Any], actor: Actor, list_id: UUID) -> None:
    require_archive_reader(actor)


def _list_view(row: asyncpg.Record) -> DestructionListView:
    return DestructionListView.model_validate(dict(row))


LIST = RecordRoutes(
    router,
    "/destruction-lists/{list_id}",
    "destruction_list",
    ["destruction"],
    guard=archive_reader,
)
LIST.detail("destruction_lists", DestructionListView, _list_view)
LIST.history(DestructionList, summary="Every event of the list: listed, approved, carried out")


@router.get(
    "/destructions",
    response_model=Page[DestructionRecord],
    tags=["destruction"],
    summary="Destruction records, kept for good (the archivist, management and the auditor)",
)
async def list_destructions(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(DESTRUCTIONS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    list_id: UUID | None = None,
    category: Category | None = None,
    file_id: UUID | None = None,
) -> Page[DestructionRecord]:
    require_archive_reader(actor)
    where = {
        "list_id": list_id,
        "category": category.value if category else None,
        "file_id": file_id,
    }
    return await page_of(
        rt, DESTRUCTIONS, page, consistency, where, DestructionRecord, written="records"
    )
