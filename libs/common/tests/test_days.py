"""The company's days: in Asia/Shanghai (UTC+8) a day ends at 16:00 UTC of the day before's
date in UTC terms; at 23:30 company time a due day is not over, at 00:30 it is."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from bizdev_common.days import (
    UnknownTimeZone,
    company_day,
    company_time_zone,
    end_of,
    start_of,
    zone_name,
    zone_named,
)

SHANGHAI = "Asia/Shanghai"


@pytest.fixture
def shanghai() -> Iterator[None]:
    with company_time_zone(SHANGHAI):
        yield


def shanghai_time(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=zone_named(SHANGHAI)).astimezone(UTC)


@pytest.mark.usefixtures("shanghai")
def test_a_due_day_is_not_over_at_2330_and_over_at_0030() -> None:
    due = date(2027, 3, 25)
    assert end_of(due) == datetime(2027, 3, 25, 16, 0, tzinfo=UTC)
    assert shanghai_time(2027, 3, 25, 23, 30) < end_of(due)
    assert shanghai_time(2027, 3, 26, 0, 30) >= end_of(due)


@pytest.mark.usefixtures("shanghai")
def test_today_is_the_company_day_not_utcs() -> None:
    # 23:30 on 31 March in Shanghai is 15:30 UTC the same day; 00:30 on 1 April is 16:30 UTC
    # on 31 March, which UTC still calls March: the company calls it April.
    assert company_day(shanghai_time(2027, 3, 31, 23, 30)) == date(2027, 3, 31)
    assert company_day(shanghai_time(2027, 4, 1, 0, 30)) == date(2027, 4, 1)
    assert shanghai_time(2027, 4, 1, 0, 30).date() == date(2027, 3, 31)


@pytest.mark.usefixtures("shanghai")
def test_a_day_starts_where_the_one_before_ends() -> None:
    assert start_of(date(2027, 4, 1)) == end_of(date(2027, 3, 31))
    assert zone_name() == SHANGHAI


def test_utc_where_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIZDEV_COMPANY_TIME_ZONE", raising=False)
    with company_time_zone("UTC"):
        assert end_of(date(2027, 3, 25)) == datetime(2027, 3, 26, tzinfo=UTC)


def test_a_day_across_a_daylight_saving_change_is_its_real_length() -> None:
    with company_time_zone("Europe/Berlin"):
        # 28 March 2027: clocks go forward, the day has 23 hours.
        assert end_of(date(2027, 3, 28)) - start_of(date(2027, 3, 28)) == (
            datetime(2027, 3, 28, 22, tzinfo=UTC) - datetime(2027, 3, 27, 23, tzinfo=UTC)
        )


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "UTC+8"])
def test_an_unknown_zone_is_refused_with_the_setting_named(name: str) -> None:
    with pytest.raises(UnknownTimeZone, match="BIZDEV_COMPANY_TIME_ZONE"):
        zone_named(name)


@pytest.mark.parametrize("role", ["api", "worker"])
def test_a_service_set_to_an_unknown_zone_does_not_start(role: str) -> None:
    """It stops before it connects to anything: no server is needed to see it refuse."""
    script = Path(sys.executable).parent / "bizdev-risk"
    env = {**os.environ, "BIZDEV_COMPANY_TIME_ZONE": "Asia/Shanghia"}
    done = subprocess.run(
        [str(script), role], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert "BIZDEV_COMPANY_TIME_ZONE='Asia/Shanghia' is not an IANA time zone" in done.stderr
