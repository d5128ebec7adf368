"""An event another service published crosses the boundary's rules wherever a value sits:
what a client could never have sent is refused, naming the field, and an ordinary event
passes untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from bizdev_common.boundary import Refused, refuse_unsafe
from bizdev_common.contract import MoneyModel, PublicEvent
from pydantic import BaseModel


class Line(BaseModel):
    """A nested model, as a plan's budget lines are."""

    item: str
    amount: MoneyModel
    due: date | None = None


class Planned(PublicEvent):
    title: str
    lines: list[Line]
    tags: dict[str, str] = {}
    starts_at: datetime | None = None
    revision: int = 1


def planned(**changes: Any) -> Planned:
    good: dict[str, Any] = {
        "aggregate_id": uuid4(),
        "version": 3,
        "occurred_at": datetime(2026, 3, 2, 9, tzinfo=UTC),
        "by": "li.na",
        "title": "Line one\n\tindented\r\nline two, 上海",
        "lines": [
            {"item": "travel", "amount": {"amount": "1250000.00", "currency": "CNY"}},
            {
                "item": "hardware",
                "amount": {"amount": "-0.5", "currency": "CNY"},
                "due": "2026-06-30",
            },
        ],
        "tags": {"region": "east"},
        "starts_at": datetime(2026, 4, 1, 8, tzinfo=timezone(timedelta(hours=8))),
    }
    # Changed without validation: some of what is refused here the models let through from
    # the wire (a NUL, a naive moment, any date), the rest stands for what a laxer model would.
    return Planned.model_validate(good).model_copy(update=changes)


def refused(event: Planned) -> Refused:
    with pytest.raises(Refused) as e:
        refuse_unsafe(event)
    return e.value


def line(**changes: Any) -> Line:
    return planned().lines[1].model_copy(update=changes)


def test_an_ordinary_event_passes() -> None:
    refuse_unsafe(planned())


@pytest.mark.parametrize(
    ("changes", "path", "says"),
    [
        ({"title": "Zhang\x00Wei"}, "title", "control character U+0000"),
        ({"by": "x\x1b"}, "by", "U+001B"),
        ({"title": "x\ud800"}, "title", "lone surrogate U+D800"),
        ({"tags": {"region": "e\x00"}}, "tags['region']", "U+0000"),
        ({"tags": {"re\x00gion": "east"}}, "tags['re\\x00gion'] (key)", "U+0000"),
        ({"occurred_at": datetime(2026, 3, 2, 9)}, "occurred_at", "timezone"),
        ({"starts_at": datetime(2201, 1, 1, tzinfo=UTC)}, "starts_at", "years 1900 to 2200"),
        ({"revision": 2**63}, "revision", "64 bits"),
    ],
)
def test_a_value_no_client_could_send_is_refused_naming_its_field(
    changes: dict[str, Any], path: str, says: str
) -> None:
    error = refused(planned(**changes))
    assert error.path == path
    assert says in str(error)


@pytest.mark.parametrize(
    ("changes", "path", "says"),
    [
        ({"item": "hard\x00ware"}, "lines[1].item", "U+0000"),
        ({"due": date(1899, 12, 31)}, "lines[1].due", "between 1900-01-01 and 2200-12-31"),
        ({"due": date(9999, 12, 31)}, "lines[1].due", "between"),
        (
            {"amount": MoneyModel.model_construct(amount=Decimal("NaN"), currency="CNY")},
            "lines[1].amount.amount",
            "finite",
        ),
        (
            {"amount": MoneyModel.model_construct(amount=Decimal("1E-999999999"), currency="CNY")},
            "lines[1].amount.amount",
            "at most 18 decimals",
        ),
        (
            {"amount": MoneyModel.model_construct(amount=Decimal("1E+18"), currency="CNY")},
            "lines[1].amount.amount",
            "|d| < 10^18",
        ),
        (
            {"amount": MoneyModel.model_construct(amount=Decimal("1"), currency="C\x00Y")},
            "lines[1].amount.currency",
            "U+0000",
        ),
    ],
)
def test_nested_values_are_refused_with_their_path(
    changes: dict[str, Any], path: str, says: str
) -> None:
    event = planned()
    error = refused(event.model_copy(update={"lines": [event.lines[0], line(**changes)]}))
    assert error.path == path
    assert says in str(error)


def test_the_edges_of_the_ranges_pass() -> None:
    refuse_unsafe(
        planned(
            occurred_at=datetime(1900, 1, 1, tzinfo=UTC),
            starts_at=datetime(2200, 12, 31, 23, 59, tzinfo=UTC),
            revision=2**63 - 1,
            lines=[line(due=date(2200, 12, 31)), line(due=date(1900, 1, 1))],
        )
    )
