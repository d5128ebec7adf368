"""Files and records (REGULATIONS 9.1, 9.2): the files other services' events open, the
marketing files teams open, the records filed in them, and the catalogue to find them."""

from __future__ import annotations

import json
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
from bizdev_common.boundary import Day, Name, PageParams, SearchText, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Actor, Forbidden
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_records.api.common import Change, Create, reads_record
from bizdev_records.application import RecordsApplication
from bizdev_records.domain import Category, File, Medium, Record, RecordState

router = APIRouter(route_class=CommandRoute)


class MarketingFileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_id: UUID = Field(description="The marketing matter (campaign, study) it is about")
    title: Title = Field(description="What it is about")


class CloseFileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(description="Why the file's active life is over")
    ended_on: Day | None = Field(
        default=None,
        description="The day its active life actually ended (not after today; may be before "
        "the file was opened here, for material taken in long after): retention counts from "
        "it. Default today",
    )


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file_id: UUID = Field(description="The file it goes in")
    title: Title = Field(description="What it is")
    medium: Medium = Field(
        description="physical (then give its location) or electronic (then upload it)"
    )


class TitleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    room: Name
    shelf: Name
    box: Name


class FileView(BaseModel):
    id: UUID
    version: int
    category: Category
    subject_id: UUID
    title: str
    department: str
    source: str
    opened_by: str | None
    active: bool
    ended_on: date | None
    end_reason: str | None
    retention_ends_on: date | None
    created_at: datetime
    updated_at: datetime


class Location(BaseModel):
    room: str
    shelf: str
    box: str


class StoredDocument(BaseModel):
    """An uploaded document: GET /records/{id}/content downloads it."""

    size: int = Field(description="Bytes")
    sha256: str = Field(description="SHA-256, hex")
    media_type: str
    filename: str


class RecordView(BaseModel):
    """A catalogue entry."""

    id: UUID
    version: int
    file_id: UUID
    category: Category
    subject_id: UUID
    title: str
    source: str = Field(description="`<service>.<event>` that produced it, or `team`")
    department: str
    medium: Medium
    state: RecordState
    number: str | None = Field(description="Archive number, once numbered")
    classification: str | None = Field(description="`<category>/<series>`, once numbered")
    location: Location | None = Field(description="Where a physical record is kept")
    uploaded: StoredDocument | None = Field(description="An electronic record's upload")
    legal_hold: str | None = Field(description="Why it is on legal hold; null when not")
    on_loan: bool
    returned_reason: str | None = Field(
        description="While returned to its filer: what to correct; null otherwise"
    )
    damage: str | None = Field(description="The damage a loan closed as damaged reported")
    filed_by: str | None
    created_at: datetime
    updated_at: datetime


class RecordDetail(RecordView):
    document: dict[str, Any] | None = Field(
        description="The document the producing service published, for its department and "
        "those who read the whole archive; null otherwise, or when it has none"
    )


class FileDetail(FileView):
    records: list[RecordView] = Field(description="Its records, oldest first (up to 500)")


def file_view(row: asyncpg.Record) -> FileView:
    return FileView.model_validate(dict(row))


def record_view(row: asyncpg.Record) -> RecordView:
    r = dict(row)
    location = (
        None if r["room"] is None else Location(room=r["room"], shelf=r["shelf"], box=r["box"])
    )
    uploaded = (
        None
        if r["content_id"] is None or r["state"] == RecordState.DESTROYED
        else StoredDocument(
            size=r["content_size"],
            sha256=r["content_sha256"],
            media_type=r["media_type"],
            filename=r["filename"],
        )
    )
    return RecordView.model_validate({**r, "location": location, "uploaded": uploaded})


FILES = ListQuery(
    "files",
    filters=["category", "subject_id", "department", "active"],
    sorts=["created_at", "updated_at", "title", "retention_ends_on"],
    text=["title"],
    default_sort="-created_at",
)

RECORDS = ListQuery(
    "records",
    filters=[
        "category",
        "number",
        "source",
        "state",
        "file_id",
        "subject_id",
        "department",
        "medium",
        "on_loan",
    ],
    sorts=["created_at", "updated_at", "number", "title"],
    text=["title", "number"],
    default_sort="-created_at",
)


@router.post(
    "/files",
    status_code=201,
    response_model=Accepted,
    tags=["files"],
    summary="Open a marketing file (any team)",
    description="Customer, project and contract files open by themselves from crm's and "
    "projects' events. Publishes FileOpened.",
)
def open_marketing_file(body: MarketingFileIn, actor: CurrentActor, cmd: Create) -> Accepted:
    return cmd.accepted(cmd.app.open_marketing_file(actor, body.subject_id, body.title))


@router.post(
    "/files/{file_id}/close",
    response_model=Accepted,
    tags=["files"],
    summary="End a marketing file's active life (archivist): its retention starts",
    description="Publishes FileActiveLifeEnded.",
)
def close_file(file_id: UUID, body: CloseFileIn, actor: CurrentActor, cmd: Change) -> Accepted:
    result = cmd.app.close_file(actor, file_id, cmd.version, body.reason, body.ended_on)
    return cmd.accepted(result)


