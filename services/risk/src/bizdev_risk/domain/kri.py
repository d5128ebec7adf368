"""Key risk indicators (REGULATIONS 5.3): counts of what other services report, per customer,
per project or for the company, over a rolling window, against a warning and a critical
threshold; and the alerts their crossings raise.

Time is the upstream events' own (`occurred_at`), never the clock of the moment they are
read, so that reading the same topics again computes the same values and the same crossings.
Crossings are found in the value's whole history, so neither the order the events are read
in (across partitions and topics) nor when the window's deadline check runs changes them; a
crossing's alert is named by the indicator's record, the threshold and which crossing of it
this is (the first, the second, ...)."""

from __future__ import annotations

from collections.abc import Mapping
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
_SUBJECTS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:subject")


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


def _in_window(at: datetime, t: datetime, window: timedelta) -> bool:
    """An event counts from its time until a window later (exclusive)."""
    return at <= t < at + window


def timeline_crossings(
    indicator: Indicator, observations: Mapping[str, datetime]
) -> dict[Band, list[tuple[datetime, int, str]]]:
    """Every upward crossing of each threshold in the value's whole history, in time order:
    when, the value, and the upstream event that took it across. It depends only on which
    events there are, not on the order they were read in nor on when the window's deadline
    check ran; at one moment, what leaves the window leaves before what arrives."""
    steps = sorted(
        [(at, 1, key) for key, at in observations.items()]
        + [(at + indicator.window, 0, key) for key, at in observations.items()]
    )
    found: dict[Band, list[tuple[datetime, int, str]]] = {Band.WARNING: [], Band.CRITICAL: []}
    value = 0
    for t, arrives, key in steps:
        if not arrives:
            value -= 1
            continue
        before, value = indicator.band(value), value + 1
        after = indicator.band(value)
        for crossed in (Band.WARNING, Band.CRITICAL):
            if before.rank < crossed.rank <= after.rank:
                found[crossed].append((t, value, key))
    return found


class Kri(Aggregate):
    """One indicator's value for one scope (a customer, a project, the company).

    It keeps every upstream event it counted, so that its crossings are those of the whole
    history however late an event arrives: the n-th crossing of a threshold raises the alert
    named `<threshold>/<n>`, once."""

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
        """Every upstream event counted: its key and time."""
        self.as_of: datetime | None = None
        self.value = 0
        self.band = Band.NORMAL
        self.crossings: dict[str, int] = {}
        """How many crossings of each threshold have raised their alert."""

    def _value_at(self, indicator: Indicator, t: datetime, extra: Mapping[str, datetime]) -> int:
        counted = {**self.observations, **extra}
        return sum(_in_window(at, t, indicator.window) for at in counted.values())

    def _next_expiry(
        self, indicator: Indicator, t: datetime, extra: Mapping[str, datetime]
    ) -> datetime | None:
        ends = [
            at + indicator.window
            for at in {**self.observations, **extra}.values()
            if _in_window(at, t, indicator.window)
        ]
        return min(ends) if ends else None

    def _expired(self, indicator: Indicator, since: datetime | None, t: datetime) -> list[str]:
        """What left the window between `since` and `t`."""
        if since is None:
            return []
        return sorted(
            key
            for key, at in self.observations.items()
            if _in_window(at, since, indicator.window) and not _in_window(at, t, indicator.window)
        )

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
        crossings: dict[str, int]

    def observe(self, indicator: Indicator, key: str, at: datetime) -> list[Crossing]:
        """Counts the upstream event `key` of time `at`, once; returns the crossings it adds
        to the value's history, each to raise its alert. The value shown is the value at the
        latest time seen."""
        if key in self.observations:
            return []  # redelivered or read again
        extra = {key: at}
        history = timeline_crossings(indicator, {**self.observations, **extra})
        new: list[Crossing] = []
        totals = dict(self.crossings)
        for band, found in history.items():
            raised = self.crossings.get(band.value, 0)
            for n in range(raised + 1, len(found) + 1):
                t, value, cause = found[n - 1]
                new.append(Crossing(uuid5(self.id, f"{band.value}/{n}"), band, value, t, cause))
            totals[band.value] = max(raised, len(found))
        now = at if self.as_of is None else max(self.as_of, at)
        value = self._value_at(indicator, now, extra)
        self._measured(
            indicator=self.indicator,
            scope=self.scope.value,
            scope_id=self.scope_id,
            at=now,
            value=value,
            band=indicator.band(value).value,
            counted=key,
            counted_at=at,
            expired=self._expired(indicator, self.as_of, now),
            next_expiry_at=self._next_expiry(indicator, now, extra),
            crossings=totals,
        )
        return new

    def expire(self, indicator: Indicator, now: datetime) -> bool:
        """The deadline check: the value falls as counted events leave the window, though
        no new one comes; one value per moment something left, at that moment. It never
        raises an alert, nor changes the crossings. False when nothing left by `now`."""
        if self.as_of is None:
            return False
        ends = sorted(
            {
                at + indicator.window
                for at in self.observations.values()
                if _in_window(at, self.as_of, indicator.window) and at + indicator.window <= now
            }
        )
        for end in ends:
            value = self._value_at(indicator, end, {})
            self._measured(
                indicator=self.indicator,
                scope=self.scope.value,
                scope_id=self.scope_id,
                at=end,
                value=value,
                band=indicator.band(value).value,
                counted=None,
                counted_at=None,
                expired=self._expired(indicator, self.as_of, end),
                next_expiry_at=self._next_expiry(indicator, end, {}),
                crossings=dict(self.crossings),
            )
        return bool(ends)

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
        crossings: dict[str, int],
    ) -> None:
        if counted is not None and counted_at is not None:
            self.observations[counted] = counted_at
        self.as_of = at
        self.value = value
        self.band = Band(band)
        self.crossings = dict(crossings)


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


