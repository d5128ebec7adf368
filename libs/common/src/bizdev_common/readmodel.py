"""Queries over read models: filters, text search, sorting and pagination written once, and
read-your-writes: a query may wait (bounded) until its view has reached a given version, so a
frontend that just wrote never shows the page as it was before the write.

Each list brings its own indexes (`ListQuery.indexes`, made at start-up by
`create_list_indexes`): one per sort column (with `id`, the tie-breaker, so that a page is an
index range in either direction), one per filter column, and a pg_trgm trigram index over its
text columns, which `ILIKE '%...%'` uses in any language (Chinese too). A list's total is
exact up to `EXACT_COUNT_LIMIT` matches and an estimate beyond, flagged `total_estimated`:
counting a million rows for a page of twenty costs more than the page.

A search costs what its matches cost, not what its letters do: its page is first looked for
among the first `PROBE_ROWS` rows in the list's order, the match a filter on the sort index
(a term in one row of 97 finds a page in ~2,000 rows). Only a term too rare for that goes to
the trigram index for all its matches, then few. The trigram index alone reads the posting
lists of every trigram of the term: for 'region 42' those of 'reg' or 'ion', which hold
every row, so its cost follows the commonness of the letters, and the planner's estimate of
an ILIKE (100 rows for 10,000 there) cannot tell it which way is cheaper.

A page is found by `offset` or by `cursor`: the sort key and id of the last row of the page
before, so that the next page is an index range from there, as fast at any depth, with no
row missed or repeated when rows are written between pages."""

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
from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from bizdev_common import database
from bizdev_common.boundary import page_params
from bizdev_common.cursors import decode_cursor, encode_cursor
from bizdev_common.domain import NotFound, RuleViolation
from bizdev_common.errors import ViewNotCaughtUp

log = logging.getLogger(__name__)

T = TypeVar("T")

EXACT_COUNT_LIMIT = 1_000
"""Totals up to this are counted; above it they are the planner's estimate. Counting stops at
the limit, so its cost is bounded by how many rows it takes to find that many matches. A
search is counted this way only over few rows (see `PROBE_ROWS`): counting 1,000 matches of
a term in one row in seven reads 7,000 rows by ILIKE (46 ms at a million rows here)."""
DEFERRED_JOIN_OFFSET = 1_000
"""From this offset on, a page skips through the index alone before reading rows."""
PROBE_ROWS = 3_000
"""A search looks for its page among this many rows in order before asking the trigram index
for every match: at most ~10 ms of ILIKE here (3.5 µs a row), and a term that does not fill
a page in them matches about one row in 150 or fewer."""


@dataclass(frozen=True)
class _Found:
    """How a search found its page: `matched` rows in the first `scanned` in order (the
    probe), or `total` matches in all (the trigram index, which found every one)."""

    matched: int = 0
    scanned: int = 0
    total: int | None = None


class Total(int):
    """A list's total as `ListQuery.page` returns it: an int that knows if it is estimated and
    where the next page starts, so that `Page(total=...)` says both without each route
    passing them on."""

    estimated: bool
    next_cursor: str | None

    def __new__(
        cls, value: int, *, estimated: bool = False, next_cursor: str | None = None
    ) -> Total:
        total = super().__new__(cls, value)
        total.estimated = estimated
        total.next_cursor = next_cursor
        return total


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many records match the filters (and `q`)")
    total_estimated: bool = Field(
        default=False,
        description=f"True when `total` is an estimate, not a count: more than "
        f"{EXACT_COUNT_LIMIT:,} match, or a search (`q`) matched the page among the first "
        f"rows in order and more than {PROBE_ROWS:,} rows pass the filters. It is then "
        "PostgreSQL's estimate for filters, or, for a search, how densely the rows read so far "
        "matched times how many pass the filters; never less than the rows up to this page "
        "plus one",
    )
    limit: int
    offset: int
    next_cursor: str | None = Field(
        default=None,
        description="Send it as `cursor` (with the same sort and filters) for the next page; "
        "null on the last page",
    )

    @model_validator(mode="before")
    @classmethod
    def _flag_estimate(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("total"), Total):
            total = data["total"]
            data = {**data, "total_estimated": total.estimated, "next_cursor": total.next_cursor}
        return data


