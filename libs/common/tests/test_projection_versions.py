"""A read model whose tables changed shape is rebuilt from its topics on its own: a service
started on a database built by an older version must not fail on a missing column. On
PostgreSQL alone: no Kafka, no service process."""

from __future__ import annotations

import uuid

import asyncpg
from bizdev_common.projector import Projection


class Before(Projection):
    name = "shapes"
    tables = ("things",)
    ddl = ("CREATE TABLE IF NOT EXISTS {schema}.things (id uuid PRIMARY KEY, a text)",)


class After(Before):
    ddl = ("CREATE TABLE IF NOT EXISTS {schema}.things (id uuid PRIMARY KEY, a text, b text)",)


async def test_changed_tables_are_dropped_and_rebuilt_unchanged_ones_kept(
    database_url: str,
) -> None:
    schema = f"shapes_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(database_url)
    try:
        assert await Before(schema, []).create(conn) is False
        await conn.execute(f'INSERT INTO "{schema}".things VALUES ($1, $2)', uuid.uuid4(), "x")
        await conn.execute(
            f'INSERT INTO "{schema}".projection_tracking VALUES ($1, $2, 0, 7, 6)',
            "shapes",
            "bizdev.test.events.v1",
        )

        assert await Before(schema, []).create(conn) is False
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".things') == 1

        assert await After(schema, []).create(conn) is True
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".things') == 0
        assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".projection_tracking') == 0
        await conn.execute(
            f'INSERT INTO "{schema}".things VALUES ($1, $2, $3)', uuid.uuid4(), "x", "y"
        )
        assert await After(schema, []).create(conn) is False
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
