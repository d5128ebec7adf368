"""What waits on whom: one inbox read model per service, answering `GET /inbox` for the caller.

A service's projection keeps the items, in the transaction of its views, from the events that
make something wait on someone (an application submitted: its department's head reviews it)
and from those that settle it (reviewed): `put` opens or moves an item, `close` settles one,
`close_record` settles every item of a record that has ended. An item is keyed by its record
(the aggregate whose events write it), a kind and, for a record that waits on several things
of one kind (a complaint's corrective actions), an `item` key. Each write carries the version
of the event that makes it and applies only over an older one, so an event applied twice, or
after a newer one, changes nothing; a settled item stays as a row at its version for that
reason, marked `done`.

An item waits on one addressee (`WaitsOn`): a user, or the holders of a role in a department
(`head_of("sales")`), or the holders of a role anywhere (`MANAGEMENT`), but for one of them
who may not decide it (`other_than`: the requester, who never approves their own submission).
Something that waits on two people is two items. `inbox_router` lists the open items that
wait on the caller, soonest due first, with `overdue` from the service's clock (the one its
deadline scheduler reads).

The projection lists `DDL` among its statements and `TABLE` among its tables, so rebuilding
its views rebuilds the inbox too. Where several projections of a service write the one inbox,
each its own records' items, none lists `TABLE` (a rebuild of one would drop the others'
items): each only creates it."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, cast
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from bizdev_common.api import ReadConsistency, RuntimeDep
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import PageParams, page_params
from bizdev_common.contract import PublicEvent
from bizdev_common.domain import Actor, Role
from bizdev_common.errors import ViewNotCaughtUp
from bizdev_common.readmodel import Page, wait_for
from bizdev_common.service import Runtime

TABLE = "inbox"

DDL = [
    """
    CREATE TABLE IF NOT EXISTS {schema}.inbox (
        record_id uuid NOT NULL,
        kind text NOT NULL,
        item text NOT NULL DEFAULT '',
        version int NOT NULL,
        state text NOT NULL,
        title text NOT NULL,
        user_id text,
        role text,
        department text,
        other_than text,
        due_at timestamptz,
        link text NOT NULL,
        since timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (record_id, kind, item),
        CHECK ((user_id IS NULL) <> (role IS NULL))
    )
    """,
    "CREATE INDEX IF NOT EXISTS inbox_user ON {schema}.inbox (user_id, due_at) "
    "WHERE state = 'open' AND user_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS inbox_role ON {schema}.inbox (role, department, due_at) "
    "WHERE state = 'open' AND role IS NOT NULL",
]
"""The inbox table, for a projection's `ddl` (`{schema}` is filled in by the projection)."""

OPEN = "open"
DONE = "done"


@dataclass(frozen=True)
class WaitsOn:
    """Whom an item waits on: a user, or the holders of a role (in a department, if given)
    other than the user `other_than` (who holds the role but may not decide it)."""

    user: str | None = None
    role: Role | None = None
    department: str | None = None
    other_than: str | None = None

    def __post_init__(self) -> None:
        if (self.user is None) == (self.role is None):
            raise ValueError("an item waits on a user or on a role, not both or neither")
        if self.user is not None and self.department is not None:
            raise ValueError("an item waiting on a user names no department")
        if self.user is not None and self.other_than is not None:
            raise ValueError("an item waiting on a user excepts nobody")


def person(user_id: str) -> WaitsOn:
    return WaitsOn(user=user_id)


def head_of(department: str) -> WaitsOn:
    """The head of a department: the first level an escalation goes to."""
    return WaitsOn(role=Role.DEPARTMENT_HEAD, department=department)


MANAGEMENT = WaitsOn(role=Role.MANAGEMENT)
"""Management, whatever their department: the second level of an escalation."""


def waits_on(actor: Actor, first: int = 1) -> tuple[str, list[Any]]:
    """The condition (and its arguments, numbered from `first`) of items that wait on `actor`:
    addressed to them, or to a role they hold, in their department or in none, unless they
    are the one excepted."""
    roles = sorted(r.value for r in actor.roles)
    condition = (
        f"(user_id = ${first} OR (role = ANY(${first + 1}::text[]) "
        f"AND (department IS NULL OR department = ${first + 2}) "
        f"AND other_than IS DISTINCT FROM ${first}))"
    )
    return condition, [actor.user_id, roles, actor.department]


