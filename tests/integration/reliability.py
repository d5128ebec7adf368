"""What the reliability tests (kill, failover) share: a command that creates one record,
and where each record shows up: the event store, the topic, the read model."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from .conftest import headers_of

TOPIC = "bizdev.projects.events.v1"


def lead(customer: str) -> dict[str, Any]:
    return {
        "customer": customer,
        "need": "Cold-chain tracking",
        "source": "trade show",
        "estimated_value": {"amount": "300000.00", "currency": "CNY"},
    }


async def stored(database_url: str, schema: str, ids: set[str]) -> dict[str, int]:
    """How many creation events each record has in the event store."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            f'SELECT originator_id::text AS id, count(*) AS n FROM "{schema}".projects_events '
            "WHERE originator_id = ANY($1::uuid[]) AND originator_version = 1 GROUP BY 1",
            list(ids),
        )
    finally:
        await conn.close()
    return {r["id"]: r["n"] for r in rows}


async def in_views(database_url: str, schema: str, ids: set[str]) -> dict[str, int]:
    """How many rows each record has in the leads view, at which versions."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            f'SELECT id::text AS id, count(*) AS n FROM "{schema}".leads '
            "WHERE id = ANY($1::uuid[]) GROUP BY 1",
            list(ids),
        )
    finally:
        await conn.close()
    return {r["id"]: r["n"] for r in rows}


def on_topic(records: list[ConsumerRecord], ids: set[str]) -> dict[str, int]:
    """How many distinct events (by ce_id) of each record are on the topic."""
    seen: dict[str, set[str]] = {}
    for h in map(headers_of, records):
        if h.get("ce_subject") in ids:
            seen.setdefault(h["ce_subject"], set()).add(h["ce_id"])
    return {subject: len(ce_ids) for subject, ce_ids in seen.items()}
