"""The shared inbox table on a real PostgreSQL: items opened, moved and settled by events in
any order of delivery end as the newest event says, and the caller's condition picks exactly
the items that wait on them (by id, by role in their department, by role anywhere, but for
the one holder excepted)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from bizdev_common import inbox
from bizdev_common.contract import PublicEvent
from bizdev_common.domain import Actor, Role

from .conftest import Infra

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(record: uuid.UUID, version: int) -> PublicEvent:
    return PublicEvent(aggregate_id=record, version=version, occurred_at=T0 + timedelta(version))


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    schema = f"inbox_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(infra.database_url)
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    for statement in inbox.DDL:
        await conn.execute(statement.format(schema=f'"{schema}"'))
    try:
        yield conn, schema
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


async def rows(conn: asyncpg.Connection, schema: str) -> list[tuple[str, str, int, str | None]]:
    found = await conn.fetch(
        f'SELECT kind, state, version, user_id FROM "{schema}".inbox ORDER BY kind, item'
    )
    return [(r["kind"], r["state"], r["version"], r["user_id"]) for r in found]


async def test_writes_apply_only_over_older_ones_so_redelivery_changes_nothing(
    db: tuple[asyncpg.Connection, str],
) -> None:
    conn, schema = db
    record = uuid.uuid4()

    async def answer(version: int, owner: str) -> bool:
        return await inbox.put(
            conn, schema, event(record, version), kind="answer", title="Late delivery",
            waiting_on=inbox.person(owner), link=f"/complaints/{record}/respond",
        )  # fmt: skip

    assert await answer(2, "rita")
    assert await answer(4, "sam")  # reassigned
    assert not await answer(2, "rita")  # the first assignment, delivered again
    assert await rows(conn, schema) == [("answer", "open", 4, "sam")]

    assert await inbox.close(conn, schema, event(record, 5), kind="answer")
    assert not await inbox.close(conn, schema, event(record, 5), kind="answer")
    assert not await answer(4, "sam")  # settled at 5: an older event does not reopen it
    assert await rows(conn, schema) == [("answer", "done", 5, "sam")]

    assert await answer(7, "sam")  # reopened by a newer event
    assert await rows(conn, schema) == [("answer", "open", 7, "sam")]


async def test_closing_a_record_settles_every_item_and_late_older_events_stay_settled(
    db: tuple[asyncpg.Connection, str],
) -> None:
    conn, schema = db
    record = uuid.uuid4()
    for version, kind in ((1, "assign"), (3, "action")):
        await inbox.put(
            conn, schema, event(record, version), kind=kind, title="t",
            waiting_on=inbox.head_of("sales"), link="/x",
        )  # fmt: skip
    await inbox.close(conn, schema, event(record, 2), kind="assign")
    assert await inbox.close_record(conn, schema, event(record, 9)) == 2
    assert not await inbox.put(
        conn, schema, event(record, 3), kind="action", title="t",
        waiting_on=inbox.head_of("sales"), link="/x",
    )  # fmt: skip
    assert await rows(conn, schema) == [("action", "done", 9, None), ("assign", "done", 9, None)]


async def test_an_item_waits_on_its_user_its_departments_role_holders_or_every_role_holder(
    db: tuple[asyncpg.Connection, str],
) -> None:
    conn, schema = db
    addressees = {
        "rita's": inbox.person("rita"),
        "sales head's": inbox.head_of("sales"),
        "market head's": inbox.head_of("market"),
        "management's": inbox.MANAGEMENT,
        # Carol's own request: the other managers decide it, never she.
        "other managers'": inbox.WaitsOn(role=Role.MANAGEMENT, other_than="carol"),
    }
    for title, whom in addressees.items():
        await inbox.put(
            conn, schema, event(uuid.uuid4(), 1), kind="k", title=title, waiting_on=whom,
            link="/x", due_at=T0,
        )  # fmt: skip

    async def seen_by(actor: Actor) -> set[str]:
        condition, args = inbox.waits_on(actor)
        found = await conn.fetch(f'SELECT title FROM "{schema}".inbox WHERE {condition}', *args)
        return {r["title"] for r in found}

    def who(user: str, department: str, *roles: Role) -> Actor:
        return Actor(user, department, frozenset(roles))

    assert await seen_by(who("rita", "sales", Role.EMPLOYEE)) == {"rita's"}
    assert await seen_by(who("bob", "sales", Role.EMPLOYEE, Role.DEPARTMENT_HEAD)) == {
        "sales head's"
    }
    assert await seen_by(who("carol", "board", Role.MANAGEMENT, Role.DEPARTMENT_HEAD)) == {
        "management's"
    }
    assert await seen_by(who("dora", "board", Role.MANAGEMENT)) == {
        "management's",
        "other managers'",
    }
    assert await seen_by(who("ann", "sales", Role.AUDITOR)) == set()