async def put(
    conn: asyncpg.Connection,
    schema: str,
    event: PublicEvent,
    *,
    kind: str,
    title: str,
    waiting_on: WaitsOn,
    link: str,
    due_at: datetime | None = None,
    item: str = "",
) -> bool:
    """Opens the item of `event`'s record, or moves it (new addressee, due time, title).
    Returns whether it applied: not over a write of the same or a newer event."""
    applied = await conn.fetchval(
        f'INSERT INTO "{schema}".inbox AS i (record_id, kind, item, version, state, title, '
        "user_id, role, department, other_than, due_at, link, since, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $13, $10, $11, $12, $12) "
        "ON CONFLICT (record_id, kind, item) DO UPDATE SET version = EXCLUDED.version, "
        "state = EXCLUDED.state, title = EXCLUDED.title, user_id = EXCLUDED.user_id, "
        "role = EXCLUDED.role, department = EXCLUDED.department, "
        "other_than = EXCLUDED.other_than, due_at = EXCLUDED.due_at, "
        "link = EXCLUDED.link, updated_at = EXCLUDED.updated_at, "
        # Waiting since it opened; a settled item opened again waits from now.
        "since = CASE WHEN i.state = 'open' THEN i.since ELSE EXCLUDED.since END "
        "WHERE i.version < EXCLUDED.version RETURNING true",
        event.aggregate_id,
        kind,
        item,
        event.version,
        OPEN,
        title,
        waiting_on.user,
        None if waiting_on.role is None else waiting_on.role.value,
        waiting_on.department,
        due_at,
        link,
        event.occurred_at,
        waiting_on.other_than,
    )
    return bool(applied)


async def close(
    conn: asyncpg.Connection, schema: str, event: PublicEvent, *, kind: str, item: str = ""
) -> bool:
    """Settles the item of `event`'s record (it no longer waits on anyone). Returns whether
    it applied: there was such an item, older than the event."""
    status = await conn.execute(
        f'UPDATE "{schema}".inbox SET state = $4, version = $5, updated_at = $6 '
        "WHERE record_id = $1 AND kind = $2 AND item = $3 AND version < $5",
        event.aggregate_id,
        kind,
        item,
        DONE,
        event.version,
        event.occurred_at,
    )
    return bool(status != "UPDATE 0")


async def close_record(conn: asyncpg.Connection, schema: str, event: PublicEvent) -> int:
    """Settles every item of `event`'s record (closed, cancelled, erased): how many it moved.
    Settled items move to the event's version too, so that none is opened again by an older
    event applied late."""
    status = await conn.execute(
        f'UPDATE "{schema}".inbox SET state = $2, version = $3, updated_at = $4 '
        "WHERE record_id = $1 AND version < $3",
        event.aggregate_id,
        DONE,
        event.version,
        event.occurred_at,
    )
    return int(status.split()[-1])


# --- GET /inbox ----------------------------------------------------------------------------


class Addressee(BaseModel):
    """Whom the item waits on: a user, or the holders of a role (in a department, if named)."""

    user: str | None
    role: Role | None
    department: str | None


class InboxItem(BaseModel):
    kind: str = Field(description="What waits: the service's kinds are an enum of `kind`")
    record_id: UUID = Field(description="The record it belongs to")
    item: str = Field(description="Which part of the record, when it has several; else empty")
    title: str
    waits_on: Addressee
    due_at: datetime | None = Field(description="When it is due; null when no time is set")
    overdue: bool = Field(description="Past its due time now")
    since: datetime = Field(description="Waiting since")
    link: str = Field(description="The API path to act on it")
    version: int = Field(description="The record's version that put it here")


SORTS = ("due_at", "since", "kind")


def _order(sort: str | None) -> str:
    sort = sort or "due_at"
    column = sort.lstrip("-")
    if column not in SORTS:  # the route's enum lets none other through
        raise ValueError(f"cannot sort the inbox by {column!r}")
    direction = "DESC" if sort.startswith("-") else "ASC"
    # Items with no due time come last either way: they press least.
    return f"{column} {direction} NULLS LAST, since ASC, record_id, kind, item"


