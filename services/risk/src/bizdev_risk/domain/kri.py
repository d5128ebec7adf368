"""Key risk indicators (REGULATIONS 5.3): counts of what other services report, per customer,
per project or for the company, over a rolling window, against a warning and a critical
threshold; and the alerts their crossings raise.

Time is the upstream events' own (`occurred_at`), never the clock of the moment they are
read, so that reading the same topics again computes the same values and the same crossings.
Crossings are found in the value's whole history, so neither the order the events are read
in (across partitions and topics) nor when the window's deadline check runs changes them; a
crossing's alert is named by the indicator's record, the threshold and which crossing of it
this is (the first, the second, ...) under the indicator's definition version.

What an indicator counts, per what, over which window and against which thresholds is a
record the risk officer keeps (`KriDefinition`), versioned: a revision applies from then on,
and every alert names the version that raised it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_risk.domain.risk import Category, Scope, require_risk_officer

_KRIS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:kri")
_SUBJECTS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:subject")
_DEFINITIONS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:kri-definition")

COUNTABLE: dict[str, tuple[str, frozenset[Scope]]] = {
    "ComplaintReceived": ("crm", frozenset({Scope.CUSTOMER, Scope.COMPANY})),
    "ComplaintEscalated": ("crm", frozenset({Scope.CUSTOMER, Scope.COMPANY})),
    "FollowUpOverdue": ("crm", frozenset({Scope.CUSTOMER, Scope.COMPANY})),
    "ReceivableOverdue": ("finance", frozenset({Scope.CUSTOMER, Scope.COMPANY})),
    "BudgetLineOverrun": ("finance", frozenset({Scope.PROJECT, Scope.COMPANY})),
    "MilestoneOverdue": ("projects", frozenset({Scope.PROJECT, Scope.COMPANY})),
    "DeviationReported": ("projects", frozenset({Scope.PROJECT, Scope.COMPANY})),
}
"""What an indicator can count: the upstream events risk reads (reactions.py), the service
that publishes each, and what each names to be counted against (every one counts for the
company)."""

NAME = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
WINDOW_DAYS_MAX = 3660


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
    """One KRI as one version of its definition says: what it counts (`source` service and
    `events`), per what (`scope`), over how many days, and its thresholds (a value at or
    above one is past it)."""

    name: str
    version: int
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


def _built_in(
    name: str, title: str, event: str, scope: Scope, category: Category, days: int, w: int, c: int
) -> Indicator:
    return Indicator(name, 1, title, COUNTABLE[event][0], (event,), scope, category, days, w, c)


BUILT_IN: tuple[Indicator, ...] = (
    _built_in(
        "complaints_per_customer",
        "Complaints received from a customer",
        "ComplaintReceived",
        Scope.CUSTOMER,
        Category.MARKET,
        90,
        2,
        4,
    ),
    _built_in(
        "escalated_complaints_per_customer",
        "Complaints of a customer escalated for want of an answer in time",
        "ComplaintEscalated",
        Scope.CUSTOMER,
        Category.MARKET,
        90,
        1,
        3,
    ),
    _built_in(
        "overdue_follow_ups_per_customer",
        "Follow-up visits of a customer missed",
        "FollowUpOverdue",
        Scope.CUSTOMER,
        Category.MARKET,
        180,
        1,
        3,
    ),
    _built_in(
        "overdue_receivables_per_customer",
        "Invoices of a customer unpaid past their due date",
        "ReceivableOverdue",
        Scope.CUSTOMER,
        Category.CREDIT,
        180,
        1,
        3,
    ),
    _built_in(
        "overdue_receivables",
        "Invoices unpaid past their due date, company-wide",
        "ReceivableOverdue",
        Scope.COMPANY,
        Category.CREDIT,
        30,
        10,
        25,
    ),
    _built_in(
        "budget_overruns_per_project",
        "Budget lines of a project overspent",
        "BudgetLineOverrun",
        Scope.PROJECT,
        Category.OPERATIONAL,
        365,
        1,
        3,
    ),
    _built_in(
        "overdue_milestones_per_project",
        "Milestones of a project overdue",
        "MilestoneOverdue",
        Scope.PROJECT,
        Category.OPERATIONAL,
        180,
        1,
        3,
    ),
    _built_in(
        "deviations_per_project",
        "Deviations from a project's plan reported",
        "DeviationReported",
        Scope.PROJECT,
        Category.OPERATIONAL,
        180,
        2,
        4,
    ),
)
"""The indicators the service comes with: each one's definition at version 1."""


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
        self.definition_version = 1
        """The version of its indicator's definition it was last measured by."""
        self.crossings: dict[str, int] = {}
        """How many crossings of each threshold under that version are dealt with: raised
        their alert, or were past when the version took effect."""

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
        class_version = 2

        indicator: str
        kri_definition_version: int
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

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["kri_definition_version"] = 1  # measured before definitions had versions

    def alert_id(self, indicator: Indicator, band: Band, n: int) -> UUID:
        """The n-th crossing of a threshold under the definition's version. Version 1's
        alerts keep the names they had before definitions had versions."""
        prefix = "" if indicator.version == 1 else f"v{indicator.version}/"
        return uuid5(self.id, f"{prefix}{band.value}/{n}")

    def _accounted(self, indicator: Indicator) -> dict[str, int]:
        """The crossings of the current definition version already dealt with. Under a new
        version, those the history so far holds by its thresholds are past: they raise no
        alert, as the revision applies from then on."""
        if indicator.version == self.definition_version:
            return dict(self.crossings)
        return {
            band.value: len(found)
            for band, found in timeline_crossings(indicator, self.observations).items()
        }

    def observe(self, indicator: Indicator, key: str, at: datetime) -> list[Crossing]:
        """Counts the upstream event `key` of time `at`, once; returns the crossings it adds
        to the value's history, each to raise its alert. The value shown is the value at the
        latest time seen."""
        if key in self.observations:
            return []  # redelivered or read again
        extra = {key: at}
        history = timeline_crossings(indicator, {**self.observations, **extra})
        new: list[Crossing] = []
        accounted = self._accounted(indicator)
        totals = dict(accounted)
        for band, found in history.items():
            raised = accounted.get(band.value, 0)
            for n in range(raised + 1, len(found) + 1):
                t, value, cause = found[n - 1]
                new.append(Crossing(self.alert_id(indicator, band, n), band, value, t, cause))
            totals[band.value] = max(raised, len(found))
        now = at if self.as_of is None else max(self.as_of, at)
        value = self._value_at(indicator, now, extra)
        self._measured(
            indicator=self.indicator,
            kri_definition_version=indicator.version,
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
                kri_definition_version=indicator.version,
                scope=self.scope.value,
                scope_id=self.scope_id,
                at=end,
                value=value,
                band=indicator.band(value).value,
                counted=None,
                counted_at=None,
                expired=self._expired(indicator, self.as_of, end),
                next_expiry_at=self._next_expiry(indicator, end, {}),
                crossings=self._accounted(indicator),
            )
        return bool(ends)

    @event(Measured)
    def _measured(
        self,
        indicator: str,
        kri_definition_version: int,
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
        self.definition_version = kri_definition_version
        self.crossings = dict(crossings)


class AlertState(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"


class Alert(Aggregate):
    """A KRI's crossing of a threshold: active until the risk officer acknowledges it."""

    class Breached(Aggregate.Created):
        class_version = 2

        kri_id: UUID
        indicator: str
        kri_definition_version: int
        scope: str
        scope_id: UUID
        threshold: str
        threshold_value: int
        value: int
        at: datetime
        cause: str
        risk_id: UUID
        category: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["kri_definition_version"] = 1  # raised before definitions had versions

    @event(Breached)
    def __init__(
        self,
        kri_id: UUID,
        indicator: str,
        kri_definition_version: int,
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
        self.kri_definition_version = kri_definition_version
        self.risk_id = risk_id
        self.state = AlertState.ACTIVE

    @classmethod
    def raise_for(cls, kri: Kri, indicator: Indicator, crossing: Crossing, risk_id: UUID) -> Alert:
        return cls._create(
            cls.Breached,
            id=crossing.alert_id,
            kri_id=kri.id,
            indicator=indicator.name,
            kri_definition_version=indicator.version,
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


def _require_definition(
    name: str,
    title: str,
    events: Sequence[str],
    scope: Scope,
    window_days: int,
    warning: int,
    critical: int,
) -> None:
    if not NAME.match(name):
        raise RuleViolation("name", "2 to 80 of a-z, 0-9 and _, starting with a letter")
    require_text("title", title)
    if not events:
        raise RuleViolation("events", "an indicator counts at least one kind of event")
    for n, e in enumerate(events):
        if e not in COUNTABLE:
            raise RuleViolation(f"events.{n}", f"not an event risk counts: {sorted(COUNTABLE)}")
        if scope not in COUNTABLE[e][1]:
            raise RuleViolation(f"events.{n}", f"{e} names no {scope.value} to count it against")
    if len({COUNTABLE[e][0] for e in events}) > 1:
        raise RuleViolation("events", "an indicator counts the events of one service")
    if len(set(events)) != len(events):
        raise RuleViolation("events", "each event once")
    if not 1 <= window_days <= WINDOW_DAYS_MAX:
        raise RuleViolation("window_days", f"1 to {WINDOW_DAYS_MAX} days")
    if warning < 1:
        raise RuleViolation("warning", "a threshold is 1 or more")
    if critical <= warning:
        raise RuleViolation("critical", "the critical threshold is above the warning one")


class KriDefinition(Aggregate):
    """One key risk indicator as the risk officer defines it (REGULATIONS 5.3, role table):
    what it counts and per what (fixed once defined: its values are kept per customer,
    project or the company), its title, window, thresholds and the category of the risks its
    alerts raise (revised). Its version is the indicator's: a revision applies to what is
    counted from then on. The built-in indicators are its version 1, defined by nobody."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(_DEFINITIONS, name)

    class Defined(Aggregate.Created):
        by: str | None
        name: str
        title: str
        events: list[str]
        scope: str
        category: str
        window_days: int
        warning: int
        critical: int

    @event(Defined)
    def __init__(
        self,
        by: str | None,
        name: str,
        title: str,
        events: list[str],
        scope: str,
        category: str,
        window_days: int,
        warning: int,
        critical: int,
    ) -> None:
        self.name = name
        self.scope = Scope(scope)
        self._tuned(by, title, events, category, window_days, warning, critical)

    def _tuned(
        self,
        by: str | None,
        title: str,
        events: list[str],
        category: str,
        window_days: int,
        warning: int,
        critical: int,
    ) -> None:
        self.by = by
        self.title = title
        self.events = list(events)
        self.category = Category(category)
        self.window_days = window_days
        self.warning = warning
        self.critical = critical

    @classmethod
    def define(
        cls,
        actor: Actor,
        *,
        name: str,
        title: str,
        events: Sequence[str],
        scope: Scope,
        category: Category,
        window_days: int,
        warning: int,
        critical: int,
    ) -> KriDefinition:
        """The risk officer defines a new indicator."""
        require_risk_officer(actor)
        _require_definition(name, title, events, scope, window_days, warning, critical)
        return cls._create(
            cls.Defined,
            id=cls.create_id(name),
            by=actor.user_id,
            name=name,
            title=title,
            events=list(events),
            scope=scope.value,
            category=category.value,
            window_days=window_days,
            warning=warning,
            critical=critical,
        )

    @classmethod
    def built_in(cls, indicator: Indicator) -> KriDefinition:
        """An indicator the service comes with, as its version 1."""
        return cls._create(
            cls.Defined,
            id=cls.create_id(indicator.name),
            by=None,
            name=indicator.name,
            title=indicator.title,
            events=list(indicator.events),
            scope=indicator.scope.value,
            category=indicator.category.value,
            window_days=indicator.window_days,
            warning=indicator.warning,
            critical=indicator.critical,
        )

    class Revised(Aggregate.Event):
        by: str
        title: str
        events: list[str]
        category: str
        window_days: int
        warning: int
        critical: int

    def revise(
        self,
        actor: Actor,
        *,
        title: str,
        events: Sequence[str],
        category: Category,
        window_days: int,
        warning: int,
        critical: int,
    ) -> None:
        """The risk officer tunes the indicator: the next version, from now on."""
        require_risk_officer(actor)
        _require_definition(self.name, title, events, self.scope, window_days, warning, critical)
        self._revised(
            by=actor.user_id,
            title=title,
            events=list(events),
            category=category.value,
            window_days=window_days,
            warning=warning,
            critical=critical,
        )

    @event(Revised)
    def _revised(
        self,
        by: str,
        title: str,
        events: list[str],
        category: str,
        window_days: int,
        warning: int,
        critical: int,
    ) -> None:
        self._tuned(by, title, events, category, window_days, warning, critical)

    @property
    def indicator(self) -> Indicator:
        return Indicator(
            self.name,
            self.version,
            self.title,
            COUNTABLE[self.events[0]][0],
            tuple(self.events),
            self.scope,
            self.category,
            self.window_days,
            self.warning,
            self.critical,
        )


class KriCatalogue(Aggregate):
    """The names of the indicators defined, so that all of them can be found: each upstream
    event is offered to every one. Written only when an indicator is defined."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(_DEFINITIONS, "catalogue")

    class Started(Aggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        self.names: list[str] = []

    class Listed(Aggregate.Event):
        name: str

    def add(self, name: str) -> None:
        if name in self.names:
            raise InvalidTransition(f"an indicator {name} is defined already: revise it")
        self._listed(name=name)

    @event(Listed)
    def _listed(self, name: str) -> None:
        self.names.append(name)
