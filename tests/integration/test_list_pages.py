"""Lists walked by cursor (issue 18, item 6) against the real service and PostgreSQL: no row
that was there when the walk began is missed or seen twice while rows are written between
pages, in either direction, on a column that holds NULLs too; searches (Latin letters and
Chinese) find exactly their rows; a bad cursor is a 422 on `cursor`."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
from bizdev_common import readmodel
from bizdev_common.readmodel import ListQuery

from .conftest import Infra, eventually, problem_of, unique
from .flows import People, draft


async def _listed(http: httpx.AsyncClient, people: People, ids: set[str]) -> None:
    """Waits until the view holds every one of `ids` (they follow the events a moment later,
    not necessarily in the order they were written)."""

    async def listed() -> set[str]:
        r = await http.get(
            "/applications",
            params={"department": people.department, "limit": 200},
            headers=people.head,
        )
        return {item["id"] for item in r.json()["items"]}

    await eventually(listed, lambda found: ids <= found)


async def _walk(
    http: httpx.AsyncClient, params: dict[str, Any], headers: dict[str, str], during: Any
) -> list[dict[str, Any]]:
    """Every page by cursor, running `during()` before each next page."""
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = await http.get(
            "/applications",
            params={**params, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= params["limit"]
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        await during()


async def test_a_list_walked_by_cursor_while_rows_are_added_misses_and_repeats_none(
    http: httpx.AsyncClient,
) -> None:
    people = People()
    titles = [
        f"Pump retrofit {i:02d}" if i % 3 else f"Pump retrofit {i % 7:02d}" for i in range(30)
    ]
    before = {(await draft(http, people, title=t))["id"] for t in titles}
    await _listed(http, people, before)
    for sort in ("title", "-title", "-created_at", "created_at"):
        params = {"department": people.department, "sort": sort, "limit": 4}
        added: list[str] = []

        async def add_one(sort: str = sort, added: list[str] = added) -> None:
            # Titles that sort anywhere, before and after the page being read.
            title = f"Pump retrofit {random.randint(0, 40):02d} {sort}"
            added.append((await draft(http, people, title=title))["id"])

        seen = await _walk(http, params, people.head, add_one)
        ids = [item["id"] for item in seen]
        assert len(ids) == len(set(ids)), f"{sort}: a row seen twice"
        assert before <= set(ids), f"{sort}: rows missed: {before - set(ids)}"
        assert added, "rows were added during the walk"
        column = sort.lstrip("-")
        keys = [(item[column], item["id"]) for item in seen]
        assert keys == sorted(keys, reverse=sort.startswith("-")), f"{sort}: out of order"


async def test_a_bad_cursor_is_refused_on_the_cursor_field(http: httpx.AsyncClient) -> None:
    people = People()
    await _listed(
        http, people, {(await draft(http, people, title=f"Check {i}"))["id"] for i in range(3)}
    )
    params = {"department": people.department, "sort": "title", "limit": 1}
    page = await http.get("/applications", params=params, headers=people.head)
    cursor = page.json()["next_cursor"]
    assert cursor
    for bad, wanted in (
        ({"cursor": cursor, "sort": "-title"}, "sort=title"),
        ({"cursor": cursor, "sort": "created_at"}, "sort=title"),
        ({"cursor": "bm90IGpzb24"}, "not a cursor"),
        ({"cursor": cursor, "offset": 5}, "cursor or by offset"),
    ):
        r = await http.get("/applications", params={**params, **bad}, headers=people.head)
        assert r.status_code == 422, r.text
        errors = problem_of(r)["errors"]
        assert errors[0]["field"] in ("query.cursor", "query.offset")
        assert wanted in errors[0]["message"]
    # A cursor of the list `applications` is refused by `projects`, whose sort may match.
    r = await http.get("/projects", params={"cursor": cursor, "sort": "title"}, headers=people.head)
    assert r.status_code == 422


async def test_a_search_finds_its_text_anywhere_in_any_language(http: httpx.AsyncClient) -> None:
    people = People()
    word = unique("zq").replace("-", "")  # one word no other test writes
    factory = (await draft(http, people, title=f"{word} factory retrofit"))["id"]
    region = (await draft(http, people, title=f"Cold chain {word}", target_customers="region 42"))[
        "id"
    ]
    chinese = (await draft(http, people, title=f"智能制造改造 {word}", background="要求降低能耗"))[
        "id"
    ]
    wanted = {factory, region, chinese}
    other = (await draft(http, people, title=f"x{word} factory"))["id"]  # inside a word
    await _listed(http, people, {*wanted, other})

    async def search(q: str) -> set[str]:
        r = await http.get(
            "/applications",
            params={"q": q, "department": people.department},
            headers=people.head,
        )
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    assert await search(word) == {*wanted, other}
    assert await search(word[2:-3]) == {*wanted, other}  # a part of a word
    assert await search(f"{word} factory") == {factory, other}  # the text as typed
    assert await search(f"{word} retrofit") == set()
    assert await search("region 42") == {region}
    assert await search("降低能耗") == {chinese}  # Chinese: a substring, anywhere
    assert await search("制造") == {chinese}
    assert await search(f"x{word}") == {other}
    assert await search("nothing-matches-this") == set()


# --- NULLs, by the list query itself on a table of its own -----------------------------------

DUE = ListQuery("due_items", filters=[], sorts=["due"], text=["name"], default_sort="due")


async def test_cursor_pages_keep_nulls_in_place_in_both_directions(infra: Infra) -> None:
    """A NULL-able sort column (a due day not yet set), with many rows on one day: the rows
    are walked in PostgreSQL's own order (NULLs last ascending, first descending) while rows
    are inserted on every side of the page being read, NULLs too."""
    schema = f"pages_{uuid4().hex[:8]}"
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(
            f'CREATE TABLE "{schema}".due_items (id uuid PRIMARY KEY, due date, name text NOT NULL)'
        )
        for ddl in DUE.indexes(schema, None):
            await conn.execute(ddl)
        start = date(2025, 1, 1)

        def row() -> tuple[UUID, date | None, str]:
            due = None if random.random() < 0.3 else start + timedelta(days=random.randint(0, 9))
            return uuid4(), due, "item"

        await conn.executemany(
            f'INSERT INTO "{schema}".due_items VALUES ($1, $2, $3)', [row() for _ in range(120)]
        )
        for sort in ("due", "-due"):
            before = {r["id"] for r in await conn.fetch(f'SELECT id FROM "{schema}".due_items')}
            seen: list[asyncpg.Record] = []
            cursor = None
            while True:
                rows, total = await DUE.page(
                    conn, schema, where={}, q=None, sort=sort, limit=7, offset=0, cursor=cursor
                )
                seen += rows
                cursor = total.next_cursor  # type: ignore[attr-defined]
                if cursor is None:
                    break
                await conn.executemany(
                    f'INSERT INTO "{schema}".due_items VALUES ($1, $2, $3)',
                    [row() for _ in range(3)],
                )
            ids = [r["id"] for r in seen]
            assert len(ids) == len(set(ids)), f"{sort}: a row seen twice"
            assert before <= set(ids), f"{sort}: {len(before - set(ids))} rows missed"
            way = "DESC" if sort == "-due" else "ASC"
            expected = await conn.fetch(
                f'SELECT id FROM "{schema}".due_items WHERE id = ANY($1) '
                f"ORDER BY due {way}, id {way}",
                ids,
            )
            assert ids == [r["id"] for r in expected], f"{sort}: out of PostgreSQL's order"
            nulls = [r["due"] is None for r in seen]
            assert any(nulls)
            assert not all(nulls)
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


# --- searches found in order or by the trigram index, by the list query itself ---------------

FOUND = ListQuery(
    "found_items", filters=["shelf"], sorts=["seq"], text=["name"], default_sort="seq"
)


async def test_a_search_pages_the_same_rows_however_it_finds_them(infra: Infra) -> None:
    """More rows than a search first reads in order (`PROBE_ROWS`): a common term is paged
    from the rows in order and its total estimated from how densely they match; a rare one,
    none of them among the first rows, is found by the trigram index and counted. Either way
    the pages, by offset and by cursor, in both directions, are exactly PostgreSQL's own
    answer to the ILIKE, quotes and backslashes in the term taken as typed."""
    schema = f"pages_{uuid4().hex[:8]}"
    n = readmodel.PROBE_ROWS * 3
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        table = f'"{schema}".found_items'
        await conn.execute(
            f"CREATE TABLE {table} (id uuid PRIMARY KEY, seq int, shelf text, name text NOT NULL)"
        )

        def name(i: int) -> str:
            if i < 5:
                return f"Oldest O'Brien \\ {i}"  # rare, and only at one end
            return f"Common item {i}" if i % 10 == 0 else f"other {i}"

        await conn.executemany(
            f"INSERT INTO {table} VALUES ($1, $2, $3, $4)",
            [(uuid4(), i, "a" if i % 2 else "b", name(i)) for i in range(n)],
        )
        await readmodel.create_list_indexes(conn, schema, [FOUND])
        await conn.execute(f"ANALYZE {table}")

        async def expected(q: str, sort: str, where: dict[str, str]) -> list[UUID]:
            way = "DESC" if sort.startswith("-") else "ASC"
            shelf = where.get("shelf")
            rows = await conn.fetch(
                f"SELECT id FROM {table} WHERE name ILIKE $1 AND ($2::text IS NULL OR shelf = $2) "
                f"ORDER BY seq {way}, id {way}",
                f"%{q}%",
                shelf,
            )
            return [r["id"] for r in rows]

        for q, where in (("COMMON", {}), ("common", {"shelf": "b"}), ("o'brien \\", {})):
            for sort in ("seq", "-seq"):
                wanted = await expected(q, sort, where)
                seen: list[UUID] = []
                cursor = None
                while True:
                    rows, total = await FOUND.page(
                        conn,
                        schema,
                        where=where,
                        q=q,
                        sort=sort,
                        limit=50,
                        offset=0,
                        cursor=cursor,
                    )
                    seen += [r["id"] for r in rows]
                    estimated: bool = total.estimated  # type: ignore[attr-defined]
                    if q == "o'brien \\" or total.next_cursor is None:  # type: ignore[attr-defined]
                        assert not estimated, (q, sort, total)
                        assert total == len(wanted), (q, sort, total)
                    else:
                        assert estimated, (q, sort, total)
                        assert 0.7 * len(wanted) <= total <= 1.3 * len(wanted), (q, sort, total)
                    cursor = total.next_cursor  # type: ignore[attr-defined]
                    if cursor is None:
                        break
                assert seen == wanted, (q, sort)
                rows, total = await FOUND.page(
                    conn, schema, where=where, q=q, sort=sort, limit=50, offset=100
                )
                assert [r["id"] for r in rows] == wanted[100:150], (q, sort)
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
