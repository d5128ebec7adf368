"""Indicators (REGULATIONS 8.1): what is measured, in which unit and which way is better; the
targets per person, team or department and period, set from business goals and job duties;
and market share, the one actual entered by hand (by the market department, with a source)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4, uuid5

from bizdev_common.domain import (
    Actor,
    Forbidden,
    Role,
    RuleViolation,
    minor_units,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_performance.domain.values import (
    DEFAULT_MEASURE,
    MONEY_MEASURES,
    NAMESPACE,
    Direction,
    IndicatorKind,
    Measure,
    SubjectKind,
    period_bounds,
)

_TARGETS = uuid5(NAMESPACE, "target")
_MARKET_SHARES = uuid5(NAMESPACE, "market-share")
MARKET_DEPARTMENT = "market"
"""The department that enters market share (as projects' market insights)."""


class Indicator(Aggregate):
    """A measurable indicator: hr or management define it."""

    class Defined(Aggregate.Created):
        by: str
        name: str
        kind: str
        measure: str
        unit: str
        direction: str
        description: str

    @classmethod
    def define(
        cls,
        actor: Actor,
        *,
        name: str,
        kind: IndicatorKind,
        measure: Measure | None,
        unit: str,
        direction: Direction,
        description: str,
    ) -> Indicator:
        require_acting(actor)
        require_role(actor, Role.HR, Role.MANAGEMENT)
        require_text("name", name)
        require_text("unit", unit)
        if measure is None:
            if kind is IndicatorKind.CUSTOM:
                raise RuleViolation("measure", "a custom indicator names its measure")
            measure = DEFAULT_MEASURE[kind]
        if kind is IndicatorKind.MARKET_SHARE and measure is not Measure.MARKET_SHARE:
            raise RuleViolation("measure", "market share is measured as market_share")
        if measure in MONEY_MEASURES and minor_units(unit) is None:
            raise RuleViolation("unit", f"{measure} is money: its unit is a currency such as CNY")
        return cls._create(
            cls.Defined,
            id=uuid4(),
            by=actor.user_id,
            name=name,
            kind=kind.value,
            measure=measure.value,
            unit=unit,
            direction=direction.value,
            description=description,
        )

    @event(Defined)
    def __init__(
        self, by: str, name: str, kind: str, measure: str, unit: str, direction: str,
        description: str,
    ) -> None:  # fmt: skip
        self.name = name
        self.kind = IndicatorKind(kind)
        self.measure = Measure(measure)
        self.unit = unit
        self.direction = Direction(direction)
        self.description = description


def may_set_targets(actor: Actor, subject_department: str | None) -> None:
    """hr and management set any target; a department head those of their department and its
    people (job duties are theirs to know)."""
    require_acting(actor)
    if actor.has(Role.HR) or actor.has(Role.MANAGEMENT):
        return
    if subject_department is not None and actor.is_head_of(subject_department):
        return
    raise Forbidden("targets are set by hr, management or the head of the subject's department")


class Target(Aggregate):
    """The target of one indicator for one subject and period; set again, it is revised with
    a reason, every value kept in its history."""

    @staticmethod
    def create_id(indicator_id: UUID, subject_kind: SubjectKind, subject: str, period: str) -> UUID:
        return uuid5(_TARGETS, f"{indicator_id}/{subject_kind.value}/{subject}/{period}")

    class Set(Aggregate.Created):
        by: str
        indicator_id: UUID
        subject_kind: str
        subject: str
        subject_department: str | None
        period: str
        value: Decimal
        basis: str

    @classmethod
    def set(
        cls,
        actor: Actor,
        indicator: Indicator,
        *,
        subject_kind: SubjectKind,
        subject: str,
        subject_department: str | None,
        period: str,
        value: Decimal,
        basis: str,
    ) -> Target:
        may_set_targets(actor, subject_department)
        require_text("subject", subject)
        require_text("basis", basis)
        period_bounds(period)
        if indicator.measure is Measure.PROFIT and subject_kind is SubjectKind.PERSON:
            raise RuleViolation(
                "subject_kind", "profit is a project's: its team's or its department's"
            )
        _positive(value, indicator)
        return cls._create(
            cls.Set,
            id=cls.create_id(indicator.id, subject_kind, subject, period),
            by=actor.user_id,
            indicator_id=indicator.id,
            subject_kind=subject_kind.value,
            subject=subject,
            subject_department=subject_department,
            period=period,
            value=value,
            basis=basis,
        )

    @event(Set)
    def __init__(
        self, by: str, indicator_id: UUID, subject_kind: str, subject: str,
        subject_department: str | None, period: str, value: Decimal, basis: str,
    ) -> None:  # fmt: skip
        self.indicator_id = indicator_id
        self.subject_kind = SubjectKind(subject_kind)
        self.subject = subject
        self.subject_department = subject_department
        self.period = period
        self.value = value
        self.basis = basis

    class Revised(Aggregate.Event):
        by: str
        value: Decimal
        previous_value: Decimal
        basis: str
        reason: str

    def revise(
        self, actor: Actor, indicator: Indicator, *, value: Decimal, basis: str, reason: str
    ) -> None:
        may_set_targets(actor, self.subject_department)
        require_text("basis", basis)
        require_text("reason", reason)
        _positive(value, indicator)
        if value == self.value:
            raise RuleViolation("value", f"the target is {value} already")
        self._revise(
            by=actor.user_id, value=value, previous_value=self.value, basis=basis, reason=reason
        )

    @event(Revised)
    def _revise(
        self, by: str, value: Decimal, previous_value: Decimal, basis: str, reason: str
    ) -> None:
        self.value = value
        self.basis = basis


def _positive(value: Decimal, indicator: Indicator) -> None:
    if not value.is_finite() or value <= 0:
        raise RuleViolation("value", "a target is more than zero")
    if indicator.measure is Measure.SATISFACTION and value > 5:
        raise RuleViolation("value", "satisfaction is 1 to 5")
    if indicator.measure is Measure.MARKET_SHARE and value > 100:
        raise RuleViolation("value", "market share is a percent, at most 100")


class MarketShare(Aggregate):
    """Market share of a subject in a period, entered by the market department with its
    source; entered again, the latest figure counts and every one is kept."""

    @staticmethod
    def create_id(subject_kind: SubjectKind, subject: str, period: str) -> UUID:
        return uuid5(_MARKET_SHARES, f"{subject_kind.value}/{subject}/{period}")

    class Recorded(Aggregate.Event):
        by: str
        subject_kind: str
        subject: str
        period: str
        percent: Decimal
        source: str

    class Opened(Aggregate.Created):
        subject_kind: str
        subject: str
        period: str

    @classmethod
    def open(cls, subject_kind: SubjectKind, subject: str, period: str) -> MarketShare:
        period_bounds(period)
        require_text("subject", subject)
        return cls._create(
            cls.Opened,
            id=cls.create_id(subject_kind, subject, period),
            subject_kind=subject_kind.value,
            subject=subject,
            period=period,
        )

    @event(Opened)
    def __init__(self, subject_kind: str, subject: str, period: str) -> None:
        self.subject_kind = SubjectKind(subject_kind)
        self.subject = subject
        self.period = period

    def record(self, actor: Actor, percent: Decimal, source: str) -> None:
        require_acting(actor)
        if actor.department != MARKET_DEPARTMENT:
            raise Forbidden("market share is entered by the market department")
        require_text("source", source)
        if not Decimal(0) <= percent <= Decimal(100):
            raise RuleViolation("percent", "a share is 0 to 100 percent")
        self._record(
            by=actor.user_id,
            subject_kind=self.subject_kind.value,
            subject=self.subject,
            period=self.period,
            percent=percent,
            source=source,
        )

    @event(Recorded)
    def _record(
        self, by: str, subject_kind: str, subject: str, period: str, percent: Decimal, source: str
    ) -> None:
        self.percent = percent
