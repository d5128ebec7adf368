"""The own views' feed (feed.py): a worker killed -9 again and again while it applies the
event store in small batches ends with the views one built in a single quiet pass gives:
nothing applied twice, nothing missed.

A projects instance of its own (its own schema, so its own event store and views), its relay
off: nothing of it reaches the suite's topic."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
from bizdev_common.projector import STORE_PARTITION
from bizdev_projects.projections import PROJECTIONS, TABLES

from .conftest import Infra, ServiceProcess
from .flows import People, draft, ok

SCHEMA = "projects_feed_kill"
TOPIC = "bizdev.projects.events.v1"
APPLICATIONS = 120


async def _rows(conn: asyncpg.Connection, table: str) -> list[dict[str, Any]]:
    # Not every view is keyed by an `id` (team members, deadlines): the order of all columns
    # is one order for every table.
    rows = [dict(r) for r in await conn.fetch(f'SELECT * FROM "{SCHEMA}".{table}')]
    return sorted(rows, key=repr)


async def _views(conn: asyncpg.Connection) -> dict[str, list[dict[str, Any]]]:
    return {table: await _rows(conn, table) for table in TABLES}


async def _caught_up(conn: asyncpg.Connection, within: float = 90.0) -> None:
    """Until the feed has applied the last stored event."""
    deadline = time.monotonic() + within
    while True:
        end = await conn.fetchval(f'SELECT max(notification_id) FROM "{SCHEMA}".projects_events')
        at = await conn.fetchval(
            f'SELECT min(sequence) FROM "{SCHEMA}".projection_tracking '
            "WHERE topic = $1 AND partition = $2",
            TOPIC,
            STORE_PARTITION,
        )
        if at is not None and at >= end:
            return
        assert time.monotonic() < deadline, f"the feed is at {at} of {end}"
        await asyncio.sleep(0.2)


async def test_a_worker_killed_mid_batch_converges_to_the_view_built_in_one_pass(
    infra: Infra, start_service: Callable[..., ServiceProcess]
) -> None:
    svc = start_service(
        "projects", db_schema=SCHEMA, relay_enabled="false", projector_batch_size="10"
    )
    worker = svc.roles["worker"]
    people = People()
    conn = await asyncpg.connect(infra.database_url)
    try:
        # The events wait in the store while the worker is away; then it applies them ten at
        # a time and is killed in the middle, four times.
        worker.stop()
        async with httpx.AsyncClient(base_url=svc.url, timeout=30) as http:

            async def one(i: int) -> None:
                made = await draft(http, people, title=f"Feed {i}")
                await ok(
                    await http.post(f"/applications/{made['id']}/submit", headers=people.applicant)
                )

            for chunk in range(0, APPLICATIONS, 15):
                await asyncio.gather(*(one(i) for i in range(chunk, chunk + 15)))
        worker.launch()
        for delay in (0.8, 0.5, 0.7, 0.6):
            await asyncio.sleep(delay)
            worker.stop(signal.SIGKILL)
            worker.launch()
        await _caught_up(conn)
        survived = await _views(conn)
        assert len(survived["applications"]) == APPLICATIONS
        assert {r["version"] for r in survived["applications"]} == {2}

        # The same views from scratch, in one pass with no interruption: every family's, and
        # the inbox and deadlines they share.
        worker.stop()
        for make in PROJECTIONS:
            await make(SCHEMA).reset(conn)
        await conn.execute(f'TRUNCATE "{SCHEMA}".inbox, "{SCHEMA}".deadlines')
        assert await conn.fetchval(f'SELECT count(*) FROM "{SCHEMA}".applications') == 0
        worker.launch()
        await _caught_up(conn)
        assert await _views(conn) == survived
    finally:
        await conn.close()
        svc.stop()
