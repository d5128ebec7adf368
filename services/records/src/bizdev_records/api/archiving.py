"""Review and archiving (REGULATIONS 9.2): the archivist reviews each record filed and decides.
Accepting it is classifying it into a series of its category and numbering it
(`PRJ-2026-000123`: unique and without gaps per category and year, however many are numbered
at once), then binding it: its content never changes after. Or the archivist returns it to
its filer with a reason; the filer corrects it and files it again, and it is reviewed anew."""

from __future__ import annotations

from uuid import UUID

from bizdev_common.api import Accepted
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Note, Text
from bizdev_common.commands import CommandRoute
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bizdev_records.api.common import Change
from bizdev_records.domain import SERIES, Record

router = APIRouter(route_class=CommandRoute)

_SCHEME = "; ".join(f"{c}: {', '.join(s)}" for c, s in SERIES.items())


class NumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    series: str = Field(
        pattern=r"^[a-z_]{1,40}$",
        description=f"The series of the record's category it is classified into ({_SCHEME})",
    )


class ReturnToFilerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(description="What the filer is to correct")


class ResubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = Field(default="", description="What was corrected, or why it stands as it is")


class Numbered(Accepted):
    number: str = Field(description="The archive number given, e.g. PRJ-2026-000123")


@router.post(
    "/records/{record_id}/return-to-filer",
    response_model=Accepted,
    tags=["archiving"],
    summary="Return filed material to its filer with a reason (archivist's review)",
    description="Only a filed record a team member filed (one filed from another service's "
    "event has no filer here: 409); it waits in the filer's /inbox (`record_returned`) until "
    "filed again. Publishes RecordReturnedToFiler.",
)
def return_to_filer(
    record_id: UUID, body: ReturnToFilerIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(Record, record_id, lambda record: record.return_to_filer(actor, body.reason))


@router.post(
    "/records/{record_id}/resubmit",
    response_model=Accepted,
    tags=["archiving"],
    summary="File returned material again (its filer), for the archivist to review anew",
    description="Correct it first (title, location, upload) as while filed. Publishes "
    "RecordResubmitted.",
)
def resubmit(record_id: UUID, body: ResubmitIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(Record, record_id, lambda record: record.resubmit(actor, body.note))


@router.post(
    "/records/{record_id}/number",
    response_model=Numbered,
    tags=["archiving"],
    summary="Accept a reviewed record: classify and number it (archivist)",
    description="A physical record needs its location first, an electronic one its "
    "document; a record returned to its filer waits for them (409). Publishes "
    "RecordNumbered.",
)
def assign_number(record_id: UUID, body: NumberIn, actor: CurrentActor, cmd: Change) -> Numbered:
    result, number = cmd.app.assign_number(actor, record_id, cmd.version, body.series)
    done = cmd.accepted(result)
    return Numbered(id=done.id, version=done.version, number=number)


@router.post(
    "/records/{record_id}/bind",
    response_model=Accepted,
    tags=["archiving"],
    summary="Bind a numbered record (archivist): its content never changes after",
    description="Publishes RecordBound.",
)
def bind(record_id: UUID, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(Record, record_id, lambda record: record.bind(actor))
