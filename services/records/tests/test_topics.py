"""A record's commands are split over a package (archiving, borrowing, destruction), but its
events stay declared in `Record` in the module `bizdev_records.domain.record`: the library
stores each event under that name (`bizdev_records.domain.record:Record.LoanApplied`), so the
events stored before the split load as they are."""

from __future__ import annotations

from bizdev_common.stored_topics import event_classes_of
from bizdev_records.domain import Record
from eventsourcing.utils import get_topic, resolve_topic

MODULE = "bizdev_records.domain.record"


def test_a_records_events_keep_the_topics_they_were_stored_under() -> None:
    events = event_classes_of(Record)
    assert {e.__name__ for e in events} >= {"Filed", "LoanApplied", "Numbered", "Destroyed"}
    for cls in {Record} | events:
        topic = f"{MODULE}:{cls.__qualname__}"
        assert get_topic(cls) == topic
        assert resolve_topic(topic) is cls
