"""Archiving (REGULATIONS 9.2): the archivist reviews each record, classifies it into a series
of its category and numbers it (`PRJ-2026-000123`: unique and without gaps per category and
year, however many are numbered at once), then binds it: its content never changes after."""

from __future__ import annotations

from uuid import UUID

from bizdev_common.api import Accepted, ExpectedVersion, RuntimeDep, accepted
from bizdev_common.auth import CurrentActor
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_records.api.common import app_of
from bizdev_records.domain import SERIES

router = APIRouter()

_SCHEME = "; ".join(f"{c}: {', '.join(s)}" for c, s in SERIES.items())


class NumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    series: str = Field(
        pattern=r"^[a-z_]{1,40}$",
        description=f"The series of the record's category it is classified into ({_SCHEME})",
    )


class Numbered(Accepted):
    number: str = Field(description="The archive number given, e.g. PRJ-2026-000123")


@router.post(
    "/records/{record_id}/number",
    response_model=Numbered,
    tags=["archiving"],
    summary="Classify and number a reviewed record (archivist)",
    description="A physical record needs its location first, an electronic one its "
    "document. Publishes RecordNumbered.",
)
def assign_number(
    record_id: UUID,
    body: NumberIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Numbered:
    result, number = app_of(rt).assign_number(actor, record_id, version, body.series)
    done = accepted(result, response)
    return Numbered(id=done.id, version=done.version, number=number)


@router.post(
    "/records/{record_id}/bind",
    response_model=Accepted,
    tags=["archiving"],
    summary="Bind a numbered record (archivist): its content never changes after",
    description="Publishes RecordBound.",
)
def bind(
    record_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    return accepted(app_of(rt).bind(actor, record_id, version), response)
