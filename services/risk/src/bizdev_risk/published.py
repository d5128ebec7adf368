"""The risk service's published events (topic `bizdev.risk.events.v1`).

A risk against a customer carries the customer's id only: crm's personal data never leaves
crm, and no event here repeats any."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from bizdev_common.contract import DecidingTimeZone, EventContract, MoneyModel, PublicEvent
from pydantic import BaseModel, ConfigDict, Field

from bizdev_risk.domain import (
    COMPANY,
    Alert,
    IdentificationRound,
    Kri,
    KriDefinition,
    ReviewMeeting,
    Risk,
)

SCOPE_ID = f"The customer's (crm's id) or the project's id; for the company always {COMPANY}"


class ScenarioModel(BaseModel):
    """A scenario analysis of an assessment."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    scenario: str = Field(description="What could happen")
    probability: Decimal = Field(description="How likely, in percent (0-100)")
    impact: MoneyModel = Field(description="What it would cost")


class ActionModel(BaseModel):
    """An action agreed at a review meeting."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    action: str = Field(description="What is to be done")
    owner: str = Field(description="User id of who does it")
    due_on: date = Field(description="By when")


class RiskRaised(PublicEvent):
    """A risk was identified (REGULATIONS 5.1), by a person, or by a KRI's alert (`by` null,
    `alert_id` set). Against a project, a customer (its id only) or the company."""

    category: str = Field(description="market, credit, operational or legal")
    scope: str = Field(description="project, customer or company")
    project_id: UUID | None = Field(description="The project, when against one")
    customer_id: UUID | None = Field(description="The customer (crm's id), when against one")
    department: str | None = Field(description="The department it belongs to, if known")
    title: str = Field(description="Short name of the risk")
    description: str = Field(description="What the risk is")
    cause: str = Field(description="What causes it")
    alert_id: UUID | None = Field(description="The KRI alert that raised it, if any")


class RiskAssessed(PublicEvent):
    """The risk officer assessed the risk on the 5x5 matrix, inherent (before the response)
    or residual (with it); each reassessment is another event."""

    assessment: str = Field(description="inherent or residual")
    likelihood: int = Field(description="1 to 5")
    impact: int = Field(description="1 to 5")
    score: int = Field(description="likelihood x impact, 1 to 25")
    level: str = Field(description="low, medium, high or critical, by the configured bounds")
    scenarios: list[ScenarioModel] = Field(description="Scenario analyses")
    note: str = Field(description="The assessor's note")


class ResponsePlanned(PublicEvent):
    """The risk's strategy was chosen with a reason (REGULATIONS 5.2)."""

    strategy: str = Field(description="avoid, reduce, transfer or accept")
    reason: str = Field(description="Why")
    level: str = Field(description="The risk's level when it was chosen")
    sign_off_required: bool = Field(
        description="accept at level high or above: in force once management signs it off"
    )


class StrategyChanged(PublicEvent):
    """The strategy was changed, with a reason; the earlier one stays in the history."""

    strategy: str = Field(description="The new strategy")
    previous: str = Field(description="The strategy before")
    reason: str = Field(description="Why it changed")
    level: str = Field(description="The risk's level when it changed")
    sign_off_required: bool = Field(description="As for ResponsePlanned")


class AcceptanceSignedOff(PublicEvent):
    """Management signed off the acceptance of a risk at level high or above (never the one
    who proposed it)."""

    level: str = Field(description="The risk's level signed off")
    proposed_by: str = Field(description="User id of who proposed accepting it")


class MeasureAdded(PublicEvent):
    """A measure of the response, with its responsible department and person and due date."""

    measure_id: UUID = Field(description="The measure")
    description: str = Field(description="What is to be done")
    department: str = Field(description="Responsible department")
    person: str = Field(description="User id of the responsible person")
    due_on: date = Field(description="When it is due")
    next_review_at: datetime = Field(description="When its first review is due")


class MeasureReviewed(PublicEvent):
    """A periodic review of a measure; the next is due a cadence (by level) later."""

    measure_id: UUID = Field(description="The measure")
    effective: bool = Field(description="Whether the review found it effective")
    note: str = Field(description="What the review found")
    next_review_at: datetime = Field(description="When the next review is due")


class MeasureCompleted(PublicEvent):
    """The measure was done."""

    measure_id: UUID = Field(description="The measure")
    note: str = Field(description="What was done")
    late: bool = Field(description="Completed after its due date")


class MeasureOverdue(PublicEvent):
    """A measure was not completed by its due date (once per measure); `by` is null."""

    measure_id: UUID = Field(description="The measure")
    person: str = Field(description="User id of the responsible person")
    department: str = Field(description="Responsible department")
    due_on: date = Field(description="When it was due")
    time_zone: DecidingTimeZone


class MeasureReviewOverdue(PublicEvent):
    """A measure's review was not held by its due time (once per due time); `by` is null."""

    measure_id: UUID = Field(description="The measure")
    department: str = Field(description="Responsible department")
    due_at: datetime = Field(description="When the review was due")


class RiskAlertLinked(PublicEvent):
    """A KRI alert about what the risk is about was linked to it."""

    alert_id: UUID = Field(description="The alert")
    indicator: str = Field(description="The indicator")
    value: int = Field(description="Its value at the crossing")
    threshold: str = Field(description="warning or critical")


class RiskClosed(PublicEvent):
    """The risk officer closed the risk, with a reason."""

    reason: str = Field(description="Why it no longer needs managing")


