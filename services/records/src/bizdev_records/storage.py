"""Where uploaded documents' bytes are kept: behind `ContentStore`, which an S3-compatible
store could implement as well (an object per content id, written by a multipart upload, read
as a stream, deleted for good). The one here keeps them in the service's PostgreSQL schema,
in chunks of CHUNK_BYTES, so that neither an upload nor a download holds a whole document in
memory.

An upload is hashed as it arrives and spooled to a temporary file (in memory up to one
chunk), then written in one short transaction: a slow client never holds a database
connection, and a document is stored whole or not at all."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Protocol
from uuid import UUID

import asyncpg
from bizdev_common.eventstore import schema_lock

CHUNK_BYTES = 1_048_576

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.contents (
        content_id uuid PRIMARY KEY,
        size bigint NOT NULL,
        sha256 text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {schema}.content_chunks (
        content_id uuid NOT NULL,
        seq int NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (content_id, seq)
    )
    """,
]
"""The content tables: created by whichever process needs them first. They are not a read
model: rebuilding the views never touches them."""


@dataclass(frozen=True)
class Stored:
    content_id: UUID
    size: int
    sha256: str


class ContentStore(Protocol):
    async def write(self, chunks: AsyncIterator[bytes]) -> Stored:
        """Stores the bytes whole, or nothing when reading them fails (the request's size
        limit is the HTTP layer's)."""
        ...

    def read(self, content_id: UUID) -> AsyncIterator[bytes]:
        """The stored bytes, in order."""
        ...

    async def delete(self, content_id: UUID) -> None:
        """Deletes the bytes for good; nothing when there are none."""
        ...


class PostgresContentStore:
    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = schema
        self.t = f'"{schema}"'
        self._ready = False

    async def ensure(self) -> None:
        if self._ready:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", schema_lock(self.schema))
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.t}")
            for statement in DDL:
                await conn.execute(statement.format(schema=self.t))
        self._ready = True

    async def write(self, chunks: AsyncIterator[bytes]) -> Stored:
        await self.ensure()
        digest = hashlib.sha256()
        size = 0
        with tempfile.SpooledTemporaryFile(max_size=CHUNK_BYTES) as spool:
            async for chunk in chunks:
                size += len(chunk)
                digest.update(chunk)
                await asyncio.to_thread(spool.write, chunk)
            await asyncio.to_thread(spool.seek, 0)
            stored = Stored(uuid.uuid4(), size, digest.hexdigest())
            await self._insert(stored, spool)
        return stored

    async def _insert(self, stored: Stored, spool: IO[bytes]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            insert = await conn.prepare(
                f"INSERT INTO {self.t}.content_chunks (content_id, seq, data) VALUES ($1, $2, $3)"
            )
            seq = 0
            while data := await asyncio.to_thread(spool.read, CHUNK_BYTES):
                await insert.fetch(stored.content_id, seq, data)
                seq += 1
            await conn.execute(
                f"INSERT INTO {self.t}.contents (content_id, size, sha256) VALUES ($1, $2, $3)",
                stored.content_id,
                stored.size,
                stored.sha256,
            )

    async def read(self, content_id: UUID) -> AsyncIterator[bytes]:
        await self.ensure()
        seq = 0
        while True:
            data = await self.pool.fetchval(
                f"SELECT data FROM {self.t}.content_chunks WHERE content_id = $1 AND seq = $2",
                content_id,
                seq,
            )
            if data is None:
                return
            yield data
            seq += 1

    async def delete(self, content_id: UUID) -> None:
        await self.ensure()
        await delete_content(self.pool, self.schema, content_id)


async def delete_content(
    conn: asyncpg.Connection | asyncpg.Pool, schema: str, content_id: UUID
) -> None:
    await conn.execute(f'DELETE FROM "{schema}".content_chunks WHERE content_id = $1', content_id)
    await conn.execute(f'DELETE FROM "{schema}".contents WHERE content_id = $1', content_id)
