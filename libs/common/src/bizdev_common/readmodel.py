"""Queries over read models: filters, text search, sorting and pagination written once, and
read-your-writes: a query may wait (bounded) until its view has reached a given version, so a
frontend that just wrote never shows the page as it was before the write."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field

from bizdev_common.boundary import page_params
from bizdev_common.domain import NotFound, RuleViolation
from bizdev_common.errors import ViewNotCaughtUp

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many records match the filters")
    limit: int
    offset: int


class ListQuery:
    """One table or view, the columns a caller may filter and sort by, the text columns."""

    def __init__(
        self,
        table: str,
        *,
        filters: Sequence[str],
        sorts: Sequence[str],
        text: Sequence[str],
        default_sort: str,
    ) -> None:
        self.table = table
        self.filters = set(filters)
        self.sorts = set(sorts)
        self.text = list(text)
        self.default_sort = default_sort
        self.page_params = page_params(table, sorts)
        """The dependency that reads a page of this list: `Depends(LIST.page_params)`."""

    def _order(self, sort: str | None) -> str:
        sort = sort or self.default_sort
        column = sort.lstrip("-")
        if column not in self.sorts:
            allowed = ", ".join(sorted(self.sorts))
            raise RuleViolation("sort", f"cannot sort by {column!r}; use one of {allowed}")
        return f"{column} {'DESC' if sort.startswith('-') else 'ASC'}, id ASC"

    async def page(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        schema: str,
        *,
        where: Mapping[str, Any],
        q: str | None,
        sort: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[asyncpg.Record], int]:
        clauses, args = [], []
        for column, value in where.items():
            if value is None:
                continue
            if column not in self.filters:
                raise RuleViolation(column, f"cannot filter by {column!r}")
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
        if q:
            args.append(f"%{q}%")
            clauses.append("(" + " OR ".join(f"{c} ILIKE ${len(args)}" for c in self.text) + ")")
        cond = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        table = f'"{schema}".{self.table}'
        total = await conn.fetchval(f"SELECT count(*) FROM {table} {cond}", *args)
        rows = await conn.fetch(
            f"SELECT * FROM {table} {cond} ORDER BY {self._order(sort)} "
            f"LIMIT {int(limit)} OFFSET {int(offset)}",
            *args,
        )
        return rows, int(total)


async def fetch_one(
    pool: asyncpg.Pool,
    schema: str,
    table: str,
    record_id: UUID,
    *,
    min_version: int | None,
    max_wait: float,
) -> asyncpg.Record:
    """One row by id, waiting up to `max_wait` seconds for it to reach `min_version`."""
    deadline = time.monotonic() + max_wait
    # Short first waits: a view is usually a few tens of milliseconds behind, and the wait
    # adds to what the caller sees; each look is one primary-key read.
    delay = 0.005
    while True:
        row = await pool.fetchrow(f'SELECT * FROM "{schema}".{table} WHERE id = $1', record_id)
        if row is not None and (min_version is None or row["version"] >= min_version):
            return row
        if min_version is None and row is None:
            raise NotFound(f"no record with id {record_id}")
        if time.monotonic() >= deadline:
            seen = "absent" if row is None else f"at version {row['version']}"
            raise ViewNotCaughtUp(
                f"the view of {record_id} is {seen}, not yet at version {min_version}"
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


async def wait_for(
    pool: asyncpg.Pool,
    schema: str,
    table: str,
    record_id: UUID | None,
    min_version: int | None,
    max_wait: float,
) -> None:
    """For lists: wait until the written record shows in the view at its new version."""
    if record_id is not None and min_version is not None:
        await fetch_one(pool, schema, table, record_id, min_version=min_version, max_wait=max_wait)
