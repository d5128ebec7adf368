"""The test seam (issue 18): a service's commands and reactions on its real application class
over the eventsourcing library's in-memory recorders, with no PostgreSQL; and its own views
built from that application's events in a PostgreSQL schema, with no Kafka and no worker
process, by the worker's own feed (feed.py: each stored event in the form the relay
publishes, applied in batches, the position recorded in the same transaction as the rows).

What needs the real servers (the relay, consumers of other services' topics, outages,
processes killed) stays in the integration suite."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar, cast

import asyncpg
from eventsourcing.application import Application
from prometheus_client import CollectorRegistry

from bizdev_common.deadletters import DeadLetters
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.feed import StoreFeed
from bizdev_common.service import ServiceParts
from bizdev_common.settings import ServiceSettings
from bizdev_common.worker import create_views

AppT = TypeVar("AppT", bound=ServiceApplication)


def _open_in_memory(app: ServiceApplication, settings: ServiceSettings) -> None:
    Application.__init__(app, env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def in_memory(parts: ServiceParts[AppT, Any]) -> AppT:
    """The service's application, its own class and settings, its events kept in memory.
    The library's in-memory recorder refuses a save from a stale version as PostgreSQL does;
    it keeps no Idempotency-Key (ServiceRecorder's, in PostgreSQL)."""
    cls = parts.application
    assert isinstance(cls, type), cls
    assert issubclass(cls, ServiceApplication), cls
    seam = type(
        f"InMemory{cls.__name__}", (cls,), {"name": cls.name, "open_store": _open_in_memory}
    )
    return cast(AppT, seam(parts.settings))


class OwnViews:
    """The service's own views in its schema, fed from an application's notification log."""

    def __init__(self, feed: StoreFeed, pool: asyncpg.Pool) -> None:
        self.feed = feed
        self.pool = pool

    async def catch_up(self) -> int:
        """Applies every event stored since the last call; returns how many notifications
        were read."""
        read = 0
        while stepped := await self.feed.step():
            read += stepped
        return read

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """Rows of the views, `{schema}` standing for the service's schema."""
        schema = f'"{self.feed.settings.schema_name}"'
        return cast(list[asyncpg.Record], await self.pool.fetch(query.format(schema=schema), *args))


@contextlib.asynccontextmanager
async def own_views(parts: ServiceParts[AppT, Any], app: AppT) -> AsyncIterator[OwnViews]:
    """The views created in `parts.settings`' database and schema as the worker creates them,
    and dropped with the schema afterwards: give each test a schema of its own."""
    s = parts.settings
    pool = await asyncpg.create_pool(s.database_url, min_size=1, max_size=2)
    try:
        dead_letters = DeadLetters(s, CollectorRegistry())
        async with pool.acquire() as conn, conn.transaction():
            await create_views(conn, parts)
            await dead_letters.create(conn)
        projections = [make(s.schema_name) for make in parts.projections]
        feed = StoreFeed(app, parts.contract, s, pool, projections, dead_letters)
        yield OwnViews(feed, pool)
    finally:
        await pool.execute(f'DROP SCHEMA IF EXISTS "{s.schema_name}" CASCADE')
        await pool.close()
