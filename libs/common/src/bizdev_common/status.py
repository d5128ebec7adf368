"""What a service's workers tell its API processes: whether they reach Kafka, and where the
relay is stuck, if it is.

The API and the worker are separate processes (service.py, worker.py), and only the worker
talks to Kafka and runs the relay. Each worker writes a row of its own to `worker_status`
every `worker_status_seconds`; the API's /readyz reads the fresh rows (written within three
intervals), so an operator looking at either sees the whole service. A worker that stops
cleanly removes its row; one that dies leaves a row that goes stale and is swept."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from typing import Any

import asyncpg

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.worker_status (
    instance text PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now(),
    kafka boolean NOT NULL,
    relay jsonb
)
"""

STALE_AFTER = 3
"""Intervals without a report after which a worker counts as gone."""


def instance_name() -> str:
    """This worker among the service's replicas: its pod (host) name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class WorkersSeen:
    """The fresh reports: how many workers, whether any reaches Kafka, a stuck relay."""

    workers: int
    kafka: bool
    relay: dict[str, Any] | None


async def create(conn: asyncpg.Connection, schema: str) -> None:
    await conn.execute(DDL.format(schema=f'"{schema}"'))


async def report(
    pool: asyncpg.Pool,
    schema: str,
    instance: str,
    *,
    kafka: bool,
    relay: dict[str, Any] | None,
    interval: float,
) -> None:
    table = f'"{schema}".worker_status'
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            f"INSERT INTO {table} (instance, seen_at, kafka, relay) VALUES ($1, now(), $2, $3) "
            "ON CONFLICT (instance) DO UPDATE SET seen_at = now(), kafka = EXCLUDED.kafka, "
            "relay = EXCLUDED.relay",
            instance,
            kafka,
            None if relay is None else json.dumps(relay),
        )
        await conn.execute(
            f"DELETE FROM {table} WHERE seen_at < now() - make_interval(secs => $1)",
            interval * STALE_AFTER * 10,
        )


async def withdraw(pool: asyncpg.Pool, schema: str, instance: str) -> None:
    await pool.execute(f'DELETE FROM "{schema}".worker_status WHERE instance = $1', instance)


async def seen(pool: asyncpg.Pool, schema: str, interval: float) -> WorkersSeen:
    """The workers that reported lately; none when no worker has run on this schema yet."""
    try:
        rows = await pool.fetch(
            f'SELECT kafka, relay FROM "{schema}".worker_status '
            "WHERE seen_at >= now() - make_interval(secs => $1)",
            interval * STALE_AFTER,
        )
    except asyncpg.UndefinedTableError:
        return WorkersSeen(0, False, None)
    stuck = [json.loads(r["relay"]) for r in rows if r["relay"] is not None]
    return WorkersSeen(len(rows), any(r["kafka"] for r in rows), stuck[0] if stuck else None)