class Subject(Aggregate):
    """What risks are raised against: a customer, a project or the company. The department
    it belongs to, as crm and projects publish it when it is registered or opened (the
    department of a risk its indicators raise, which the events that count, an overdue
    invoice or an overrun, do not name); and its open risks by category, which a KRI's alert
    is linked to rather than raising another."""

    @staticmethod
    def create_id(scope_id: UUID) -> UUID:
        return uuid5(_SUBJECTS, str(scope_id))

    class Registered(Aggregate.Created):
        scope_id: UUID
        department: str | None

    @event(Registered)
    def __init__(self, scope_id: UUID, department: str | None) -> None:
        self.department = department
        self.open_risks: dict[str, list[UUID]] = {}

    class DepartmentNoted(Aggregate.Event):
        department: str

    def note_department(self, department: str) -> None:
        """The department the upstream service gives it, when it had none yet."""
        if self.department is None:
            self._noted(department=department)

    @event(DepartmentNoted)
    def _noted(self, department: str) -> None:
        self.department = department

    def open_risk(self, category: Category) -> UUID | None:
        """The oldest open risk of the category against it."""
        found = self.open_risks.get(category.value)
        return found[0] if found else None

    class RiskOpened(Aggregate.Event):
        risk_id: UUID
        category: str

    def risk_opened(self, risk_id: UUID, category: Category) -> None:
        self._risk_opened(risk_id=risk_id, category=category.value)

    @event(RiskOpened)
    def _risk_opened(self, risk_id: UUID, category: str) -> None:
        self.open_risks.setdefault(category, []).append(risk_id)

    class RiskClosed(Aggregate.Event):
        risk_id: UUID

    def risk_closed(self, risk_id: UUID) -> None:
        if any(risk_id in ids for ids in self.open_risks.values()):
            self._risk_closed(risk_id=risk_id)

    @event(RiskClosed)
    def _risk_closed(self, risk_id: UUID) -> None:
        for ids in self.open_risks.values():
            if risk_id in ids:
                ids.remove(risk_id)
