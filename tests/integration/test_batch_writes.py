"""A batch's view writes go together (projector.BatchConnection), against a real PostgreSQL:
what is queued is what a read sees, a savepoint's writes fail inside it, and one table's
writes keep their order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
import pytest
from bizdev_common.contract import PublicEvent
from bizdev_common.projector import BatchConnection, change_record, insert_row, put_record

from .conftest import Infra

SCHEMA = "batch_writes"
RECORDS = f"{SCHEMA}.records"
LINES = f"{SCHEMA}.lines"


@pytest.fixture
async def conn(infra: Infra) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(infra.database_url)
    await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
    await conn.execute(
        f"CREATE TABLE {RECORDS} (id uuid PRIMARY KEY, version int NOT NULL, "
        "note text NOT NULL CHECK (note <> 'refused'), "
        "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)"
    )
    await conn.execute(f"CREATE TABLE {LINES} (id uuid, n int, PRIMARY KEY (id, n))")
    try:
        yield conn
    finally:
        await conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
        await conn.close()


def event(record: UUID, version: int) -> PublicEvent:
    return PublicEvent(aggregate_id=record, version=version, occurred_at=datetime.now(UTC))


async def test_queued_writes_are_sent_before_a_read_and_keep_their_order(
    conn: asyncpg.Connection,
) -> None:
    view = BatchConnection(conn)
    ids = [uuid4() for _ in range(50)]
    async with conn.transaction():
        for i, record in enumerate(ids):
            await put_record(view, RECORDS, event(record, 1), {"note": f"drafted {i}"})
            await insert_row(view, LINES, {"id": record, "n": 1})
            await change_record(view, RECORDS, event(record, 2), {"note": f"revised {i}"})
        assert await conn.fetchval(f"SELECT count(*) FROM {RECORDS}") == 0, "nothing sent yet"
        assert await view.fetchval(f"SELECT count(*) FROM {LINES}") == 50, "a read sends first"
        # A redelivered creation behind the revision changes nothing, queued or not.
        await put_record(view, RECORDS, event(ids[0], 1), {"note": "drafted again"})
        await view.flush()
    rows = await conn.fetch(f"SELECT note, version FROM {RECORDS} ORDER BY note")
    assert {(r["note"], r["version"]) for r in rows} == {(f"revised {i}", 2) for i in range(50)}


async def test_a_write_that_fails_in_a_savepoint_is_undone_there_and_the_batch_goes_on(
    conn: asyncpg.Connection,
) -> None:
    view = BatchConnection(conn)
    good, bad = uuid4(), uuid4()
    async with conn.transaction():
        with pytest.raises(asyncpg.CheckViolationError):  # noqa: PT012 - the savepoint's end sends
            async with view.transaction():
                await put_record(view, RECORDS, event(bad, 1), {"note": "refused"})
                await insert_row(view, LINES, {"id": bad, "n": 1})
        async with view.transaction():
            await put_record(view, RECORDS, event(good, 1), {"note": "fine"})
        await view.flush()
    assert [r["id"] for r in await conn.fetch(f"SELECT id FROM {RECORDS}")] == [good]
    assert await conn.fetchval(f"SELECT count(*) FROM {LINES}") == 0
