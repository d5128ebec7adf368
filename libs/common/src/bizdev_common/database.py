"""What the whole database needs before the services use it: its extensions; and how the
processes' psycopg pools reconnect after an outage.

`make up`'s launcher makes them once before any service starts. A service that finds one
missing (a fresh database where nothing prepared it: the tests, a Kubernetes cluster) makes it
under a lock every service takes, so that six services starting together on a fresh database
never race to `CREATE EXTENSION`, which the losers would see fail."""

from __future__ import annotations

import zlib

import asyncpg
from psycopg_pool.base import AttemptWithBackoff

EXTENSIONS = ("pg_trgm",)
"""pg_trgm: the trigram indexes of the lists' text searches (readmodel.py)."""
_LOCK = zlib.crc32(b"bizdev-extensions")


RECONNECT_SECONDS = 0.5
"""How often a psycopg pool (the event store's, crm's key store) tries again to open a
connection the database refused."""


def reconnect_steadily() -> None:
    """psycopg_pool doubles its delay between connection attempts without bound (1, 2, 4, 8 …
    s, until its five-minute reconnect timeout), and a client that finds a dead pooled
    connection waits the same growing delays before trying the next one. After an outage of
    ten seconds a pool would come back up to eight seconds after the database, and commands
    would keep answering 503 meanwhile. Attempts against a refusing server cost nothing, so
    they are made at a steady pace instead. The pace is the library's class attribute: there
    is no pool argument for it."""
    AttemptWithBackoff.INITIAL_DELAY = RECONNECT_SECONDS
    AttemptWithBackoff.DELAY_BACKOFF = 1.0


async def create_extensions(conn: asyncpg.Connection) -> None:
    """Makes the missing extensions; inside a transaction, which holds the lock till its end."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
    for name in EXTENSIONS:
        await conn.execute(f"CREATE EXTENSION IF NOT EXISTS {name} SCHEMA public")


async def prepare(database_url: str) -> None:
    """The database ready for every service: run once before they start."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await create_extensions(conn)
    finally:
        await conn.close()