def inbox_router(
    kinds: Sequence[str], records: Sequence[str] = (), tag: str = "inbox"
) -> APIRouter:
    """`GET /inbox`: the open items that wait on the caller, soonest due first (`sort`),
    filtered by `kind` (one of `kinds`, the service's) and `overdue`, a page at a time.

    Items follow the events a moment later. Read-your-writes as on every list: `wait_for`
    a record's id and `min_version` its version, and the answer waits until that record's
    view (its row in one of the tables `records`, written in the transaction that writes its
    items) has reached that version."""
    kind_enum = cast(Any, StrEnum)("InboxKind", {k: k for k in kinds})
    pages = page_params(TABLE, SORTS, cursor=False)  # the inbox pages by offset alone
    router = APIRouter(tags=[tag])

    async def inbox(**params: Any) -> Page[InboxItem]:
        rt: Runtime = params["rt"]
        page: PageParams = params["page"]
        kind, overdue, record_id = params["kind"], params["overdue"], params["record_id"]
        consistency: ReadConsistency = params["consistency"]
        await _caught_up(rt, records, consistency.wait_for, consistency.min_version)
        now = rt.clock.now()
        condition, args = waits_on(params["actor"], first=2)
        clauses = ["state = $1", condition]
        args = [OPEN, *args]
        if kind is not None:
            args.append(kind.value)
            clauses.append(f"kind = ${len(args)}")
        if record_id is not None:
            args.append(record_id)
            clauses.append(f"record_id = ${len(args)}")
        if overdue is not None:
            args.append(now)
            past = f"(due_at IS NOT NULL AND due_at <= ${len(args)})"
            clauses.append(past if overdue else f"NOT {past}")
        if page.q:
            args.append(f"%{page.q}%")
            clauses.append(f"title ILIKE ${len(args)}")
        table = f'"{rt.settings.schema_name}".inbox'
        where = " AND ".join(clauses)
        total = await rt.pool.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", *args)
        rows = await rt.pool.fetch(
            f"SELECT * FROM {table} WHERE {where} ORDER BY {_order(page.sort)} "
            f"LIMIT {int(page.limit)} OFFSET {int(page.offset)}",
            *args,
        )
        return Page(
            items=[item_of(row, now) for row in rows],
            total=int(total),
            limit=page.limit,
            offset=page.offset,
        )

    # The kinds' enum exists only here, so the signature is built, not annotated in the
    # source (postponed annotations could not name it).
    inbox.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            _param("actor", CurrentActor),
            _param("rt", RuntimeDep),
            _param("page", Annotated[PageParams, Depends(pages)]),
            _param("consistency", Annotated[ReadConsistency, Query()]),
            _param(
                "kind",
                Annotated[kind_enum | None, Query(description="Only items of this kind")],
                None,
            ),
            _param(
                "overdue",
                Annotated[bool | None, Query(description="Only overdue items, or only others")],
                None,
            ),
            _param(
                "record_id",
                Annotated[
                    UUID | None,
                    Query(description="Only items about this record: does it wait on me?"),
                ],
                None,
            ),
        ]
    )
    router.add_api_route(
        "/inbox",
        inbox,
        methods=["GET"],
        response_model=Page[InboxItem],
        summary="What waits on me",
        name="inbox",
    )
    return router


async def _caught_up(
    rt: Runtime, tables: Sequence[str], record_id: UUID | None, min_version: int | None
) -> None:
    if record_id is None or min_version is None:
        return
    schema = rt.settings.schema_name
    deadline = time.monotonic() + rt.settings.read_wait_max_seconds
    while True:
        for table in tables:
            seen = await rt.pool.fetchval(
                f'SELECT version FROM "{schema}".{table} WHERE id = $1', record_id
            )
            if seen is not None:
                # Found where it lives: wait there for the rest of the time.
                left = max(deadline - time.monotonic(), 0.0)
                await wait_for(rt.pool, schema, table, record_id, min_version, left)
                return
        if time.monotonic() >= deadline:
            raise ViewNotCaughtUp(f"no view shows {record_id} yet, nor its items")
        await asyncio.sleep(0.1)


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def item_of(row: Any, now: datetime) -> InboxItem:
    due = row["due_at"]
    return InboxItem(
        kind=row["kind"],
        record_id=row["record_id"],
        item=row["item"],
        title=row["title"],
        waits_on=Addressee(user=row["user_id"], role=row["role"], department=row["department"]),
        due_at=due,
        overdue=due is not None and due <= now,
        since=row["since"],
        link=row["link"],
        version=row["version"],
    )