class KriValueChanged(PublicEvent):
    """A key risk indicator's value for one scope changed: an upstream event counted, or one
    fell out of the rolling window. `at` is the upstream events' time, not the reading's."""

    indicator: str = Field(description="The indicator's name (GET /indicators)")
    scope: str = Field(description="customer, project or company")
    scope_id: UUID = Field(description=SCOPE_ID)
    at: datetime = Field(description="When the value holds from")
    value: int = Field(description="The count within the window")
    band: str = Field(description="normal, warning or critical")
    counted: str | None = Field(description="The upstream event counted (service/id/version)")
    expired: list[str] = Field(description="The upstream events that fell out of the window")
    next_expiry_at: datetime | None = Field(description="When the oldest counted one falls out")
    crossings: dict[str, int] = Field(
        description="How many times each threshold (warning, critical) of the definition's "
        "version has been crossed upward so far: each crossing raised one "
        "KriThresholdBreached, but those already past when the version took effect"
    )
    kri_definition_version: int = Field(
        default=1, description="The version of the indicator's definition it was measured by"
    )


class KriThresholdBreached(PublicEvent):
    """A KRI crossed a threshold upward: an alert, active until acknowledged (once per
    crossing: falling back below and crossing again is another alert; an upstream event read
    again is not)."""

    kri_id: UUID = Field(description="The indicator's record for this scope")
    indicator: str = Field(description="The indicator's name")
    scope: str = Field(description="customer, project or company")
    scope_id: UUID = Field(description=SCOPE_ID)
    threshold: str = Field(description="warning or critical")
    threshold_value: int = Field(description="The threshold crossed")
    value: int = Field(description="The value that crossed it")
    at: datetime = Field(description="When, in the upstream events' time")
    cause: str = Field(description="The upstream event that took it across")
    risk_id: UUID = Field(description="The risk it raised or was linked to")
    category: str = Field(description="The risk category the indicator watches")
    kri_definition_version: int = Field(
        default=1, description="The version of the indicator's definition that raised it"
    )


class KriDefined(PublicEvent):
    """A key risk indicator was defined (its version 1): by the risk officer, or built in
    (`by` null). What it counts and per what stay as defined."""

    name: str = Field(description="The indicator's name, which alerts and values carry")
    title: str = Field(description="What it watches")
    events: list[str] = Field(description="The upstream events it counts, of one service")
    scope: str = Field(description="customer, project or company: per what it counts them")
    category: str = Field(description="The category of the risks its alerts raise")
    window_days: int = Field(description="The rolling window, in days")
    warning: int = Field(description="A value at or above it is past the warning threshold")
    critical: int = Field(description="... the critical threshold")


class KriRevised(PublicEvent):
    """The risk officer revised an indicator: its next version (the event's `version`),
    applied to what is counted from then on."""

    title: str = Field(description="What it watches")
    events: list[str] = Field(description="The upstream events it counts, of one service")
    category: str = Field(description="The category of the risks its alerts raise")
    window_days: int = Field(description="The rolling window, in days")
    warning: int = Field(description="The warning threshold")
    critical: int = Field(description="The critical threshold")


class AlertAcknowledged(PublicEvent):
    """The risk officer acknowledged the alert: no longer active."""

    note: str = Field(description="What the risk officer made of it")


class IdentificationRoundOpened(PublicEvent):
    """The risk officer opened a periodic identification round (REGULATIONS 5.1)."""

    period_start: date = Field(description="First day of the period")
    period_end: date = Field(description="Last day of the period")
    departments: list[str] = Field(description="The departments asked")
    due_on: date = Field(description="When their submissions are due")


class IdentificationSubmitted(PublicEvent):
    """A department's head submitted its identified risks, or declared none."""

    department: str = Field(description="The department")
    risk_ids: list[UUID] = Field(description="Its risks identified in the period")
    declared_none: bool = Field(description="It declared no risk")
    late: bool = Field(description="Submitted after the due date")


class IdentificationOverdue(PublicEvent):
    """A department had not submitted when the round's due date was over (once); `by` null."""

    department: str = Field(description="The department")
    due_on: date = Field(description="When it was due")
    time_zone: DecidingTimeZone


class ReviewMeetingRecorded(PublicEvent):
    """A risk review meeting (REGULATIONS 5.3): attendees, risks discussed, conclusions and
    actions."""

    held_on: date = Field(description="When it was held")
    title: str = Field(description="Its title")
    attendees: list[str] = Field(description="User ids of who attended")
    risk_ids: list[UUID] = Field(description="Risks discussed")
    conclusions: str = Field(description="What it concluded")
    actions: list[ActionModel] = Field(description="Actions agreed")


CONTRACT = EventContract(
    "risk",
    {
        Risk.Raised: RiskRaised,
        Risk.Assessed: RiskAssessed,
        Risk.ResponsePlanned: ResponsePlanned,
        Risk.StrategyChanged: StrategyChanged,
        Risk.AcceptanceSignedOff: AcceptanceSignedOff,
        Risk.MeasureAdded: MeasureAdded,
        Risk.MeasureReviewed: MeasureReviewed,
        Risk.MeasureCompleted: MeasureCompleted,
        Risk.MeasureOverdue: MeasureOverdue,
        Risk.ReviewOverdue: MeasureReviewOverdue,
        Risk.AlertLinked: RiskAlertLinked,
        Risk.Closed: RiskClosed,
        Kri.Measured: KriValueChanged,
        Alert.Breached: KriThresholdBreached,
        Alert.Acknowledged: AlertAcknowledged,
        KriDefinition.Defined: KriDefined,
        KriDefinition.Revised: KriRevised,
        IdentificationRound.Opened: IdentificationRoundOpened,
        IdentificationRound.Submitted: IdentificationSubmitted,
        IdentificationRound.Overdue: IdentificationOverdue,
        ReviewMeeting.Recorded: ReviewMeetingRecorded,
    },
)