@router.get("/files", response_model=Page[FileView], tags=["files"])
async def list_files(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(FILES.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    category: Category | None = None,
    subject_id: UUID | None = None,
    department: Name | None = None,
    active: bool | None = None,
) -> Page[FileView]:
    where = {
        "category": category.value if category else None,
        "subject_id": subject_id,
        "department": department,
        "active": active,
    }
    return await page_of(rt, FILES, page, consistency, where, file_view)


async def _file_detail(rt: Runtime[Any, Any], actor: Actor, row: asyncpg.Record) -> FileDetail:
    records = await rt.pool.fetch(
        f'SELECT * FROM "{rt.settings.schema_name}".records WHERE file_id = $1 '
        "ORDER BY created_at, id LIMIT 500",
        row["id"],
    )
    return FileDetail(**file_view(row).model_dump(), records=[record_view(r) for r in records])


FILE = RecordRoutes(router, "/files/{file_id}", "file", ["files"])
FILE.detail("files", FileDetail, read=_file_detail, summary="A file and its records")
FILE.history(File, summary="Every event of the file: opened, active life ended, retention")


@router.post(
    "/records",
    status_code=201,
    response_model=Accepted,
    tags=["records"],
    summary="File an item of your own in a file (any team)",
    description="A physical item gets its location next, an electronic one its upload "
    "(PUT /records/{id}/content); then the archivist numbers and binds it. Publishes "
    "RecordFiled.",
)
def file_item(body: ItemIn, actor: CurrentActor, cmd: Create) -> Accepted:
    return cmd.accepted(cmd.app.file_item(actor, body.file_id, body.title, body.medium))


@router.post(
    "/records/{record_id}/title",
    response_model=Accepted,
    tags=["records"],
    summary="Correct a record's title (its filer or the archivist; not once bound)",
)
def retitle(record_id: UUID, body: TitleIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(Record, record_id, lambda record: record.retitle(actor, body.title))


@router.post(
    "/records/{record_id}/location",
    response_model=Accepted,
    tags=["records"],
    summary="Where a physical record is kept: room, shelf, box",
    description="Its filer or the archivist before binding; only the archivist after. "
    "Publishes RecordLocated.",
)
def locate(record_id: UUID, body: LocationIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Record,
        record_id,
        lambda record: record.locate(actor, room=body.room, shelf=body.shelf, box=body.box),
    )


@router.get(
    "/records",
    response_model=Page[RecordView],
    tags=["records"],
    summary="The catalogue: search by category, number, title (q), source, state",
    description="`state=returned_to_filer`: material the archivist sent back, waiting on its "
    "filer; `state=lost`: records lost on loan, out of circulation.",
)
async def catalogue(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(RECORDS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    category: Category | None = None,
    number: SearchText | None = None,
    source: SearchText | None = None,
    state: RecordState | None = None,
    file_id: UUID | None = None,
    subject_id: UUID | None = None,
    department: Name | None = None,
    medium: Medium | None = None,
    on_loan: bool | None = None,
) -> Page[RecordView]:
    where = {
        "category": category.value if category else None,
        "number": number or None,
        "source": source or None,
        "state": state.value if state else None,
        "file_id": file_id,
        "subject_id": subject_id,
        "department": department,
        "medium": medium.value if medium else None,
        "on_loan": on_loan,
    }
    return await page_of(rt, RECORDS, page, consistency, where, record_view)


async def _record_detail(rt: Runtime[Any, Any], actor: Actor, row: asyncpg.Record) -> RecordDetail:
    document = row["document"] if reads_record(actor, row["department"]) else None
    return RecordDetail(
        **record_view(row).model_dump(),
        document=None if document is None else _json(document),
    )


def _json(value: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(value) if isinstance(value, str) else value
    return loaded


async def record_reader(
    rt: Runtime[RecordsApplication, Any], actor: Actor, record_id: UUID
) -> None:
    """A record's history and past states are read by its department and the archive's
    readers, as its document is; decided from the record itself, not its view, so that a read
    before the view has it is guarded all the same."""
    record = await run_in_threadpool(rt.application.find, Record, record_id)
    if record is not None and not reads_record(actor, record.department):
        raise Forbidden("a record's history is read by its department and the archive's readers")


class RecordAsOf(BaseModel):
    id: UUID
    version: int
    title: str
    state: RecordState
    number: str | None
    series: str | None
    legal_hold: str | None
    returned_reason: str | None
    damage: str | None
    uploaded_sha256: str | None
    modified_on: datetime


def _as_of(record: Record) -> RecordAsOf:
    return RecordAsOf(
        id=record.id,
        version=record.version,
        title=record.title,
        state=record.state,
        number=record.number,
        series=record.series,
        legal_hold=record.legal_hold,
        returned_reason=record.returned_reason,
        damage=record.damage,
        uploaded_sha256=None if record.content is None else record.content.sha256,
        modified_on=record.modified_on,
    )


RECORD = RecordRoutes(router, "/records/{record_id}", "record", ["records"])
RECORD.detail("records", RecordDetail, read=_record_detail, summary="A record")
GUARDED = RecordRoutes(router, "/records/{record_id}", "record", ["records"], guard=record_reader)
GUARDED.history(
    Record,
    summary="Every event of the record: who, when and why (its department and the archive's "
    "readers)",
)
GUARDED.as_of(Record, RecordAsOf, _as_of, summary="The record as of a version or a moment")
