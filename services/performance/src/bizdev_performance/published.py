"""The performance service's published events (topic `bizdev.performance.events.v1`).

Need to know: the topic carries ids, kinds, numbers, dates and money; people's names, the
reasons of decisions, rating comments and feedback text stay in the event store, shown over
HTTP only to who may read that person's evaluation. Analytics joins on user ids."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from bizdev_common.contract import (
    AMOUNT_OUT,
    DecidingTimeZone,
    EventContract,
    MoneyModel,
    PublicEvent,
)
from pydantic import Field, PlainSerializer, WithJsonSchema

from bizdev_performance.domain import (
    Cycle,
    Department,
    Evaluation,
    Indicator,
    LeadReward,
    MarketShare,
    PerformanceFile,
    Person,
    Target,
)

Number = Annotated[
    Decimal,
    PlainSerializer(lambda v: format(v, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_OUT}),
]
"""An exact decimal as a string in plain notation ("87.50"), never a float."""

# --- the organisation -------------------------------------------------------------------------


class PersonJoined(PublicEvent):
    """hr recorded a person of the organisation (no name: analytics joins on the user id)."""

    user_id: str = Field(description="The user id their tokens carry")
    department: str = Field(description="Their department")
    position: str = Field(description="Their position")
    supervisor: str | None = Field(description="User id of their supervisor, if any")
    joined_on: date = Field(description="The day they joined")


class PersonMoved(PublicEvent):
    """hr moved a person to another department or position."""

    user_id: str = Field(description="The person")
    department: str = Field(description="Their department now")
    position: str = Field(description="Their position now")
    previous_department: str = Field(description="Their department before")
    previous_position: str = Field(description="Their position before")


class SupervisorAssigned(PublicEvent):
    """hr assigned a person's supervisor."""

    user_id: str = Field(description="The person")
    supervisor: str = Field(description="User id of the supervisor now")
    previous_supervisor: str | None = Field(description="User id of the one before, if any")


class PersonLeft(PublicEvent):
    """A person left the organisation."""

    user_id: str = Field(description="The person")
    department: str = Field(description="The department they left")
    left_on: date = Field(description="Their last day")


class DepartmentEstablished(PublicEvent):
    """hr recorded a department with its head."""

    department: str = Field(description="The department's name, as tokens carry it")
    head: str = Field(description="User id of its head")


class DepartmentHeadAppointed(PublicEvent):
    """hr appointed a department's new head."""

    department: str = Field(description="The department")
    head: str = Field(description="User id of its head now")
    previous_head: str | None = Field(description="User id of the head before")


# --- indicators --------------------------------------------------------------------------------


class IndicatorDefined(PublicEvent):
    """An indicator was defined (REGULATIONS 8.1)."""

    name: str = Field(description="What it is called")
    kind: str = Field(description="sales, profit, customer_satisfaction, market_share or custom")
    measure: str = Field(
        description="Where its actuals come from: contract_value, revenue, profit, "
        "satisfaction or market_share"
    )
    unit: str = Field(description="Its unit; a currency code for money measures")
    direction: str = Field(description="higher_is_better or lower_is_better")
    description: str = Field(description="What it means")


class TargetSet(PublicEvent):
    """A target was set for a subject and period, from business goals and job duties."""

    indicator_id: UUID = Field(description="The indicator")
    subject_kind: str = Field(description="person, team (a project's team) or department")
    subject: str = Field(description="User id, project id or department name")
    subject_department: str | None = Field(description="The subject's department, if known")
    period: str = Field(description="YYYY, YYYY-Qn or YYYY-MM")
    value: Number = Field(description="The target, in the indicator's unit")


class TargetRevised(PublicEvent):
    """A target was set again, with a reason (kept in its history)."""

    value: Number = Field(description="The target now")
    previous_value: Number = Field(description="The target before")


class MarketShareRecorded(PublicEvent):
    """The market department entered a market share with its source (REGULATIONS 8.3)."""

    subject_kind: str = Field(description="person, team or department")
    subject: str = Field(description="User id, project id or department name")
    period: str = Field(description="YYYY, YYYY-Qn or YYYY-MM")
    percent: Number = Field(description="The share, in percent")
    source: str = Field(description="Where the figure comes from")


# --- cycles -------------------------------------------------------------------------------------


