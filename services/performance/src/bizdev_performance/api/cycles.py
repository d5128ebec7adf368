"""Evaluation cycles (REGULATIONS 8.2, 8.3): opened by hr for a population with dates and
weights fixed; ratings by the raters the organisation relates to each person (never
themself); scores from attainment and ratings, frozen at finalization; feedback delivered
and acknowledged. Its evaluations and their routes are in evaluations.py."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from bizdev_common.api import (
    Accepted,
    ReadConsistency,
    RuntimeDep,
    one_of,
    page_of,
    schema_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, PageParams, Percent, Title, percent
from bizdev_common.commands import CommandRoute
from bizdev_common.domain import RuleViolation
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import EVERY_EVENT, RecordRoutes
from bizdev_common.service import Runtime
from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_performance.api.access import Reach
from bizdev_performance.api.common import Change, Create, ScoreIn
from bizdev_performance.api.indicators import Period
from bizdev_performance.attainment import attained
from bizdev_performance.domain import Cycle, Participant
from bizdev_performance.domain.values import PERIOD_PATTERN, CycleKind, Relation, SubjectKind
from bizdev_performance.published import Number

router = APIRouter(route_class=CommandRoute)

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


def cycle_view(r: asyncpg.Record) -> CycleView:
    return CycleView.model_validate({**dict(r), "weights": json.loads(r["weights"])})


async def _participants(rt: Runtime[Any, Any], users: list[str]) -> list[Participant]:
    """Each person with the raters the organisation relates to them now: their supervisor,
    their subordinates, and their peers (the same supervisor, or a team together), all
    active; and the customers they dealt with."""
    s = schema_of(rt)
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
async def open_cycle(body: CycleIn, actor: CurrentActor, rt: RuntimeDep, cmd: Create) -> Accepted:
    users = list(dict.fromkeys(body.people))
    if body.departments:
        rows = await rt.pool.fetch(
            f"SELECT user_id FROM {schema_of(rt)}.people WHERE active AND "
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
        cmd.app.open_cycle,
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
    return cmd.accepted(result)


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
async def finalize(cycle_id: UUID, actor: CurrentActor, rt: RuntimeDep, cmd: Change) -> Accepted:
    cycle: Cycle = await run_in_threadpool(cmd.app.cycle, cycle_id)
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
        cmd.app.finalize_cycle, actor, cycle_id, cmd.version, attainments
    )
    return cmd.accepted(result)


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
    return await page_of(rt, CYCLES, page, consistency, where, cycle_view)


CYCLE = RecordRoutes(router, "/cycles/{cycle_id}", "cycle", ["cycles"])
CYCLE.detail("cycles", CycleView, cycle_view)
CYCLE.history(Cycle, summary=EVERY_EVENT)