@dataclass(frozen=True)
class Condition:
    """A condition on a list's rows beyond a filter's equality, given in `where` under any
    name: who may read which rows (a department's, a user's own). `sql` has a `{}` where
    each of `args` goes, in order; it is the service's own SQL, never a caller's text."""

    sql: str
    args: tuple[Any, ...] = ()

    def render(self, args: list[Any]) -> str:
        """The condition in a query that already has `args`, its own appended to them."""
        marks = []
        for arg in self.args:
            args.append(arg)
            marks.append(f"${len(args)}")
        return f"({self.sql.format(*marks)})"


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

    def _sort(self, sort: str | None) -> tuple[str, str, str]:
        """The sort as asked (or the default), its column and direction."""
        sort = sort or self.default_sort
        column = sort.lstrip("-")
        if column not in self.sorts:
            allowed = ", ".join(sorted(self.sorts))
            raise RuleViolation("sort", f"cannot sort by {column!r}; use one of {allowed}")
        return sort, column, "DESC" if sort.startswith("-") else "ASC"

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
        cursor: str | None = None,
    ) -> tuple[list[asyncpg.Record], int]:
        """The page and the total (a `Total`: estimated or not, and the next page's cursor)."""
        clauses: list[str] = []
        args: list[Any] = []
        for column, value in where.items():
            if value is None:
                continue
            if isinstance(value, Condition):
                clauses.append(value.render(args))
                continue
            if column not in self.filters:
                raise RuleViolation(column, f"cannot filter by {column!r}")
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
        text = None
        if q:
            # A literal, not a parameter, so that each search is planned for its own term:
            # the generic plan a prepared statement gets after five runs plans for no term,
            # and may ask the trigram index for 'factory' beside a filter (150 ms here).
            text = f"({self.search_text}) ILIKE {_literal(f'%{q}%')}"
        table = f'"{schema}".{self.table}'
        sort, column, direction = self._sort(sort)
        # The tie-breaker runs the same way, so that the (column, id) index serves both.
        order = f"{column} {direction}, id {direction}"
        found = None
        # One row more than the page tells whether there is a next page.
        if cursor is not None:
            if offset:
                raise RuleViolation(
                    "query.offset", "a page is found by cursor or by offset, not both"
                )
            rows, found = await self._after(
                conn, table, clauses, text, args, cursor, sort, order, limit + 1
            )
        elif text is not None:
            rows, found = await self._search(
                conn, table, clauses, text, args, column, order, limit + 1, offset
            )
        elif offset >= DEFERRED_JOIN_OFFSET:
            # A deep page: skip through the (sort column, id) index alone, then read the
            # page's rows, rather than reading every skipped row.
            rows = await conn.fetch(
                f"SELECT t.* FROM (SELECT id FROM {table} {_where(clauses)} ORDER BY {order} "
                f"LIMIT {int(limit) + 1} OFFSET {int(offset)}) AS p "
                f"JOIN {table} AS t USING (id) ORDER BY {order}",
                *args,
            )
        else:
            rows = await conn.fetch(
                f"SELECT * FROM {table} {_where(clauses)} ORDER BY {order} "
                f"LIMIT {int(limit) + 1} OFFSET {int(offset)}",
                *args,
            )
        searched = clauses if text is None else [*clauses, text]
        if len(rows) <= limit:
            if cursor is None and (rows or offset == 0):
                return rows, Total(offset + len(rows))  # the last page: no need to count
            return rows, await self._total(conn, table, searched, args, None)
        rows = rows[:limit]
        last = rows[-1]
        after = encode_cursor(self.table, sort, last[column], last["id"])
        if text is None or found is None:
            return rows, await self._total(conn, table, searched, args, after)
        if found.total is not None and cursor is None:
            return rows, Total(found.total, next_cursor=after)
        # How many rows pass the filters: the search's matches are a share of them.
        passing = await _estimate(conn, table, clauses, args)
        if passing <= PROBE_ROWS or not found.scanned:
            return rows, await self._total(conn, table, searched, args, after)
        estimate = found.matched * passing // found.scanned
        at_least = offset + limit + 1
        return rows, Total(max(estimate, at_least), estimated=True, next_cursor=after)

    async def _search(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        table: str,
        clauses: list[str],
        text: str,
        args: list[Any],
        column: str,
        order: str,
        n: int,
        offset: int,
    ) -> tuple[list[asyncpg.Record], _Found]:
        """Up to `n` rows from `offset` that pass `clauses` and match `text`: looked for among
        the first `PROBE_ROWS` rows in order, else among every match the trigram index finds
        (then with their count, which costs nothing more)."""
        # Only what the search and the order read travels up from the index scan.
        read = ", ".join(dict.fromkeys(["id", column, *self.text]))
        probe = await conn.fetch(
            f"SELECT id, _position FROM (SELECT {read}, row_number() OVER (ORDER BY {order}) "
            f"AS _position FROM {table} {_where(clauses)} ORDER BY {order} "
            f"LIMIT {PROBE_ROWS}) AS probe WHERE {text} ORDER BY {order} "
            f"LIMIT {int(n)} OFFSET {int(offset)}",
            *args,
        )
        if len(probe) == n:
            found = _Found(matched=offset + n, scanned=probe[-1]["_position"])
            return await _rows(conn, table, [r["id"] for r in probe], order), found
        # MATERIALIZED: the matches first, by the trigram index, never by walking the sort
        # index through rows that do not match.
        every = await conn.fetch(
            f"WITH matched AS MATERIALIZED (SELECT id, {column} FROM {table} "
            f"{_where([*clauses, text])}) "
            "SELECT id, (SELECT count(*) FROM matched) AS total FROM matched "
            f"ORDER BY {order} LIMIT {int(n)} OFFSET {int(offset)}",
            *args,
        )
        total = every[0]["total"] if every else None
        return await _rows(conn, table, [r["id"] for r in every], order), _Found(total=total)

    async def _after(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        table: str,
        clauses: list[str],
        text: str | None,
        args: list[Any],
        cursor: str,
        sort: str,
        order: str,
        n: int,
    ) -> tuple[list[asyncpg.Record], _Found | None]:
        """Up to `n` rows after the cursor's, each read as an index range. NULLs sort last
        ascending and first descending (PostgreSQL's default, which the (column, id) index
        keeps), and a row comparison holds no NULL: so the rows after a key are those of its
        part (NULL or not) after it, then, if the page is not full, the next part's first."""
        value, last_id = decode_cursor(cursor, self.table, sort)
        column = sort.lstrip("-")
        descending = sort.startswith("-")
        k = len(args)
        later = "<" if descending else ">"
        if value is None:
            key_args = [last_id]
            rest = f"{column} IS NULL AND id {later} ${k + 1}"
            then = f"{column} IS NOT NULL" if descending else None
        else:
            key_args = [value, last_id]
            rest = f"({column}, id) {later} (${k + 1}, ${k + 2})"
            then = None if descending else f"{column} IS NULL"

        async def part(condition: str, part_args: list[Any], m: int) -> tuple[list[Any], Any]:
            if text is not None:
                return await self._search(
                    conn, table, [*clauses, condition], text, part_args, column, order, m, 0
                )
            where = _where([*clauses, condition])
            return await conn.fetch(
                f"SELECT * FROM {table} {where} ORDER BY {order} LIMIT {m}", *part_args
            ), None

        try:
            rows, found = await part(rest, [*args, *key_args], n)
        except (asyncpg.DataError, ValueError):
            # A cursor well formed but with a value of another kind than the column's.
            raise RuleViolation("query.cursor", "not a cursor of this list") from None
        if then is not None and len(rows) < n:
            more, _ = await part(then, args, n - len(rows))
            rows += more
            found = None  # two parts read: the page is counted, not estimated
        return rows, found

    async def _total(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        table: str,
        clauses: list[str],
        args: list[Any],
        next_cursor: str | None,
    ) -> Total:
        counted = await conn.fetchval(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} {_where(clauses)} "
            f"LIMIT {EXACT_COUNT_LIMIT + 1}) AS capped",
            *args,
        )
        if counted <= EXACT_COUNT_LIMIT:
            return Total(counted, next_cursor=next_cursor)
        estimate = await _estimate(conn, table, clauses, args)
        return Total(max(estimate, EXACT_COUNT_LIMIT + 1), estimated=True, next_cursor=next_cursor)


async def _estimate(
    conn: asyncpg.Connection | asyncpg.Pool, table: str, clauses: list[str], args: list[Any]
) -> int:
    """PostgreSQL's estimate of the rows that pass `clauses`."""
    plan = await conn.fetchval(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} {_where(clauses)}", *args
    )
    return int(json.loads(plan)[0]["Plan"]["Plan Rows"])


async def _rows(
    conn: asyncpg.Connection | asyncpg.Pool, table: str, ids: list[UUID], order: str
) -> list[asyncpg.Record]:
    """The rows of `ids`, in the list's order."""
    if not ids:
        return []
    return await conn.fetch(
        f"SELECT * FROM {table} WHERE id = ANY($1::uuid[]) ORDER BY {order}", ids
    )


def _literal(text: str) -> str:
    """`text` as an SQL string constant; an E'' one means the same whatever
    standard_conforming_strings says."""
    return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _where(clauses: Sequence[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


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
