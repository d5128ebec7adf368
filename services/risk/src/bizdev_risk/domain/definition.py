"""Key risk indicators' definitions (REGULATIONS 5.3, role table): what the risk officer
defines and revises, versioned, and the catalogue of every indicator's name."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import NAMESPACE_URL, UUID, uuid5

from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    RuleViolation,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_risk.domain.indicator import COUNTABLE, NAME, WINDOW_DAYS_MAX, Indicator
from bizdev_risk.domain.values import Category, Scope, require_risk_officer

_DEFINITIONS = uuid5(NAMESPACE_URL, "urn:bizdev:risk:kri-definition")


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
