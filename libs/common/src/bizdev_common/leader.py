"""One active instance per service of a background role (the outbox relay, the deadline
scheduler), handed over within a lease when the active one dies, hangs or is cut off.

The leader holds a session-level PostgreSQL advisory lock on a connection of its own, opened
with `idle_session_timeout` set to the lease. It touches that connection every third of the
lease (a heartbeat), so while it runs the server never finds it idle. When its process dies,
its host or network goes away, or it is frozen (SIGSTOP, a stuck event loop, a VM paused),
the heartbeats stop, the server ends the session after one lease, and the lock is free for a
standby. TCP keepalives alone would not do: the kernel answers them for a frozen process.

Fencing comes with the lock: whatever the leader writes to keep its progress (the relay's
position, a deadline marked fired) goes through that same connection, and a session the server
has ended can write nothing. A frozen leader that wakes up finds its connection closed, stops,
and stands by; it cannot overwrite what its successor recorded. It may have published a batch
just before it froze, which its successor publishes again: delivery is at least once and
consumers drop a `ce_sequence` they have applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from bizdev_common.tasks import pause

log = logging.getLogger(__name__)


class LeadershipLost(Exception):
    """The lease lapsed: this instance is no longer the leader and must not write."""


class Leader:
    """The leader's connection: every use is serialised with the heartbeat."""

    def __init__(self, name: str, conn: asyncpg.Connection, lease_seconds: float) -> None:
        self.name = name
        self.lease_seconds = lease_seconds
        self.resigned = asyncio.Event()
        """Set when the lease is lost or the service is stopping: leave the work loop."""
        self._conn = conn
        self._lock = asyncio.Lock()

    async def execute(self, query: str, *args: Any) -> str:
        async with self._using() as conn:
            result: str = await conn.execute(query, *args)
            return result

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self._using() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(query, *args)
            return rows

    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self._using() as conn:
            return await conn.fetchval(query, *args)

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        """Calls `callback` on every NOTIFY on `channel`, for as long as the lease lasts."""
        async with self._using() as conn:
            await conn.add_listener(channel, lambda *_: callback())

    @contextlib.asynccontextmanager
    async def _using(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._lock:
            if self._conn.is_closed():
                self.resigned.set()
                raise LeadershipLost(f"{self.name}: the lease lapsed")
            yield self._conn

    async def heartbeat(self) -> None:
        """Keeps the session busy; on the first failure gives the lease up for good."""
        every = self.lease_seconds / 3
        while not self.resigned.is_set():
            await pause(self.resigned, every)
            if self.resigned.is_set():
                return
            try:
                await asyncio.wait_for(self.execute("SELECT 1"), every)
            except Exception as e:  # noqa: BLE001 - any failure (a timeout too) ends the lease
                log.warning("%s: lease lost (%r); standing by", self.name, e)
                self._conn.terminate()
                self.resigned.set()
                return


def lock_key(name: str) -> int:
    return zlib.crc32(name.encode())


@contextlib.asynccontextmanager
async def lead(
    database_url: str, name: str, lease_seconds: float, stopping: asyncio.Event
) -> AsyncIterator[Leader | None]:
    """Waits until this instance is the leader for `name`, then yields its Leader; yields
    None when the service stops first. Leaving the block gives the lease up."""
    conn = await asyncpg.connect(
        database_url,
        server_settings={
            "idle_session_timeout": str(int(lease_seconds * 1000)),
            "application_name": name[:63],
        },
    )
    try:
        key = lock_key(name)
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            # Another instance leads; polling keeps this standby session from going idle.
            if await pause(stopping, lease_seconds / 3):
                yield None
                return
        log.info("%s: leading", name)
        leader = Leader(name, conn, lease_seconds)

        async def resign_when_stopping() -> None:
            await stopping.wait()
            leader.resigned.set()

        helpers = [
            asyncio.create_task(leader.heartbeat()),
            asyncio.create_task(resign_when_stopping()),
        ]
        try:
            yield leader
        finally:
            leader.resigned.set()
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
    finally:
        if not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)
            if not conn.is_closed():
                conn.terminate()
