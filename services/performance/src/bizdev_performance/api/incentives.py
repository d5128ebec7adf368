"""Incentives and constraints (REGULATIONS 8.4), each naming its grounds, and the rewards of
converted leads (2.1). Read by who needs to know the person's performance."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from bizdev_common.api import Accepted as CommandAccepted
from bizdev_common.api import (
    ReadConsistency,
    RuntimeDep,
    money_of,
    one_of,
    page_of,
    schema_of,
)
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, MoneyIn, Name, PageParams, Text, Title
from bizdev_common.commands import CommandRoute
from bizdev_common.contract import MoneyModel
from bizdev_common.domain import NotFound
from bizdev_common.readmodel import ListQuery, Page
from bizdev_common.routes import RecordRoutes
from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bizdev_performance.api.access import Reach, guard_lead_reward
from bizdev_performance.api.common import App, Change, Create
from bizdev_performance.api.evaluations import EvaluationView, evaluation_view
from bizdev_performance.domain import LeadReward, PerformanceFile
from bizdev_performance.domain.values import ImprovementMeasure, IncentiveKind, SanctionKind
from bizdev_performance.published import Number

router = APIRouter(route_class=CommandRoute)


class IncentiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: Name = Field(description="User id of the high performer")
    cycle_id: UUID = Field(description="Grounds: a finalized cycle where they reached excellence")
    kind: IncentiveKind
    reason: Text
    bonus: MoneyIn | None = Field(default=None, description="The bonus, for kind bonus")
    title: Title | None = Field(
        default=None, description="The honorary title, or the position promoted to"
    )


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: Name
    cycle_id: UUID = Field(description="Grounds: a finalized cycle where they were below standard")
    measures: list[ImprovementMeasure] = Field(min_length=1, max_length=2)
    description: Text = Field(description="What the coaching and training are")
    until: Day
    reason: Text


class SanctionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: Name
    kind: SanctionKind
    plan_id: UUID = Field(description="Grounds: the improvement plan that was in place")
    cycle_id: UUID = Field(
        description="Grounds: a cycle later than the plan's, finalized after it started, "
        "still below standard"
    )
    reason: Text


class DecisionAccepted(BaseModel):
    """The person's file's new version, and the decision's (or plan's) id."""

    id: UUID = Field(description="The person's performance file")
    version: int
    decision_id: UUID


class DecisionView(BaseModel):
    id: UUID = Field(description="The decision (or the improvement plan)")
    file_id: UUID
    person: str
    department: str | None
    category: str = Field(description="incentive, improvement_plan or sanction")
    kind: str
    bonus: MoneyModel | None
    title: str | None
    measures: list[str] | None
    until: date | None
    plan_id: UUID | None = Field(description="Grounds of a sanction: the plan in place")
    cycle_id: UUID = Field(description="Grounds: the cycle")
    evaluation_id: UUID = Field(description="Grounds: the person's evaluation in it")
    score: Number | None = Field(description="Grounds: the score")
    decided_by: str
    decided_at: datetime


class DecisionDetail(DecisionView):
    reason: str = Field(description="Why: from the file's history (never published)")
    description: str | None


class PersonPerformance(BaseModel):
    person: str
    evaluations: list[EvaluationView] = Field(description="Every cycle, the latest first")
    decisions: list[DecisionView] = Field(description="Every decision, the latest first")


class LeadRewardView(BaseModel):
    id: UUID
    version: int
    finder: str
    department: str | None
    project_id: UUID | None
    state: str = Field(description="held (for hr's approval) or granted")
    amount: MoneyModel
    policy: str | None
    expected_revenue: MoneyModel | None
    approved_by: str | None
    created_at: datetime
    updated_at: datetime


def decision_view(r: asyncpg.Record) -> DecisionView:
    return DecisionView.model_validate(
        {
            **dict(r),
            "bonus": None if r["bonus_amount"] is None else money_of(r, "bonus"),
            "measures": None if r["measures"] is None else json.loads(r["measures"]),
        }
    )


def lead_reward_view(r: asyncpg.Record) -> LeadRewardView:
    return LeadRewardView.model_validate(
        {
            **dict(r),
            "amount": money_of(r, "amount"),
            "expected_revenue": None
            if r["expected_revenue_amount"] is None
            else money_of(r, "expected_revenue"),
        }
    )


@router.post(
    "/incentives",
    status_code=201,
    response_model=DecisionAccepted,
    tags=["incentives"],
    summary="Grant a high performer a commendation, bonus, promotion or honorary title (hr)",
    description="Publishes IncentiveGranted with its grounds; the reason stays in the file.",
)
def grant(body: IncentiveIn, actor: CurrentActor, cmd: Create) -> DecisionAccepted:
    result, decision = cmd.app.grant_incentive(
        actor,
        person=body.person,
        cycle_id=body.cycle_id,
        kind=body.kind,
        reason=body.reason,
        bonus=None if body.bonus is None else body.bonus.to_money(),
        title=body.title,
    )
    done = cmd.accepted(result)
    return DecisionAccepted(id=done.id, version=done.version, decision_id=decision)


@router.post(
    "/improvement-plans",
    status_code=201,
    response_model=DecisionAccepted,
    tags=["incentives"],
    summary="Start an improvement plan (coaching, training) for one below standard (hr)",
)
def start_plan(body: PlanIn, actor: CurrentActor, cmd: Create) -> DecisionAccepted:
    result, plan = cmd.app.start_improvement_plan(
        actor,
        person=body.person,
        cycle_id=body.cycle_id,
        measures=body.measures,
        description=body.description,
        until=body.until,
        reason=body.reason,
    )
    done = cmd.accepted(result)
    return DecisionAccepted(id=done.id, version=done.version, decision_id=plan)


@router.post(
    "/sanctions",
    status_code=201,
    response_model=DecisionAccepted,
    tags=["incentives"],
    summary="Demote or transfer (hr): only after an improvement plan and a later cycle still "
    "below standard",
    description="Refused (422 naming plan_id or cycle_id) without an improvement plan of the "
    "person's, or without a later finalized cycle below standard.",
)
def sanction(body: SanctionIn, actor: CurrentActor, cmd: Create) -> DecisionAccepted:
    result, decision = cmd.app.apply_sanction(
        actor,
        person=body.person,
        cycle_id=body.cycle_id,
        plan_id=body.plan_id,
        kind=body.kind,
        reason=body.reason,
    )
    done = cmd.accepted(result)
    return DecisionAccepted(id=done.id, version=done.version, decision_id=decision)


DECISIONS = ListQuery(
    "decisions",
    filters=["person", "category", "cycle_id", "department"],
    sorts=["decided_at", "person", "kind"],
    text=["person", "kind", "title"],
    default_sort="-decided_at",
)


@router.get(
    "/decisions",
    response_model=Page[DecisionView],
    tags=["incentives"],
    summary="Incentives, improvement plans and sanctions with their grounds (who needs to know)",
    description="Read-your-writes: `wait_for` the person's file id a decision answered.",
)
async def list_decisions(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(DECISIONS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    person: Name | None = None,
    category: Annotated[
        str | None, Query(pattern="^(incentive|improvement_plan|sanction)$")
    ] = None,
    cycle_id: UUID | None = None,
    department: Name | None = None,
) -> Page[DecisionView]:
    where = {
        "person": person,
        "category": category,
        "cycle_id": cycle_id,
        "department": department,
        "readable": (await Reach.of(rt, actor)).people(),
    }
    return await page_of(rt, DECISIONS, page, consistency, where, decision_view, written="files")


@router.get(
    "/decisions/{decision_id}",
    response_model=DecisionDetail,
    tags=["incentives"],
    summary="One decision with its grounds and reason (who needs to know)",
)
async def get_decision(
    decision_id: UUID, actor: CurrentActor, rt: RuntimeDep, app: App
) -> DecisionDetail:
    row = await rt.pool.fetchrow(
        f"SELECT * FROM {schema_of(rt)}.decisions WHERE id = $1", decision_id
    )
    if row is None:
        raise NotFound(f"no decision {decision_id}")
    await (await Reach.of(rt, actor)).check(rt, row["person"], [row["department"]])
    history = await run_in_threadpool(app.history, PerformanceFile, row["file_id"])
    said: dict[str, Any] | None = next(
        (e.data for e in history if e.data.get("decision_id") == decision_id), None
    )
    if said is None:
        said = next(
            (
                e.data
                for e in history
                if e.event == "ImprovementPlanStarted" and e.data.get("plan_id") == decision_id
            ),
            {},
        )
    return DecisionDetail(
        **decision_view(row).model_dump(),
        reason=str(said.get("reason", "")),
        description=said.get("description"),
    )


@router.get(
    "/people/{person_id}/performance",
    response_model=PersonPerformance,
    tags=["incentives"],
    summary="A person's history across cycles, and the decisions on it (who needs to know)",
)
async def person_performance(
    person_id: UUID, actor: CurrentActor, rt: RuntimeDep, response: Response
) -> PersonPerformance:
    row = await one_of(rt, "people", person_id, None, response)
    user = row["user_id"]
    departments = await rt.pool.fetch(
        f"SELECT DISTINCT department FROM {schema_of(rt)}.evaluations WHERE person = $1", user
    )
    await (await Reach.of(rt, actor)).check(
        rt, user, [row["department"], *(d["department"] for d in departments)]
    )
    s = schema_of(rt)
    evaluations = await rt.pool.fetch(
        f"SELECT * FROM {s}.evaluations WHERE person = $1 ORDER BY period DESC, created_at DESC",
        user,
    )
    decisions = await rt.pool.fetch(
        f"SELECT * FROM {s}.decisions WHERE person = $1 ORDER BY decided_at DESC", user
    )
    return PersonPerformance(
        person=user,
        evaluations=[evaluation_view(e) for e in evaluations],
        decisions=[decision_view(d) for d in decisions],
    )


LEAD_REWARDS = ListQuery(
    "lead_rewards",
    filters=["finder", "state", "project_id"],
    sorts=["created_at", "updated_at", "finder"],
    text=["finder"],
    default_sort="-created_at",
)


@router.get(
    "/lead-rewards",
    response_model=Page[LeadRewardView],
    tags=["incentives"],
    summary="Rewards of converted leads (the finder, their supervisors and head, hr, "
    "management, the auditor)",
)
async def list_lead_rewards(
    actor: CurrentActor,
    rt: RuntimeDep,
    page: Annotated[PageParams, Depends(LEAD_REWARDS.page_params)],
    consistency: Annotated[ReadConsistency, Query()],
    finder: Name | None = None,
    state: Annotated[str | None, Query(pattern="^(held|granted)$")] = None,
    project_id: UUID | None = None,
) -> Page[LeadRewardView]:
    where = {
        "finder": finder,
        "state": state,
        "project_id": project_id,
        "readable": (await Reach.of(rt, actor)).people("finder", "department"),
    }
    return await page_of(rt, LEAD_REWARDS, page, consistency, where, lead_reward_view)


LEAD_REWARD = RecordRoutes(
    router, "/lead-rewards/{reward_id}", "lead_reward", ["incentives"], guard=guard_lead_reward
)
LEAD_REWARD.detail("lead_rewards", LeadRewardView, lead_reward_view)
LEAD_REWARD.history(
    LeadReward,
    summary="Every event of the reward from its record: the conversion, the expected revenue "
    "a share is taken of, the grant",
)


@router.post(
    "/lead-rewards/{reward_id}/approve",
    response_model=CommandAccepted,
    tags=["incentives"],
    summary="Approve a held lead reward (hr; never the finder)",
)
def approve_lead_reward(reward_id: UUID, actor: CurrentActor, cmd: Change) -> CommandAccepted:
    return cmd.act(LeadReward, reward_id, lambda reward: reward.approve(actor))
