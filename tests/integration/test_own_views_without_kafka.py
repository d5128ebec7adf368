"""A service's own views are fed from its own event store (feed.py), so they do not need
Kafka: with the broker stopped for 60 s under load, a command's own record answers
`min_version` within a second, and a milestone falling overdue meanwhile is flagged (the
scheduler fires the deadline its projection armed, and the view takes the event in).

On a Kafka of the module's own and a projects instance in a schema of its own, so that
stopping the broker takes nothing of the suite's down."""

from __future__ import annotations

import asyncio
import time as clock
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest

from . import conftest
from .conftest import Collector, Infra, ServiceProcess
from .flows import People, draft, ok
from .planning_flows import Crew, executing_project, today

OUTAGE_SECONDS = 60.0
FRESH_WITHIN_SECONDS = 1.0
SCHEMA = "projects_no_kafka"


@pytest.fixture(scope="module")
def clock_of_projects(clocks: Callable[[str], conftest.TestClock]) -> conftest.TestClock:
    return clocks(SCHEMA)


@pytest.fixture(scope="module")
def projects_alone(
    own_kafka: Infra, logs: Path, collector: Collector, clock_of_projects: conftest.TestClock
) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(
        "projects",
        own_kafka,
        logs,
        collector.endpoint,
        db_schema=SCHEMA,
        clock_file=str(clock_of_projects.path),
        scheduler_interval_seconds="0.2",
    )
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()
        clock_of_projects.reset()


async def test_own_views_and_deadlines_keep_moving_while_kafka_is_stopped(
    projects_alone: ServiceProcess, own_kafka: Infra, clock_of_projects: conftest.TestClock
) -> None:
    assert own_kafka.kafka is not None
    crew, people = Crew(), People()
    first_due = today() + timedelta(days=10)
    async with httpx.AsyncClient(base_url=projects_alone.url, timeout=30) as http:
        project_id, plan = await executing_project(
            http, crew, first_due=first_due, second_due=first_due + timedelta(days=10)
        )
        first = plan["milestones"][0]["id"]
        own_kafka.kafka.stop()
        try:
            stopped_at = clock.monotonic()
            waits: list[float] = []
            while clock.monotonic() - stopped_at < OUTAGE_SECONDS:
                made = await draft(http, people)
                written = clock.monotonic()
                read = await http.get(
                    f"/applications/{made['id']}",
                    params={"min_version": made["version"]},
                    headers=people.applicant,
                )
                waits.append(clock.monotonic() - written)
                assert read.status_code == 200, read.text
                if len(waits) == 50:
                    # The first milestone falls overdue in the middle of the outage.
                    clock_of_projects.set(
                        datetime.combine(first_due + timedelta(days=1), time(1), tzinfo=UTC)
                    )
                await asyncio.sleep(0.05)
            overdue = await ok(
                await http.get(
                    "/milestones/overdue",
                    params={"project_id": project_id},
                    headers=crew.auditor,
                )
            )
            stopped_for = clock.monotonic() - stopped_at
        finally:
            own_kafka.kafka.start()

    waits.sort()
    p99 = waits[int(len(waits) * 0.99) - 1]
    print(
        f"Kafka stopped {stopped_for:.0f} s: {len(waits)} commands, own view answered "
        f"min_version in p50 {waits[len(waits) // 2] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {waits[-1] * 1000:.0f} ms"
    )
    assert len(waits) > 100
    assert waits[-1] <= FRESH_WITHIN_SECONDS
    assert [m["id"] for m in overdue["items"]] == [first]
