"""Where uploaded documents' bytes are kept: behind `ContentStore`, which an S3-compatible
store could implement as well (an object per content id, written by a multipart upload, read
as a stream, deleted for good). The one here keeps them in the service's PostgreSQL schema,
in chunks of CHUNK_BYTES, so that neither an upload nor a download holds a whole document in
memory.

An upload is hashed and written a chunk at a time as it arrives, each chunk in a statement of
its own: a slow client holds no database connection between its chunks and no transaction
open, and nothing is spooled to the (small, read-only) container filesystem. Its `contents`
row is marked complete once every chunk is in; an upload that fails is deleted, and one
that a crash interrupted is deleted a day later, when a process next opens the store."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import asyncpg
from bizdev_common.eventstore import schema_lock

CHUNK_BYTES = 1_048_576
ABANDONED_AFTER = "interval '1 day'"
"""An upload left incomplete this long ago was interrupted by a crash: no request writes it."""

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.contents (
        content_id uuid PRIMARY KEY,
        size bigint,
        sha256 text,
        complete boolean NOT NULL DEFAULT false,
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
            abandoned = await conn.fetch(
                f"SELECT content_id FROM {self.t}.contents "
                f"WHERE NOT complete AND stored_at < now() - {ABANDONED_AFTER}"
            )
            for row in abandoned:
                await delete_content(conn, self.schema, row["content_id"])
        self._ready = True

    async def write(self, chunks: AsyncIterator[bytes]) -> Stored:
        await self.ensure()
        content_id = uuid.uuid4()
        digest = hashlib.sha256()
        size = 0
        seq = 0
        pending = bytearray()
        await self.pool.execute(
            f"INSERT INTO {self.t}.contents (content_id) VALUES ($1)", content_id
        )
        try:
            async for chunk in chunks:
                size += len(chunk)
                digest.update(chunk)
                # Full chunks go out as slices of what arrived: a body handed over whole is
                # not copied again.
                rest = memoryview(chunk)
                if pending:
                    take = CHUNK_BYTES - len(pending)
                    pending += rest[:take]
                    rest = rest[take:]
                    if len(pending) < CHUNK_BYTES:
                        continue
                    await self._chunk(content_id, seq, bytes(pending))
                    seq += 1
                    pending = bytearray()
                while len(rest) >= CHUNK_BYTES:
                    await self._chunk(content_id, seq, rest[:CHUNK_BYTES])
                    seq += 1
                    rest = rest[CHUNK_BYTES:]
                pending += rest
            if pending or seq == 0:
                await self._chunk(content_id, seq, bytes(pending))
            await self.pool.execute(
                f"UPDATE {self.t}.contents SET size = $2, sha256 = $3, complete = true "
                "WHERE content_id = $1",
                content_id,
                size,
                digest.hexdigest(),
            )
        except BaseException:
            await asyncio.shield(self.delete(content_id))
            raise
        return Stored(content_id, size, digest.hexdigest())

    async def _chunk(self, content_id: UUID, seq: int, data: bytes | memoryview) -> None:
        await self.pool.execute(
            f"INSERT INTO {self.t}.content_chunks (content_id, seq, data) VALUES ($1, $2, $3)",
            content_id,
            seq,
            data,
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
