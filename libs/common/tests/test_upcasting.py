"""Stored events outlive the code that wrote them: an event saved by an old definition loads
under a new one that raised its `class_version` and upcasts the stored state.

The store is the eventsourcing library's in-memory recorder with the services' own
transcoder (Money, dates, the metadata every stored event carries)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import eventsourcing.utils
import pytest
from bizdev_common.days import company_time_zone
from bizdev_common.domain import Money
from bizdev_common.eventstore import ServiceApplication
from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, Transcoder


class Store(Application[Any]):
    """A POPO application encoding events as a service does, over a given recorder, so that
    a second one (the new code) reads what the first one (the old code) wrote."""

    def __init__(self, recorder: ApplicationRecorder | None = None) -> None:
        self._given = recorder
        super().__init__()

    def construct_recorder(self) -> ApplicationRecorder:
        return self._given or super().construct_recorder()

    construct_transcoder = ServiceApplication.construct_transcoder


MODULE = "bizdev_upcasting_demo"

OLD = """
from bizdev_common.domain import Money
from eventsourcing.domain import Aggregate, event


class Deal(Aggregate):
    @event("Opened")
    def __init__(self, title: str, value: Money) -> None:
        self.title = title
        self.value = value
"""

# Today's definition: `Opened` gained `priority`, so its class_version is 2, and an event
# stored at version 1 gets the default when read.
NEW = """
from typing import Any

from bizdev_common.domain import Money
from eventsourcing.domain import Aggregate, event


class Deal(Aggregate):
    class Opened(Aggregate.Created):
        class_version = 2
        title: str
        value: Money
        priority: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["priority"] = "normal"

    @event(Opened)
    def __init__(self, title: str, value: Money, priority: str) -> None:
        self.title = title
        self.value = value
        self.priority = priority
"""


@pytest.fixture
def code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], ModuleType]]:
    """Deploys a version of the module: as a new process would, it imports it afresh, under
    the same name, so that stored topics resolve to the version deployed."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)

    def deploy(source: str) -> ModuleType:
        sys.modules.pop(MODULE, None)
        forget_topics_of(MODULE)
        (tmp_path / f"{MODULE}.py").write_text(source)
        importlib.invalidate_caches()
        return importlib.import_module(MODULE)

    yield deploy
    sys.modules.pop(MODULE, None)
    forget_topics_of(MODULE)


def forget_topics_of(module: str) -> None:
    """Only this module's resolved topics: clearing the whole cache would also drop the old
    topics the services register for classes they moved (stored_topics.keep_old_topics),
    which nothing registers again in this process."""
    cache = eventsourcing.utils._topic_cache
    for topic in [t for t in cache if t == module or t.startswith(f"{module}:")]:
        del cache[topic]


def test_an_event_stored_by_the_old_definition_loads_upcast_under_the_new_one(
    code: Callable[[str], ModuleType],
) -> None:
    old = code(OLD)
    old_process = Store()
    stored = old.Deal(title="Warehouse pilot", value=Money(Decimal("1250000.00"), "CNY"))
    old_process.save(stored)
    (record,) = old_process.recorder.select_events(stored.id)
    assert record.topic == f"{MODULE}:Deal.Opened"
    assert b"class_version" not in record.state
    assert b"priority" not in record.state

    new = code(NEW)
    new_process = Store(old_process.recorder)
    loaded: Any = new_process.repository.get(stored.id)

    assert type(loaded) is new.Deal
    assert loaded.title == "Warehouse pilot"
    assert loaded.value == Money(Decimal("1250000.00"), "CNY")
    assert loaded.priority == "normal"
    opened: Any
    (opened,) = new_process.events.get(stored.id)
    assert type(opened) is new.Deal.Opened
    assert opened.priority == "normal"


def test_the_new_definition_stores_its_version_and_reads_it_back_as_is(
    code: Callable[[str], ModuleType],
) -> None:
    new = code(NEW)
    store = Store()
    deal = new.Deal(title="Second site", value=Money(Decimal("10"), "CNY"), priority="high")
    store.save(deal)
    (record,) = store.recorder.select_events(deal.id)
    assert b'"class_version":2' in record.state.replace(b" ", b"")
    assert store.repository.get(deal.id).priority == "high"


def test_the_transcoder_is_the_services_own() -> None:
    assert isinstance(Store().mapper.transcoder, Transcoder)
    assert type(Store().mapper.transcoder).__name__ == "MetaTranscoder"


OLD_LOAN = """
from datetime import date

from eventsourcing.domain import Aggregate, event


class Loan(Aggregate):
    @event("Lent")
    def __init__(self, due_on: date) -> None:
        self.due_on = due_on
        self.overdue_in: str | None = None

    class Overdue(Aggregate.Event):
        due_on: date

    def overdue(self) -> None:
        self._overdue(due_on=self.due_on)

    @event(Overdue)
    def _overdue(self, due_on: date) -> None:
        self.overdue_in = "?"
"""

# Today's definition: the report names the zone whose day decided it (bizdev_common.days).
NEW_LOAN = """
from datetime import date

from bizdev_common.days import decided_in_utc, zone_name
from eventsourcing.domain import Aggregate, event


class Loan(Aggregate):
    @event("Lent")
    def __init__(self, due_on: date) -> None:
        self.due_on = due_on
        self.overdue_in: str | None = None

    class Overdue(Aggregate.Event):
        class_version = 2
        due_on: date
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    def overdue(self) -> None:
        self._overdue(due_on=self.due_on, time_zone=zone_name())

    @event(Overdue)
    def _overdue(self, due_on: date, time_zone: str) -> None:
        self.overdue_in = time_zone
"""


def test_an_overdue_report_stored_before_it_named_its_zone_reads_as_decided_in_utc(
    code: Callable[[str], ModuleType],
) -> None:
    old = code(OLD_LOAN)
    old_process = Store()
    stored = old.Loan(due_on=date(2026, 3, 31))
    stored.overdue()
    old_process.save(stored)

    new = code(NEW_LOAN)
    new_process = Store(old_process.recorder)
    with company_time_zone("Asia/Shanghai"):  # the zone now is not the one that decided then
        loaded: Any = new_process.repository.get(stored.id)
        _, overdue = new_process.events.get(stored.id)
        later = new.Loan(due_on=date(2026, 4, 30))
        later.overdue()
    assert type(overdue) is new.Loan.Overdue
    assert (overdue.time_zone, loaded.overdue_in) == ("UTC", "UTC")
    assert later.overdue_in == "Asia/Shanghai"
