"""Evaluations (REGULATIONS 8.2, 8.3), one per person of a cycle: rated by the raters the
organisation relates to the person (never themself), scored at the cycle's finalization,
feedback delivered and acknowledged; listed, and ranked per cycle. Read only by who needs to
know (api/common.py)."""

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
from bizdev_common.boundary import Name, Note, PageParams, Text
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import Actor
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_performance.api.access import Reach, guard_evaluation
from bizdev_performance.api.common import Change
from bizdev_performance.application import PerformanceApplication
from bizdev_performance.domain import Evaluation
from bizdev_performance.domain.values import EvaluationState, Relation
from bizdev_performance.published import Number

router = APIRouter(route_class=CommandRoute)


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attitude: int = Field(ge=1, le=5)
    collaboration: int = Field(ge=1, le=5)
    innovation: int = Field(ge=1, le=5)
    comments: Note = ""
    customer_id: UUID | None = Field(
        default=None,
        description="A customer's rating, recorded by hr or the person's supervisor; the "
        "customer dealt with the person (contracts, visits, complaints)",
    )


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    strengths: Text
    gaps: Text
    suggestions: Text


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: Note = ""


class EvaluationView(BaseModel):
    id: UUID
    version: int
    cycle_id: UUID
    period: str
    person: str
    department: str
    supervisor: str | None
    state: EvaluationState
    ratings: int = Field(description="Ratings given so far")
    score: Number | None
    quantitative: Number | None
    qualitative: Number | None
    attainments: dict[str, Number | None] | None = Field(
        description="Frozen attainment per indicator id, once finalized"
    )
    below_standard: bool | None
    high_performer: bool | None
    finalized_on: date | None
    ratings_due: date
    feedback_due: date
    created_at: datetime
    updated_at: datetime


class RatingView(BaseModel):
    rater: str
    relation: Relation
    attitude: int
    collaboration: int
    innovation: int
    comments: str
    recorded_by: str


class Feedback(BaseModel):
    strengths: str
    gaps: str
    suggestions: str


class EvaluationDetail(EvaluationView):
    raters: dict[str, Relation] = Field(description="Who may rate, and how they are related")
    customers: list[str] = Field(
        description="The crm customers the person dealt with, whose ratings hr or the "
        "supervisor may record"
    )
    given: list[RatingView]
    feedback: Feedback | None


def evaluation_view(r: asyncpg.Record) -> EvaluationView:
    attainments = r["attainments"]
    return EvaluationView.model_validate(
        {**dict(r), "attainments": None if attainments is None else json.loads(attainments)}
    )


EVALUATIONS = ListQuery(
    "evaluations",
    filters=["cycle_id", "person", "department", "state"],
    # standing: the score, unscored last (-1), so that a best-first page puts them after.
    sorts=["standing", "score", "person", "department", "period", "created_at", "updated_at"],
    text=["person", "department", "period"],
    default_sort="-period",
)


async def _evaluations(
    rt: Runtime[Any, Any],
    actor: Actor,
    where: dict[str, Any],
    page: PageParams,
    consistency: ReadConsistency,
    written: str | None = None,
) -> Page[EvaluationView]:
    where = {**where, "readable": (await Reach.of(rt, actor)).people()}
    return await page_of(
        rt, EVALUATIONS, page, consistency, where, evaluation_view, written=written
    )


@router.get(
    "/cycles/{cycle_id}/scoreboard",
    response_model=Page[EvaluationView],
    tags=["cycles"],
    summary="The cycle's evaluations, best score first (those the caller may read)",
)
async def scoreboard(
    cycle_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(EVALUATIONS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    department: Name | None = None,
) -> Page[EvaluationView]:
    ranked = page.model_copy(update={"sort": page.sort or "-standing"})
    where = {"cycle_id": cycle_id, "department": department}
    # Read-your-writes after a finalization waits on the cycle's row.
    return await _evaluations(rt, actor, where, ranked, consistency, written="cycles")


@router.get(
    "/evaluations",
    response_model=Page[EvaluationView],
    tags=["cycles"],
    summary="Evaluations the caller may read (a person's history: `person=` by period)",
)
async def list_evaluations(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(EVALUATIONS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    cycle_id: UUID | None = None,
    person: Name | None = None,
    department: Name | None = None,
    state: EvaluationState | None = None,
) -> Page[EvaluationView]:
    where = {
        "cycle_id": cycle_id,
        "person": person,
        "department": department,
        "state": state and state.value,
    }
    return await _evaluations(rt, actor, where, page, consistency)


async def _evaluation_detail(
    rt: Runtime[PerformanceApplication, Any], actor: Actor, row: asyncpg.Record
) -> EvaluationDetail:
    evaluation: Evaluation = await run_in_threadpool(rt.application.evaluation, row["id"])
    return EvaluationDetail(
        **evaluation_view(row).model_dump(),
        raters=evaluation.raters,
        customers=evaluation.customers,
        given=[RatingView(rater=k, **v) for k, v in evaluation.ratings.items()],
        feedback=None if evaluation.feedback is None else Feedback(**evaluation.feedback),
    )


EVALUATION = RecordRoutes(
    router, "/evaluations/{evaluation_id}", "evaluation", ["cycles"], guard=guard_evaluation
)
EVALUATION.detail(
    "evaluations",
    EvaluationDetail,
    read=_evaluation_detail,
    summary="One evaluation with its ratings and feedback (who needs to know)",
)
EVALUATION.history(Evaluation, summary=EVERY_EVENT + " (who needs to know)")


@router.post(
    "/evaluations/{evaluation_id}/ratings",
    response_model=Accepted,
    tags=["cycles"],
    summary="Rate the person (their supervisor, peers, subordinates; customers through hr or "
    "the supervisor)",
    description="A rater never rates themself; only raters the organisation related to the "
    "person when the cycle opened may rate (403 otherwise), once each. Publishes "
    "RatingRecorded (without the comments).",
)
def rate(evaluation_id: UUID, body: RatingIn, actor: CurrentActor, cmd: Change) -> Accepted:
    return cmd.act(
        Evaluation,
        evaluation_id,
        lambda evaluation: evaluation.rate(
            actor,
            attitude=body.attitude,
            collaboration=body.collaboration,
            innovation=body.innovation,
            comments=body.comments,
            customer_id=None if body.customer_id is None else str(body.customer_id),
        ),
    )


@router.post(
    "/evaluations/{evaluation_id}/feedback",
    response_model=Accepted,
    tags=["cycles"],
    summary="Deliver the feedback on a finalized evaluation (the supervisor or hr)",
)
def deliver_feedback(
    evaluation_id: UUID, body: FeedbackIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.deliver_feedback(
        actor,
        evaluation_id,
        cmd.version,
        strengths=body.strengths,
        gaps=body.gaps,
        suggestions=body.suggestions,
    )
    return cmd.accepted(result)


@router.post(
    "/evaluations/{evaluation_id}/acknowledge",
    response_model=Accepted,
    tags=["cycles"],
    summary="Acknowledge the feedback (the person evaluated)",
)
def acknowledge(
    evaluation_id: UUID, body: AcknowledgeIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    return cmd.act(
        Evaluation, evaluation_id, lambda evaluation: evaluation.acknowledge(actor, body.comment)
    )
