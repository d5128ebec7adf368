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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from bizdev_risk.domain.indicator import Band, Indicator
from bizdev_risk.domain.values import Scope

_KRIS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:kri")


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