class CycleOpened(PublicEvent):
    """hr opened an evaluation cycle for a population, its dates and weights fixed."""

    name: str = Field(description="The cycle's name")
    kind: str = Field(description="monthly, quarterly or annual")
    period: str = Field(description="The period evaluated")
    first_day: date = Field(description="Its first day")
    last_day: date = Field(description="Its last day")
    ratings_due: date = Field(description="Ratings are due by the end of this day")
    finalize_due: date = Field(description="hr finalizes the cycle by the end of this day")
    feedback_due: date = Field(description="Feedback is delivered by the end of this day")
    weights: dict[str, Number] = Field(description="Weight of each indicator (by id)")
    ratings_weight: Number = Field(description="Weight of the ratings; all weights add to 100")
    standard: Number = Field(description="A score below it is below standard")
    excellence: Number = Field(description="A score at or above it is a high performance")
    population: list[str] = Field(description="User ids of the people evaluated")


class CycleFinalized(PublicEvent):
    """hr finalized the cycle: every evaluation in it is scored and frozen."""

    period: str = Field(description="The period evaluated")
    evaluated: int = Field(description="How many people were evaluated")
    below_standard: int = Field(description="How many scored below standard")
    high_performers: int = Field(description="How many reached excellence")


class EvaluationOpened(PublicEvent):
    """One person's evaluation in a cycle, with who may rate them (the organisation's
    relations when the cycle opened)."""

    cycle_id: UUID = Field(description="The cycle")
    period: str = Field(description="The period evaluated")
    person: str = Field(description="User id of the person evaluated")
    department: str = Field(description="Their department")
    supervisor: str | None = Field(description="Their supervisor then")
    raters: dict[str, str] = Field(
        description="User id -> relation (supervisor, peer, subordinate) of who may rate"
    )
    ratings_due: date = Field(description="Ratings are due by the end of this day")
    feedback_due: date = Field(description="Feedback is due by the end of this day")


class RatingRecorded(PublicEvent):
    """A rating of the person (1-5 each); comments stay with the evaluation."""

    cycle_id: UUID = Field(description="The cycle")
    person: str = Field(description="The person rated")
    rater: str = Field(description="User id of the rater, or customer:<id> for a customer")
    relation: str = Field(description="supervisor, peer, subordinate or customer")
    customer_id: str | None = Field(description="The crm customer, for a customer's rating")
    attitude: int = Field(description="1 to 5")
    collaboration: int = Field(description="1 to 5")
    innovation: int = Field(description="1 to 5")


class EvaluationFinalized(PublicEvent):
    """The person's evaluation was scored with the cycle's weights and frozen."""

    cycle_id: UUID = Field(description="The cycle")
    period: str = Field(description="The period evaluated")
    person: str = Field(description="The person evaluated")
    department: str = Field(description="Their department")
    score: Number | None = Field(description="The score (0-150), null when nothing could be scored")
    quantitative: Number | None = Field(description="The weighted attainment alone")
    qualitative: Number | None = Field(description="The ratings' mean times 20")
    attainments: dict[str, Number | None] = Field(
        description="Attainment in percent per indicator id (capped at 150); null: no target"
    )
    ratings: int = Field(description="How many ratings counted")
    standard: Number = Field(description="The cycle's standard")
    excellence: Number = Field(description="The cycle's excellence score")
    below_standard: bool = Field(description="Scored below the standard")
    high_performer: bool = Field(description="Scored at or above excellence")
    finalized_on: date = Field(description="The day it was finalized")


class FeedbackDelivered(PublicEvent):
    """The supervisor (or hr) delivered the feedback: strengths, gaps and suggestions."""

    cycle_id: UUID = Field(description="The cycle")
    person: str = Field(description="The person evaluated")
    acknowledge_by: date = Field(description="The person acknowledges it by the end of this day")


class FeedbackAcknowledged(PublicEvent):
    """The person acknowledged the feedback."""

    cycle_id: UUID = Field(description="The cycle")
    person: str = Field(description="The person evaluated")


class EvaluationStepOverdue(PublicEvent):
    """A step of the evaluation was not done when its day was over (once per step)."""

    cycle_id: UUID = Field(description="The cycle")
    person: str = Field(description="The person evaluated")
    step: str = Field(description="feedback or acknowledgement")
    due_on: date = Field(description="The day it was due")
    waiting_on: str | None = Field(description="User id of who should have done it")
    time_zone: DecidingTimeZone


