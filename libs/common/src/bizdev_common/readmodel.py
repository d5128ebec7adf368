"""Queries over read models: filters, text search, sorting and pagination written once, and
read-your-writes: a query may wait (bounded) until its view has reached a given version, so a
frontend that just wrote never shows the page as it was before the write.

Each list brings its own indexes (`ListQuery.indexes`, made at start-up by
`create_list_indexes`): one per sort column (with `id`, the tie-breaker, so that a page is an
index range in either direction), one per filter column, and a pg_trgm trigram index over its
text columns, which `ILIKE '%...%'` uses in any language (Chinese too). A list's total is
exact up to `EXACT_COUNT_LIMIT` matches and the planner's estimate beyond, flagged
`total_estimated`: counting a million rows for a page of twenty costs more than the page."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field, model_validator

from bizdev_common import database
from bizdev_common.boundary import page_params
from bizdev_common.domain import NotFound, RuleViolation
from bizdev_common.errors import ViewNotCaughtUp

log = logging.getLogger(__name__)

T = TypeVar("T")

EXACT_COUNT_LIMIT = 1_000
"""Totals up to this are counted; above it they are the planner's estimate. Counting stops at
the limit, so its cost is bounded by how many rows it takes to find that many matches: a
text search matching one row in seven reads 7,000 rows (about 20 ms with ILIKE here)."""
DEFERRED_JOIN_OFFSET = 1_000
"""From this offset on, a page skips through the index alone before reading rows."""


class Total(int):
    """A list's total as `ListQuery.page` returns it: an int that knows if it is estimated,
    so that `Page(total=...)` flags it without each route passing the flag on."""

    estimated: bool

    def __new__(cls, value: int, *, estimated: bool = False) -> Total:
        total = super().__new__(cls, value)
        total.estimated = estimated
        return total


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many records match the filters")
    total_estimated: bool = Field(
        default=False,
        description=f"True when more than {EXACT_COUNT_LIMIT:,} match: `total` is then "
        "PostgreSQL's estimate, not a count",
    )
    limit: int
    offset: int

    @model_validator(mode="before")
    @classmethod
    def _flag_estimate(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("total"), Total):
            data = {**data, "total_estimated": data["total"].estimated}
        return data


@dataclass(frozen=True)
class Condition:
    """A condition on a list's rows beyond a filter's equality, given in `where` under any
    name: who may read which rows (a department's, a user's own). `sql` has a `{}` where
    each of `args` goes, in order; it is the service's own SQL, never a caller's text."""

    sql: str
    args: tuple[Any, ...] = ()


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
        self.page_params.list_query = self  # type: ignore[attr-defined]
        # The text searched, as one expression: the trigram index is built on exactly it.
        self.search_text = " || ' ' || ".join(f"coalesce({c}::text, '')" for c in self.text)

    def _order(self, sort: str | None) -> str:
        sort = sort or self.default_sort
        column = sort.lstrip("-")
        if column not in self.sorts:
            allowed = ", ".join(sorted(self.sorts))
            raise RuleViolation("sort", f"cannot sort by {column!r}; use one of {allowed}")
        # The tie-breaker runs the same way, so that the (column, id) index serves both.
        direction = "DESC" if sort.startswith("-") else "ASC"
        return f"{column} {direction}, id {direction}"

    def indexes(self, schema: str, trgm_ops: str | None) -> list[str]:
        """What this list's queries need; `trgm_ops` is pg_trgm's operator class, or None
        where the extension is missing (searches then scan)."""
        table = f'"{schema}".{self.table}'
        ddl = [
            f"CREATE INDEX IF NOT EXISTS {self.table}_sort_{c} ON {table} ({c}, id)"
            for c in sorted(self.sorts)
        ]
        ddl += [
            f"CREATE INDEX IF NOT EXISTS {self.table}_filter_{c} ON {table} ({c})"
            for c in sorted(self.filters - self.sorts)
        ]
        if self.text and trgm_ops is not None:
            ddl.append(
                f"CREATE INDEX IF NOT EXISTS {self.table}_search ON {table} "
                f"USING gin (({self.search_text}) {trgm_ops})"
            )
        return ddl

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
            if isinstance(value, Condition):
                marks = []
                for arg in value.args:
                    args.append(arg)
                    marks.append(f"${len(args)}")
                clauses.append(f"({value.sql.format(*marks)})")
                continue
            if column not in self.filters:
                raise RuleViolation(column, f"cannot filter by {column!r}")
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
        if q:
            args.append(f"%{q}%")
            clauses.append(f"({self.search_text}) ILIKE ${len(args)}")
        cond = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        table = f'"{schema}".{self.table}'
        order = self._order(sort)
        if offset >= DEFERRED_JOIN_OFFSET:
            # A deep page: skip through the (sort column, id) index alone, then read the
            # page's rows, rather than reading every skipped row.
            rows = await conn.fetch(
                f"SELECT t.* FROM (SELECT id FROM {table} {cond} ORDER BY {order} "
                f"LIMIT {int(limit)} OFFSET {int(offset)}) AS p JOIN {table} AS t USING (id) "
                f"ORDER BY {order}",
                *args,
            )
        else:
            rows = await conn.fetch(
                f"SELECT * FROM {table} {cond} ORDER BY {order} "
                f"LIMIT {int(limit)} OFFSET {int(offset)}",
                *args,
            )
        if len(rows) < limit and (rows or offset == 0):
            return rows, Total(offset + len(rows))  # the last page: no need to count
        return rows, await self._total(conn, table, cond, args)

    async def _total(
        self, conn: asyncpg.Connection | asyncpg.Pool, table: str, cond: str, args: list[Any]
    ) -> Total:
        counted = await conn.fetchval(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} {cond} "
            f"LIMIT {EXACT_COUNT_LIMIT + 1}) AS capped",
            *args,
        )
        if counted <= EXACT_COUNT_LIMIT:
            return Total(counted)
        plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} {cond}", *args)
        estimate = int(json.loads(plan)[0]["Plan"]["Plan Rows"])
        return Total(max(estimate, EXACT_COUNT_LIMIT + 1), estimated=True)


def list_queries(routers: Iterable[Any]) -> list[ListQuery]:
    """The lists the routes of these routers serve, found by their page dependency."""
    found: dict[int, ListQuery] = {}
    for dependant in _dependants(routers):
        query = getattr(dependant.call, "list_query", None)
        if isinstance(query, ListQuery):
            found[id(query)] = query
    return list(found.values())


def _dependants(routers: Iterable[Any]) -> Iterator[Any]:
    for router in routers:
        for route in router.routes:
            included = getattr(route, "original_router", None)  # a router included in it
            if included is not None:
                yield from _dependants([included])
            stack = [getattr(route, "dependant", None)]
            while stack:
                dependant = stack.pop()
                if dependant is not None:
                    yield dependant
                    stack.extend(dependant.dependencies)


async def create_list_indexes(
    conn: asyncpg.Connection, schema: str, lists: Sequence[ListQuery]
) -> None:
    """Makes the indexes of every list (after the projections made their tables)."""
    async with conn.transaction():
        # Replicas starting together must not build the same index side by side.
        await conn.execute(
            "SELECT pg_advisory_xact_lock($1)", zlib.crc32(f"bizdev-lists:{schema}".encode())
        )
        trgm_ops = await _trigram_ops(conn)
        for query in lists:
            kind = await conn.fetchval(
                "SELECT c.relkind::text FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = $1 AND c.relname = $2",
                schema,
                query.table,
            )
            if kind not in ("r", "m"):  # a view is as fast as the indexes of its tables
                continue
            for statement in query.indexes(schema, trgm_ops):
                await conn.execute(statement)


async def _trigram_ops(conn: asyncpg.Connection) -> str | None:
    """pg_trgm's GIN operator class, creating the extension (under database.py's lock) when
    the role may; None (and a warning: text searches will scan) when it is missing and cannot
    be created."""
    where = (
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    )
    schema = await conn.fetchval(where)
    if schema is None:
        try:
            async with conn.transaction():  # a savepoint: a refusal leaves the rest intact
                await database.create_extensions(conn)
        except asyncpg.PostgresError as e:
            log.warning("pg_trgm is not installed and cannot be (%s): text searches scan", e)
            return None
        schema = await conn.fetchval(where)
    return f'"{schema}".gin_trgm_ops'


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
