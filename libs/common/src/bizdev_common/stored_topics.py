"""Stored events name their class: the eventsourcing library stores each event under its
topic, `<module>:<qualname>` (`bizdev_projects.domain:Lead.Submitted`), and a created event
also names its aggregate's class (`originator_topic`). Moving a class to another module
changes both for the events stored from then on, but the ones stored before keep the old
names for good. So a module split into a package registers the old name of every class it
moved, with every class nested in it: the aggregate's events."""

from __future__ import annotations

from collections.abc import Iterator

from eventsourcing.utils import register_topic


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
