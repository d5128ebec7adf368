"""The counter behind archive numbers: one per category and year.

Taking a number is an event of the counter, saved in the same transaction as the record's
RecordNumbered: two archivists numbering at once both read sequence n, and the second save
fails on the counter's version and is retried, so a number is never given twice, and a
refused or failed command leaves no gap (its number was never saved)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from bizdev_records.domain.scheme import Category

_SERIES = uuid5(NAMESPACE_URL, "urn:bizdev:records:number-series")


class NumberSeries(Aggregate):
    @staticmethod
    def create_id(category: str, year: int) -> UUID:
        return uuid5(_SERIES, f"{category}/{year}")

    class Started(Aggregate.Created):
        category: str
        year: int

    @event(Started)
    def __init__(self, category: str, year: int) -> None:
        self.category = Category(category)
        self.year = year
        self.last = 0

    class Taken(Aggregate.Event):
        sequence: int

    def take(self) -> int:
        self._take(sequence=self.last + 1)
        return self.last

    @event(Taken)
    def _take(self, sequence: int) -> None:
        self.last = sequence
