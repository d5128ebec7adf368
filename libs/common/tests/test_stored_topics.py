"""A class moved out of a module that no longer exists: only the old topics registered for it
and its nested events let the events stored under them load."""

from __future__ import annotations

from uuid import UUID

import pytest
from bizdev_common.stored_topics import event_classes_of, keep_old_topics, stored_in
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import TopicError, resolve_topic

GONE = "bizdev_common_tests.gone_module"


class Parcel(Aggregate):
    class Sent(Aggregate.Created):
        to: str

    @event(Sent)
    def __init__(self, to: str) -> None:
        self.to = to
        self.delivered = False

    @event("Delivered")
    def deliver(self) -> None:
        self.delivered = True


def test_events_stored_under_a_module_that_is_gone_load_once_kept() -> None:
    app = Application[UUID](env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    parcel = Parcel("Shanghai")
    parcel.deliver()
    events = parcel.collect_events()
    app.recorder.insert_events([stored_in(GONE, app.mapper, e) for e in events])
    with pytest.raises(TopicError, match=GONE):
        app.repository.get(parcel.id)

    kept = keep_old_topics(GONE, Parcel)

    assert set(kept) == {f"{GONE}:{c.__qualname__}" for c in {Parcel} | event_classes_of(Parcel)}
    assert {f"{GONE}:Parcel.Sent", f"{GONE}:Parcel.Delivered"} <= set(kept)
    assert resolve_topic(f"{GONE}:Parcel") is Parcel
    loaded = app.repository.get(parcel.id)
    assert (type(loaded), loaded.to, loaded.delivered) == (Parcel, "Shanghai", True)
