"""Evaluation cycles (REGULATIONS 8.2, 8.3): opened by hr for a population with dates and
weights fixed; ratings by the raters the organisation relates to each person (never
themself); scores from attainment and ratings, frozen at finalization; feedback delivered
and acknowledged. Evaluations are read only by who needs to know (api/common.py)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ExpectedVersion,
    ReadConsistency,
    RuntimeDep,
    accepted,
    one_of,
    page_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import (
    Day,
    Name,
    Note,
    PageParams,
    Percent,
    Text,
    Title,
    percent,
)
from bizdev_common.domain import Actor, RuleViolation
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_performance.api.access import Reach, guard_evaluation
from bizdev_performance.api.common import ScoreIn, app_of, schema
from bizdev_performance.api.indicators import Period
from bizdev_performance.attainment import attained
from bizdev_performance.contract import Number
from bizdev_performance.domain import Cycle, Evaluation, Participant
from bizdev_performance.domain.values import (
    PERIOD_PATTERN,
    CycleKind,
    EvaluationState,
    Relation,
    SubjectKind,
)

router = APIRouter()

POPULATION_MAX = 5_000


class WeightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator_id: UUID
    weight: Percent


class CycleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Title
    kind: CycleKind
    period: Period
    ratings_due: Day
    finalize_due: Day
    feedback_due: Day
    weights: list[WeightIn] = Field(
        max_length=50, description="Each indicator's weight; with ratings_weight they add to 100"
    )
    ratings_weight: Percent
    standard: ScoreIn = Field(default="60", description="A score below it is below standard")
    excellence: ScoreIn = Field(default="90", description="At or above it: a high performer")
    departments: list[Name] = Field(
        default_factory=list, max_length=100, description="Everyone active in these departments"
    )
    people: list[Name] = Field(
        default_factory=list, max_length=POPULATION_MAX, description="And these user ids"
    )


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


class CycleView(BaseModel):
    id: UUID
    version: int
    name: str
    kind: CycleKind
    period: str
    first_day: date
    last_day: date
    ratings_due: date
    finalize_due: date
    feedback_due: date
    weights: dict[str, Number] = Field(description="Weight per indicator id")
    ratings_weight: Number
    standard: Number
    excellence: Number
    population: int
    state: str = Field(description="open or finalized")
    opened_by: str
    finalized_by: str | None
    below_standard: int | None
    high_performers: int | None
    created_at: datetime
    updated_at: datetime


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


def cycle_view(r: asyncpg.Record) -> CycleView:
    return CycleView.model_validate({**dict(r), "weights": json.loads(r["weights"])})


def evaluation_view(r: asyncpg.Record) -> EvaluationView:
    attainments = r["attainments"]
    return EvaluationView.model_validate(
        {**dict(r), "attainments": None if attainments is None else json.loads(attainments)}
    )


async def _participants(rt: Runtime[Any, Any], users: list[str]) -> list[Participant]:
    """Each person with the raters the organisation relates to them now: their supervisor,
    their subordinates, and their peers (the same supervisor, or a team together), all
    active; and the customers they dealt with."""
    s = schema(rt)
    people = {
        r["user_id"]: r
        for r in await rt.pool.fetch(
            f"SELECT * FROM {s}.people WHERE user_id = ANY($1::text[]) AND active", users
        )
    }
    missing = [u for u in users if u not in people]
    if missing:
        raise RuleViolation("people", f"not active people of the organisation: {missing[:5]}")
    active = {
        r["user_id"]: r["supervisor"]
        for r in await rt.pool.fetch(f"SELECT user_id, supervisor FROM {s}.people WHERE active")
    }
    under: dict[str, list[str]] = {}
    for other, their_supervisor in active.items():
        if their_supervisor is not None:
            under.setdefault(their_supervisor, []).append(other)
    teammates = await rt.pool.fetch(
        f"SELECT DISTINCT a.member AS person, b.member AS peer FROM {s}.team_members a "
        f"JOIN {s}.team_members b ON a.project_id = b.project_id AND a.member <> b.member "
        "WHERE a.active AND b.active AND a.member = ANY($1::text[])",
        users,
    )
    served = await rt.pool.fetch(
        f"SELECT person, customer_id FROM {s}.customers_served WHERE person = ANY($1::text[]) "
        "ORDER BY person, customer_id",
        users,
    )
    result = []
    for user in users:
        supervisor = people[user]["supervisor"]
        raters: dict[str, Relation] = {}
        for t in teammates:
            if t["person"] == user and t["peer"] in active:
                raters[t["peer"]] = Relation.PEER
        if supervisor is not None:
            for other in under.get(supervisor, ()):
                if other != user:
                    raters[other] = Relation.PEER
        for other in under.get(user, ()):
            raters[other] = Relation.SUBORDINATE
        if supervisor is not None and supervisor in active:
            raters[supervisor] = Relation.SUPERVISOR
        result.append(
            Participant(
                user_id=user,
                department=people[user]["department"],
                supervisor=supervisor,
                raters=raters,
                customers=[str(r["customer_id"]) for r in served if r["person"] == user],
            )
        )
    return result


class Relations(BaseModel):
    person: str
    supervisor: str | None
    raters: dict[str, Relation] = Field(
        description="Who would rate them in a cycle opened now, and how they are related"
    )
    customers: list[str] = Field(description="The crm customers they dealt with")


@router.get(
    "/people/{person_id}/relations",
    response_model=Relations,
    tags=["organisation"],
    summary="Who the organisation relates to a person now: the raters a cycle opened now would "
    "fix (who needs to know the person's performance)",
)
async def relations(
    person_id: UUID, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Relations:
    row = await one_of(rt, "people", person_id, None, response)
    await (await Reach.of(rt, actor)).check(rt, row["user_id"], [row["department"]])
    if not row["active"]:
        raise RuleViolation("person_id", f"{row['user_id']} left the organisation")
    [p] = await _participants(rt, [row["user_id"]])
    return Relations(
        person=p.user_id,
        supervisor=p.supervisor,
        raters=dict(p.raters),
        customers=list(p.customers),
    )


@router.post(
    "/cycles",
    status_code=201,
    response_model=Accepted,
    tags=["cycles"],
    summary="Open an evaluation cycle for a population (hr)",
    description="Dates, weights and standards are fixed at opening; so is who may rate whom, "
    "from the organisation as it stands. Publishes CycleOpened and one EvaluationOpened per "
    "person.",
)
async def open_cycle(
    body: CycleIn, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> Accepted:
    users = list(dict.fromkeys(body.people))
    if body.departments:
        rows = await rt.pool.fetch(
            f"SELECT user_id FROM {schema(rt)}.people WHERE active AND "
            "department = ANY($1::text[]) ORDER BY user_id",
            body.departments,
        )
        users += [r["user_id"] for r in rows if r["user_id"] not in users]
    if len(users) > POPULATION_MAX:
        raise RuleViolation("people", f"a cycle evaluates at most {POPULATION_MAX} people")
    population = await _participants(rt, users)
    weights: dict[UUID, Decimal] = {}
    for w in body.weights:
        if w.indicator_id in weights:
            raise RuleViolation("weights", f"indicator {w.indicator_id} is weighted twice")
        weights[w.indicator_id] = percent(w.weight)
    result = await run_in_threadpool(
        app_of(rt).open_cycle,
        actor,
        name=body.name,
        kind=body.kind,
        period=body.period,
        ratings_due=body.ratings_due,
        finalize_due=body.finalize_due,
        feedback_due=body.feedback_due,
        weights=weights,
        ratings_weight=percent(body.ratings_weight),
        standard=Decimal(body.standard),
        excellence=Decimal(body.excellence),
        population=population,
    )
    return accepted(result, response)


@router.post(
    "/cycles/{cycle_id}/finalize",
    response_model=Accepted,
    tags=["cycles"],
    summary="Finalize the cycle once its period is over (hr): scores computed and frozen",
    description="Each person's attainment of each weighted indicator (their targets for the "
    "cycle's period, from the events as they stand now) and their ratings give the score, "
    "with the weights fixed at opening. Publishes EvaluationFinalized per person, then "
    "CycleFinalized.",
)
async def finalize(
    cycle_id: UUID,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    cycle: Cycle = await run_in_threadpool(app_of(rt).cycle, cycle_id)
    rows = await attained(
        rt.pool,
        rt.settings.schema_name,
        {"subject_kind": SubjectKind.PERSON.value, "period": cycle.period},
        subjects=cycle.population,
        indicators=[UUID(k) for k in cycle.weights],
        limit=len(cycle.population) * max(len(cycle.weights), 1) + 1,
    )
    attainments: dict[str, dict[str, Decimal | None]] = {}
    for row in rows:
        attainments.setdefault(row.subject, {})[str(row.indicator_id)] = row.attainment
    result = await run_in_threadpool(
        app_of(rt).finalize_cycle, actor, cycle_id, version, attainments
    )
    return accepted(result, response)


CYCLES = ListQuery(
    "cycles",
    filters=["kind", "period", "state"],
    sorts=["created_at", "period", "name", "finalize_due"],
    text=["name", "period"],
    default_sort="-created_at",
)


@router.get("/cycles", response_model=Page[CycleView], tags=["cycles"])
async def list_cycles(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(CYCLES.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    kind: CycleKind | None = None,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    state: Annotated[str | None, Query(pattern="^(open|finalized)$")] = None,
) -> Page[CycleView]:
    where = {"kind": kind and kind.value, "period": period, "state": state}
    rows, total = await page_of(rt, CYCLES, page, consistency, where)
    return Page(
        items=[cycle_view(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


CYCLE = RecordRoutes(router, "/cycles/{cycle_id}", "cycle", ["cycles"])
CYCLE.detail("cycles", CycleView, cycle_view)
CYCLE.history(Cycle, summary=EVERY_EVENT)

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
    rows, total = await page_of(rt, EVALUATIONS, page, consistency, where, written=written)
    return Page(
        items=[evaluation_view(r) for r in rows], total=total, limit=page.limit, offset=page.offset
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
    rt: Runtime[Any, Any], actor: Actor, row: asyncpg.Record
) -> EvaluationDetail:
    evaluation: Evaluation = await run_in_threadpool(app_of(rt).evaluation, row["id"])
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
def rate(
    evaluation_id: UUID,
    body: RatingIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).rate(
        actor,
        evaluation_id,
        version,
        attitude=body.attitude,
        collaboration=body.collaboration,
        innovation=body.innovation,
        comments=body.comments,
        customer_id=body.customer_id,
    )
    return accepted(result, response)


@router.post(
    "/evaluations/{evaluation_id}/feedback",
    response_model=Accepted,
    tags=["cycles"],
    summary="Deliver the feedback on a finalized evaluation (the supervisor or hr)",
)
def deliver_feedback(
    evaluation_id: UUID,
    body: FeedbackIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).deliver_feedback(
        actor,
        evaluation_id,
        version,
        strengths=body.strengths,
        gaps=body.gaps,
        suggestions=body.suggestions,
    )
    return accepted(result, response)


@router.post(
    "/evaluations/{evaluation_id}/acknowledge",
    response_model=Accepted,
    tags=["cycles"],
    summary="Acknowledge the feedback (the person evaluated)",
)
def acknowledge(
    evaluation_id: UUID,
    body: AcknowledgeIn,
    actor: CurrentActor,
    rt: RuntimeDep,
    version: ExpectedVersion,
    response: Response,
) -> Accepted:
    result = app_of(rt).acknowledge(actor, evaluation_id, version, body.comment)
    return accepted(result, response)
