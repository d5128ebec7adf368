"""Key risk indicators (REGULATIONS 5.3): counts of what other services report, per customer,
per project or for the company, over a rolling window, against a warning and a critical
threshold; and the alerts their crossings raise.

Time is the upstream events' own (`occurred_at`), never the clock of the moment they are
read, so that reading the same topics again computes the same values and the same crossings.
A crossing's alert is named by the indicator's record, the threshold and which crossing of it
this is (the first, the second, ...), not by the event that happened to arrive last, so that
upstream events read in another order across partitions still name the same alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Role,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_risk.domain.risk import Category, Scope

_KRIS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:kri")
_HOLDERS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:holder")
COMPANY = uuid5(NAMESPACE_URL, "urn:bizdev:risk:company")
"""The scope id of a company-wide indicator."""


class Band(StrEnum):
    """Where a value stands against its indicator's thresholds."""

    NORMAL = "normal"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Band).index(self)


@dataclass(frozen=True)
class Indicator:
    """One KRI: what it counts (`source` service and `events`), per what (`scope`), over how
    many days, and its thresholds (a value at or above one is past it)."""

    name: str
    title: str
    source: str
    events: tuple[str, ...]
    scope: Scope
    category: Category
    window_days: int
    warning: int
    critical: int

    def __post_init__(self) -> None:
        if not 0 < self.warning < self.critical:
            raise ValueError(f"{self.name}: thresholds must rise: 0 < warning < critical")
        if self.window_days < 1:
            raise ValueError(f"{self.name}: a window is a day or more")

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)

    def band(self, value: int) -> Band:
        if value >= self.critical:
            return Band.CRITICAL
        if value >= self.warning:
            return Band.WARNING
        return Band.NORMAL

    def threshold(self, band: Band) -> int:
        return self.critical if band == Band.CRITICAL else self.warning


@dataclass(frozen=True)
class Crossing:
    """A threshold crossed upward: the alert it raises."""

    alert_id: UUID
    band: Band
    value: int
    at: datetime
    cause: str


class Kri(Aggregate):
    """One indicator's value for one scope (a customer, a project, the company)."""

    @staticmethod
    def create_id(indicator: str, scope_id: UUID) -> UUID:
        return uuid5(_KRIS, f"{indicator}/{scope_id}")

    class Opened(Aggregate.Created):
        indicator: str
        scope: str
        scope_id: UUID

    @event(Opened)
    def __init__(self, indicator: str, scope: str, scope_id: UUID) -> None:
        self.indicator = indicator
        self.scope = Scope(scope)
        self.scope_id = scope_id
        self.observations: dict[str, datetime] = {}
        """What counts now: each upstream event's key and time."""
        self.as_of: datetime | None = None
        self.band = Band.NORMAL
        self.crossings: dict[str, int] = {}
        """How many times each threshold has been crossed upward."""
        self.risk_id: UUID | None = None

    @property
    def value(self) -> int:
        return len(self.observations)

    class Measured(Aggregate.Event):
        indicator: str
        scope: str
        scope_id: UUID
        at: datetime
        value: int
        band: str
        counted: str | None
        counted_at: datetime | None
        expired: list[str]
        next_expiry_at: datetime | None

    def observe(self, indicator: Indicator, key: str, at: datetime) -> list[Crossing]:
        """Counts the upstream event `key` of time `at`, once; returns the thresholds it
        makes the value cross upward. What fell out of the window before `at` is dropped
        first, so a value that fell below a threshold and rises again crosses it again."""
        if key in self.observations:
            return []  # redelivered or read again
        now = at if self.as_of is None else max(self.as_of, at)
        if at + indicator.window <= now:
            return []  # already out of the window it would count in
        self._expire(indicator, now)
        band = indicator.band(self.value + 1)
        crossings = self._crossings(indicator, band, self.value + 1, now, key)
        self._measured(
            indicator=self.indicator,
            scope=self.scope.value,
            scope_id=self.scope_id,
            at=now,
            value=self.value + 1,
            band=band.value,
            counted=key,
            counted_at=at,
            expired=[],
            next_expiry_at=self._next_expiry(indicator, extra=at),
        )
        return crossings

    def expire(self, indicator: Indicator, now: datetime) -> bool:
        """The deadline check: drops what fell out of the window by `now`; False when
        nothing did."""
        if self.as_of is not None and now < self.as_of:
            now = self.as_of
        before = self.version
        self._expire(indicator, now)
        return self.version != before

    def _expire(self, indicator: Indicator, now: datetime) -> None:
        """Drops the observations whose window ended by `now`, each at the moment it ended,
        so that the value's history is the same whenever this runs."""
        gone = sorted(
            (at + indicator.window, key)
            for key, at in self.observations.items()
            if at + indicator.window <= now
        )
        for ended, key in gone:
            value = self.value - 1
            self._measured(
                indicator=self.indicator,
                scope=self.scope.value,
                scope_id=self.scope_id,
                at=ended,
                value=value,
                band=indicator.band(value).value,
                counted=None,
                counted_at=None,
                expired=[key],
                next_expiry_at=self._next_expiry(indicator, without=key),
            )

    def _next_expiry(
        self, indicator: Indicator, *, extra: datetime | None = None, without: str | None = None
    ) -> datetime | None:
        times = [at for key, at in self.observations.items() if key != without]
        if extra is not None:
            times.append(extra)
        return min(times) + indicator.window if times else None

    def _crossings(
        self, indicator: Indicator, band: Band, value: int, at: datetime, cause: str
    ) -> list[Crossing]:
        found = []
        for crossed in (Band.WARNING, Band.CRITICAL):
            if self.band.rank < crossed.rank <= band.rank:
                n = self.crossings.get(crossed.value, 0) + 1
                alert_id = uuid5(self.id, f"{crossed.value}/{n}")
                found.append(Crossing(alert_id, crossed, value, at, cause))
        return found

    @event(Measured)
    def _measured(
        self,
        indicator: str,
        scope: str,
        scope_id: UUID,
        at: datetime,
        value: int,
        band: str,
        counted: str | None,
        counted_at: datetime | None,
        expired: list[str],
        next_expiry_at: datetime | None,
    ) -> None:
        new = Band(band)
        for crossed in (Band.WARNING, Band.CRITICAL):
            if self.band.rank < crossed.rank <= new.rank:
                self.crossings[crossed.value] = self.crossings.get(crossed.value, 0) + 1
        self.band = new
        for key in expired:
            self.observations.pop(key, None)
        if counted is not None and counted_at is not None:
            self.observations[counted] = counted_at
        self.as_of = at if self.as_of is None else max(self.as_of, at)

    class RiskAssigned(Aggregate.Event):
        risk_id: UUID

    def assign_risk(self, risk_id: UUID) -> None:
        """The risk its alerts are linked to while it is open."""
        if self.risk_id != risk_id:
            self._assigned(risk_id=risk_id)

    @event(RiskAssigned)
    def _assigned(self, risk_id: UUID) -> None:
        self.risk_id = risk_id


