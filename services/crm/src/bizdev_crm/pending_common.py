"""Helpers every service's views and API need, written here only until they move into
libs/common (bizdev_common.projector and bizdev_common.api), where projects' private
`_insert`/`_update` and money-column code would use them too. Nothing crm-specific."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import asyncpg
from bizdev_common.contract import MoneyModel, PublicEvent
from pydantic import Field

Text = Annotated[str, Field(min_length=1, max_length=10_000)]
Title = Annotated[str, Field(min_length=1, max_length=200)]


async def insert_row(conn: asyncpg.Connection, table: str, row: Mapping[str, Any]) -> None:
    cols = ", ".join(row)
    params = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    await conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({params})", *row.values())


async def update_row(
    conn: asyncpg.Connection, table: str, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(values, start=1))
    where = " AND ".join(f"{k} = ${i}" for i, k in enumerate(key, start=len(values) + 1))
    await conn.execute(f"UPDATE {table} SET {sets} WHERE {where}", *values.values(), *key.values())


async def insert_record(
    conn: asyncpg.Connection, table: str, event: PublicEvent, values: Mapping[str, Any]
) -> None:
    """The row of the record an event creates: its id, version and times from the event."""
    await insert_row(
        conn,
        table,
        {
            "id": event.aggregate_id,
            "version": event.version,
            **values,
            "created_at": event.occurred_at,
            "updated_at": event.occurred_at,
        },
    )


async def update_record(
    conn: asyncpg.Connection, table: str, event: PublicEvent, values: Mapping[str, Any]
) -> None:
    """The row of the record an event changes, moved to the event's version."""
    await update_row(
        conn,
        table,
        {"id": event.aggregate_id},
        {**values, "version": event.version, "updated_at": event.occurred_at},
    )


def money_of(row: Mapping[str, Any], prefix: str) -> MoneyModel:
    """Money kept in two columns, `<prefix>_amount` and `<prefix>_currency`."""
    return MoneyModel(amount=row[f"{prefix}_amount"], currency=row[f"{prefix}_currency"])
