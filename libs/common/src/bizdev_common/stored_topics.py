"""Stored events name their class: the eventsourcing library stores each event under its
topic, `<module>:<qualname>` (`bizdev_projects.domain:Lead.Submitted`), and a created event
also names its aggregate's class (`originator_topic`). Moving a class to another module
changes both for the events stored from then on, but the ones stored before keep the old
names for good. So a module split into a package registers the old name of every class it
moved, with every class nested in it: the aggregate's events."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, CanMutateAggregate, DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, register_topic, resolve_topic


def keep_old_topics(old_module: str, *classes: type) -> dict[str, type]:
    """Makes `<old_module>:<qualname>` resolve to each of `classes` and to every class nested
    in one (recursively), so that events stored before they moved still load. Returns the old
    topics with their classes."""
    kept: dict[str, type] = {}
    for cls in classes:
        for moved in _with_nested(cls):
            topic = f"{old_module}:{moved.__qualname__}"
            register_topic(topic, moved)
            kept[topic] = moved
    return kept


def _with_nested(cls: type) -> Iterator[type]:
    yield cls
    for value in vars(cls).values():
        # Defined in `cls`, not merely referred to by one of its attributes.
        if isinstance(value, type) and value.__qualname__ == f"{cls.__qualname__}.{value.__name__}":
            yield from _with_nested(value)


# --- for the tests that show it: every aggregate of a package, its events as stored before ---


def aggregates_in(package: ModuleType) -> set[type[Aggregate]]:
    """The aggregate classes defined in the modules of `package`."""
    found: set[type[Aggregate]] = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found |= {
            v
            for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, Aggregate) and v.__module__ == module.__name__
        }
    return found


def event_classes_of(cls: type[Aggregate]) -> set[type]:
    """The event classes an aggregate defines, nested in it, its base `Event` and `Created` too."""
    return {c for c in _with_nested(cls) if issubclass(c, CanMutateAggregate)}


def stored_in(old_module: str, mapper: Mapper[Any], event: DomainEventProtocol[Any]) -> StoredEvent:
    """The event as it was stored when its classes lived in `old_module`: its topic, and the
    aggregate's class a record's first event names (`originator_topic`), in that module."""
    stored = mapper.to_stored_event(event)
    state = mapper.transcoder.decode(stored.state)
    if "originator_topic" in state:
        aggregate = resolve_topic(state["originator_topic"])
        state["originator_topic"] = f"{old_module}:{aggregate.__qualname__}"
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=f"{old_module}:{type(event).__qualname__}",
        state=mapper.transcoder.encode(state),
    )


def state_of(aggregate: Aggregate) -> dict[str, Any]:
    """An aggregate's state: its attributes but the events it has not yet handed over."""
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def reload_stored_in(
    old_module: str, app: Application[Any], records: Iterable[Aggregate]
) -> set[type]:
    """Stores the pending events of each of `records` as they were stored when their classes
    lived in `old_module`, and loads the record back from `app`: it must be the record it
    was. Returns the classes of the events stored, for a test to hold against every class
    its aggregates define."""
    stored_types: set[type] = set()
    for record in records:
        events = record.collect_events()
        stored_types |= {type(e) for e in events}
        stored = [stored_in(old_module, app.mapper, e) for e in events]
        if any(s.topic == get_topic(type(e)) for s, e in zip(stored, events, strict=True)):
            raise AssertionError(f"{type(record).__name__}: an event kept its current topic")
        app.recorder.insert_events(stored)
        loaded: Aggregate = app.repository.get(record.id)
        if type(loaded) is not type(record) or state_of(loaded) != state_of(record):
            raise AssertionError(f"{type(record).__name__} {record.id} loads otherwise")
    return stored_types