class AlertState(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"


class Alert(Aggregate):
    """A KRI's crossing of a threshold: active until the risk officer acknowledges it."""

    class Breached(Aggregate.Created):
        kri_id: UUID
        indicator: str
        scope: str
        scope_id: UUID
        threshold: str
        threshold_value: int
        value: int
        at: datetime
        cause: str
        risk_id: UUID
        category: str

    @event(Breached)
    def __init__(
        self,
        kri_id: UUID,
        indicator: str,
        scope: str,
        scope_id: UUID,
        threshold: str,
        threshold_value: int,
        value: int,
        at: datetime,
        cause: str,
        risk_id: UUID,
        category: str,
    ) -> None:
        self.kri_id = kri_id
        self.indicator = indicator
        self.risk_id = risk_id
        self.state = AlertState.ACTIVE

    @classmethod
    def raise_for(cls, kri: Kri, indicator: Indicator, crossing: Crossing, risk_id: UUID) -> Alert:
        return cls._create(
            cls.Breached,
            id=crossing.alert_id,
            kri_id=kri.id,
            indicator=indicator.name,
            scope=kri.scope.value,
            scope_id=kri.scope_id,
            threshold=crossing.band.value,
            threshold_value=indicator.threshold(crossing.band),
            value=crossing.value,
            at=crossing.at,
            cause=crossing.cause,
            risk_id=risk_id,
            category=indicator.category.value,
        )

    class Acknowledged(Aggregate.Event):
        by: str
        note: str

    def acknowledge(self, actor: Actor, note: str) -> None:
        """The risk officer has seen the alert and what it means for its risk."""
        require_acting(actor)
        require_role(actor, Role.RISK_OFFICER)
        require_text("note", note)
        if self.state != AlertState.ACTIVE:
            raise InvalidTransition("the alert is already acknowledged")
        self._acknowledged(by=actor.user_id, note=note)

    @event(Acknowledged)
    def _acknowledged(self, by: str, note: str) -> None:
        self.state = AlertState.ACKNOWLEDGED


class Holder(Aggregate):
    """The department a customer or a project belongs to, as crm and projects publish it
    when it is registered or opened: the department of a risk its indicators raise, which
    the events that count (an overdue invoice, an overrun) do not name."""

    @staticmethod
    def create_id(scope_id: UUID) -> UUID:
        return uuid5(_HOLDERS, str(scope_id))

    class Recorded(Aggregate.Created):
        scope_id: UUID
        department: str

    @event(Recorded)
    def __init__(self, scope_id: UUID, department: str) -> None:
        self.department = department
