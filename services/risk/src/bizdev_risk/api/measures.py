"""Measures of a risk's response (REGULATIONS 5.2): each with a responsible department and
person and a due date; reviewed on a cadence set by the risk's level; an overdue measure or
review is flagged once. The list of what is overdue."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from bizdev_common.api import ReadConsistency, RuntimeDep, page_of
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, Note, PageParams, Text
from bizdev_common.commands import CommandRoute
from bizdev_common.readmodel import Condition, ListQuery, Page
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bizdev_risk.api.common import Change, reads_all
from bizdev_risk.api.register import MeasureView

router = APIRouter(route_class=CommandRoute)


class MeasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: Text = Field(description="What is to be done")
    department: Name = Field(description="Responsible department")
    person: Name = Field(description="User id of the responsible person")
    due_on: Day = Field(description="Today or later")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    effective: bool = Field(description="Whether the measure works")
    note: Text = Field(description="What the review found")


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = ""


class MeasureAccepted(BaseModel):
    """The risk's new version, and the measure's id."""

    id: UUID = Field(description="The risk")
    version: int
    measure_id: UUID


@router.post(
    "/risks/{risk_id}/measures",
    status_code=201,
    response_model=MeasureAccepted,
    tags=["measures"],
    summary="Add a measure to the risk's response (risk officer, head of its department)",
    description="Publishes MeasureAdded; its first review is due a cadence (by the risk's "
    "level) later.",
)
def add_measure(
    risk_id: UUID, body: MeasureIn, actor: CurrentActor, cmd: Change
) -> MeasureAccepted:
    result, measure_id = cmd.app.add_measure(
        actor,
        risk_id,
        cmd.version,
        description=body.description,
        department=body.department,
        person=body.person,
        due_on=body.due_on,
    )
    done = cmd.accepted(result)
    return MeasureAccepted(id=done.id, version=done.version, measure_id=measure_id)


@router.post(
    "/risks/{risk_id}/measures/{measure_id}/reviews",
    response_model=MeasureAccepted,
    tags=["measures"],
    summary="Review a measure (risk officer, head of the measure's department)",
    description="Publishes MeasureReviewed; the next review is due a cadence later.",
)
def review_measure(
    risk_id: UUID, measure_id: UUID, body: ReviewIn, actor: CurrentActor, cmd: Change
) -> MeasureAccepted:
    result = cmd.app.review_measure(
        actor, risk_id, cmd.version, measure_id, effective=body.effective, note=body.note
    )
    done = cmd.accepted(result)
    return MeasureAccepted(id=done.id, version=done.version, measure_id=measure_id)


@router.post(
    "/risks/{risk_id}/measures/{measure_id}/complete",
    response_model=MeasureAccepted,
    tags=["measures"],
    summary="Report a measure done (its responsible person, risk officer)",
    description="Publishes MeasureCompleted.",
)
def complete_measure(
    risk_id: UUID, measure_id: UUID, body: CompleteIn, actor: CurrentActor, cmd: Change
) -> MeasureAccepted:
    result = cmd.app.complete_measure(actor, risk_id, cmd.version, measure_id, body.note)
    done = cmd.accepted(result)
    return MeasureAccepted(id=done.id, version=done.version, measure_id=measure_id)


MEASURES = ListQuery(
    "measures",
    filters=["risk_id", "department", "person", "state", "overdue", "review_overdue"],
    sorts=["due_on", "next_review_at", "added_at"],
    text=["description"],
    default_sort="due_on",
)


@router.get(
    "/measures",
    response_model=Page[MeasureView],
    tags=["measures"],
    summary="Measures; `overdue` or `review_overdue` for those flagged overdue",
    description="The risk officer, management and the auditor see all; a department head "
    "their department's; anyone else the measures they are responsible for.",
)
async def list_measures(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(MEASURES.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    risk_id: UUID | None = None,
    department: Name | None = None,
    person: Name | None = None,
    state: Literal["open", "completed"] | None = None,
    overdue: bool | None = None,
    review_overdue: bool | None = None,
) -> Page[MeasureView]:
    where = {
        "risk_id": risk_id,
        "department": department,
        "person": person,
        "state": state,
        "overdue": overdue,
        "review_overdue": review_overdue,
    }
    if reads_all(actor):
        condition = None
    elif actor.is_head_of(actor.department):
        condition = Condition("department = {} OR person = {}", (actor.department, actor.user_id))
    else:
        condition = Condition("person = {}", (actor.user_id,))
    return await page_of(
        rt,
        MEASURES,
        page,
        consistency,
        {**where, "visible": condition},
        MeasureView,
        written="risks",
    )
