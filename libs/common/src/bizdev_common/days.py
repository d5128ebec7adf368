"""The company's days. Instants are UTC everywhere; a day (due, overdue, "today", a month
that is over, a retention year) is the company's day in its time zone, one setting for every
service: BIZDEV_COMPANY_TIME_ZONE, an IANA name such as `Asia/Shanghai` (UTC where nothing is
set). A company in China whose days turned on UTC saw every overdue flag and every "month is
over" at 08:00 the next morning.

The zone is read once per process. Events keep UTC instants; those that report a day as over
name the zone that decided it (`time_zone`), so a reader in another zone can tell."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

VARIABLE = "BIZDEV_COMPANY_TIME_ZONE"


class UnknownTimeZone(ValueError):
    """The setting names no IANA time zone: a service refuses to start with it."""


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise UnknownTimeZone(
            f"{VARIABLE}={name!r} is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin)"
        ) from e


@cache
def company_zone() -> ZoneInfo:
    return zone_named(os.environ.get(VARIABLE, "").strip() or "UTC")


def zone_name() -> str:
    """The zone's IANA name, as events record it."""
    return company_zone().key


def decided_in_utc(state: dict[str, Any]) -> None:
    """Upcaster (`upcast_v1_v2`) of a stored event that reported a day as over before it
    named its `time_zone`: UTC days decided those."""
    state["time_zone"] = "UTC"


def company_day(instant: datetime) -> date:
    """The company's day an instant falls on."""
    return instant.astimezone(company_zone()).date()


def start_of(day: date) -> datetime:
    """When the company's day begins, in UTC."""
    return datetime.combine(day, time.min, tzinfo=company_zone()).astimezone(UTC)


def end_of(day: date) -> datetime:
    """When the company's day is over, in UTC: something due on a day is on time before it."""
    return start_of(day + timedelta(days=1))


@contextmanager
def company_time_zone(name: str) -> Iterator[ZoneInfo]:
    """Tests: the company works in `name` for the block (this process only)."""
    previous = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = name
    company_zone.cache_clear()
    try:
        yield company_zone()
    finally:
        if previous is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = previous
        company_zone.cache_clear()
