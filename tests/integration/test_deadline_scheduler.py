"""The deadline scheduler's tick on the real PostgreSQL: a deadline re-armed while it was
being acted on stays armed, and one whose aggregate fails does not hold back the others."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from bizdev_common.leader import Leader
from bizdev_common.scheduler import DEADLINES_DDL, DeadlineCheck, Scheduler, set_deadline
from bizdev_common.settings import ServiceSettings

from .conftest import Infra

NOW = datetime(2030, 1, 1, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


class Failing(DeadlineCheck):
    kind = "failing"

    def fire(self, app: Any, aggregate_id: UUID, item: str, now: datetime) -> None:
        raise RuntimeError("the aggregate could not be loaded")


class Acting(DeadlineCheck):
    kind = "acting"

    def __init__(self) -> None:
        self.fired: list[UUID] = []

    def fire(self, app: Any, aggregate_id: UUID, item: str, now: datetime) -> None:
        self.fired.append(aggregate_id)


class Rearmed(DeadlineCheck):
    """While it acts, a projection moves the deadline to a later date (a new due date)."""

    kind = "rearmed"

    def __init__(self, database_url: str, schema: str, loop: asyncio.AbstractEventLoop) -> None:
        self.database_url = database_url
        self.schema = schema
        self.loop = loop

    def fire(self, app: Any, aggregate_id: UUID, item: str, now: datetime) -> None:
        async def rearm() -> None:
            conn = await asyncpg.connect(self.database_url)
            try:
                await set_deadline(conn, self.schema, self.kind, aggregate_id, NOW + timedelta(1))
            finally:
                await conn.close()

        assert threading.current_thread() is not threading.main_thread()
        asyncio.run_coroutine_threadsafe(rearm(), self.loop).result(10)


async def test_a_tick_skips_a_failing_deadline_and_keeps_a_rearmed_one(infra: Infra) -> None:
    schema = f"scheduler_{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(
        service="scheduler", database_url=infra.database_url, db_schema=schema
    )
    acting = Acting()
    checks = [Failing(), acting, Rearmed(infra.database_url, schema, asyncio.get_running_loop())]
    scheduler = Scheduler(None, settings, checks, FixedClock())  # type: ignore[arg-type]
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(DEADLINES_DDL.format(schema=f'"{schema}"'))
        failing, later, rearmed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        # The failing one is due first, so it comes first in the tick.
        await set_deadline(conn, schema, "failing", failing, NOW - timedelta(hours=3))
        await set_deadline(conn, schema, "rearmed", rearmed, NOW - timedelta(hours=2))
        await set_deadline(conn, schema, "acting", later, NOW - timedelta(hours=1))

        assert await scheduler.tick(Leader("test", conn, 15)) == 1
        assert acting.fired == [later]
        rows = {
            r["kind"]: r
            for r in await conn.fetch(f'SELECT kind, due_at, fired_at FROM "{schema}".deadlines')
        }
        assert rows["acting"]["fired_at"] == NOW
        assert rows["failing"]["fired_at"] is None  # asked again at the next tick
        assert rows["rearmed"]["fired_at"] is None
        assert rows["rearmed"]["due_at"] == NOW + timedelta(days=1)
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