# --- incentives and sanctions ---------------------------------------------------------------------


class IncentiveGranted(PublicEvent):
    """hr granted a high performer an incentive, on the grounds of a finalized evaluation."""

    person: str = Field(description="The person")
    department: str = Field(description="Their department when it was decided")
    decision_id: UUID = Field(description="The decision")
    kind: str = Field(description="commendation, bonus, promotion or honorary_title")
    bonus: MoneyModel | None = Field(description="The bonus, for a bonus")
    title: str | None = Field(description="The honorary title, or the position promoted to")
    cycle_id: UUID = Field(description="Grounds: the cycle")
    evaluation_id: UUID = Field(description="Grounds: the person's evaluation in it")
    score: Number | None = Field(description="Grounds: the score")


class ImprovementPlanStarted(PublicEvent):
    """Below standard: an improvement plan (coaching, training) comes first."""

    person: str = Field(description="The person")
    department: str = Field(description="Their department when it was decided")
    plan_id: UUID = Field(description="The plan")
    measures: list[str] = Field(description="coaching, training")
    until: date = Field(description="The plan runs until this day")
    started_on: date = Field(description="The day it started")
    cycle_id: UUID = Field(description="Grounds: the cycle below standard")
    evaluation_id: UUID = Field(description="Grounds: the person's evaluation in it")
    score: Number | None = Field(description="Grounds: the score")


class SanctionApplied(PublicEvent):
    """Demotion or transfer, after an improvement plan and a later cycle still below standard."""

    person: str = Field(description="The person")
    department: str = Field(description="Their department when it was decided")
    decision_id: UUID = Field(description="The decision")
    kind: str = Field(description="demotion or transfer")
    plan_id: UUID = Field(description="Grounds: the improvement plan that was in place")
    cycle_id: UUID = Field(description="Grounds: the later cycle still below standard")
    evaluation_id: UUID = Field(description="Grounds: the person's evaluation in it")
    score: Number | None = Field(description="Grounds: that score")


class LeadRewardHeld(PublicEvent):
    """A lead's reward waits for hr's approval: nobody but its finder approved the
    application it became."""

    finder: str = Field(description="User id of the lead's finder")
    department: str = Field(description="The finder's department")
    amount: MoneyModel = Field(description="The reward the policy sets")


class LeadRewardGranted(PublicEvent):
    """A converted lead's finder earned the reward the policy sets, once per lead
    (REGULATIONS 2.1); `by` approved it, never the finder."""

    finder: str = Field(description="User id of the lead's finder")
    department: str = Field(description="The finder's department")
    project_id: UUID = Field(description="The project the lead became")
    amount: MoneyModel = Field(description="The reward")
    policy: str = Field(description="fixed or share (of the expected revenue)")
    expected_revenue: MoneyModel | None = Field(description="The project's expected revenue")


CONTRACT = EventContract(
    "performance",
    {
        Person.Joined: PersonJoined,
        Person.Moved: PersonMoved,
        Person.SupervisorAssigned: SupervisorAssigned,
        Person.Left: PersonLeft,
        Department.Established: DepartmentEstablished,
        Department.HeadAppointed: DepartmentHeadAppointed,
        Indicator.Defined: IndicatorDefined,
        Target.Set: TargetSet,
        Target.Revised: TargetRevised,
        MarketShare.Recorded: MarketShareRecorded,
        Cycle.Opened: CycleOpened,
        Cycle.Finalized: CycleFinalized,
        Evaluation.Opened: EvaluationOpened,
        Evaluation.Rated: RatingRecorded,
        Evaluation.Finalized: EvaluationFinalized,
        Evaluation.FeedbackDelivered: FeedbackDelivered,
        Evaluation.FeedbackAcknowledged: FeedbackAcknowledged,
        Evaluation.StepOverdue: EvaluationStepOverdue,
        PerformanceFile.IncentiveGranted: IncentiveGranted,
        PerformanceFile.ImprovementPlanStarted: ImprovementPlanStarted,
        PerformanceFile.SanctionApplied: SanctionApplied,
        LeadReward.HeldForApproval: LeadRewardHeld,
        LeadReward.Granted: LeadRewardGranted,
    },
)
