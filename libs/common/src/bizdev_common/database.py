"""What the whole database needs before the services use it: its extensions.

`make up`'s launcher makes them once before any service starts. A service that finds one
missing (a fresh database where nothing prepared it: the tests, a Kubernetes cluster) makes it
under a lock every service takes, so that six services starting together on a fresh database
never race to `CREATE EXTENSION`, which the losers would see fail."""

from __future__ import annotations

import zlib

import asyncpg

EXTENSIONS = ("pg_trgm",)
"""pg_trgm: the trigram indexes of the lists' text searches (readmodel.py)."""
_LOCK = zlib.crc32(b"bizdev-extensions")


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
