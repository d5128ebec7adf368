"""What the API's modules share: the application, decimal inputs, and need to know.

A person's evaluation (and what rests on it: their attainment, incentives and sanctions) is
read by that person, their supervisors up the chain, the head of their department, hr,
management and the auditor, and by no one else; lists show each caller only those."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import asyncpg
from bizdev_common.boundary import PageParams
from bizdev_common.domain import Actor, Forbidden, Role
from bizdev_common.service import Runtime
from pydantic import Field

from bizdev_performance.application import PerformanceApplication

DECIMAL = r"^[0-9]{1,15}(\.[0-9]{1,4})?$"
DecimalIn = Annotated[
    str,
    Field(
        pattern=DECIMAL,
        description='A non-negative decimal as a string, e.g. "1250000.00" or "4.5"',
        examples=["100"],
    ),
]
"""A figure a client sends: a string, like money's amounts, so no float rounding reaches it."""
SCORE = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"
ScoreIn = Annotated[
    str, Field(pattern=SCORE, description='A score from 0 to 150, e.g. "60"', examples=["60"])
]

EVERYONE_READS = frozenset({Role.HR, Role.MANAGEMENT, Role.AUDITOR})


def app_of(rt: Runtime[PerformanceApplication, Any]) -> PerformanceApplication:
    return rt.application


def schema(rt: Runtime[Any, Any]) -> str:
    return f'"{rt.settings.schema_name}"'


def reads_everyone(actor: Actor) -> bool:
    return bool(actor.roles & EVERYONE_READS)


async def headed(rt: Runtime[Any, Any], actor: Actor) -> list[str]:
    """The departments the actor heads: their own with the department_head role, and those
    the organisation names them head of."""
    rows = await rt.pool.fetch(
        f"SELECT department FROM {schema(rt)}.departments WHERE head = $1", actor.user_id
    )
    mine = [r["department"] for r in rows]
    if actor.has(Role.DEPARTMENT_HEAD):
        mine.append(actor.department)
    return mine


def _below(s: str, me: str) -> str:
    """Everyone under the user `me` (a parameter), down every supervisor chain."""
    return (
        f"(WITH RECURSIVE below(u) AS (SELECT user_id FROM {s}.people WHERE supervisor = {me} "
        f"UNION SELECT p.user_id FROM {s}.people p JOIN below b ON p.supervisor = b.u) "
        "SELECT u FROM below)"
    )


def readable_by(
    s: str, user: str, heads: list[str], person: str, department: str, first: int
) -> tuple[str, list[Any]]:
    """The condition (and its arguments, numbered from `first`) on rows of a person's
    performance (`person`, `department`: their columns) that `user`, head of `heads`, may
    read: their own, their department's, and those of everyone under them."""
    me, headed_ = f"${first}", f"${first + 1}"
    condition = (
        f"({person} = {me} OR {department} = ANY({headed_}::text[]) OR {person} IN {_below(s, me)})"
    )
    return condition, [user, heads]


async def visible(
    rt: Runtime[Any, Any], actor: Actor, person: str, department: str, first: int
) -> tuple[str, list[Any]]:
    """`readable_by` for the actor; everything for hr, management and the auditor."""
    if reads_everyone(actor):
        return "TRUE", []
    return readable_by(
        schema(rt), actor.user_id, await headed(rt, actor), person, department, first
    )


async def require_visible(
    rt: Runtime[Any, Any], actor: Actor, person: str, departments: Sequence[str | None]
) -> None:
    """403 unless the actor may read `person`'s performance (of any of `departments`)."""
    if reads_everyone(actor) or actor.user_id == person:
        return
    heads = await headed(rt, actor)
    if any(d is not None and d in heads for d in departments):
        return
    below = await rt.pool.fetchval(
        f"SELECT $2 IN {_below(schema(rt), '$1')}", actor.user_id, person
    )
    if not below:
        raise Forbidden(
            "a person's performance is read by them, their supervisors, their department's "
            "head, hr, management and the auditor"
        )


def order(page: PageParams, sorts: Sequence[str], default: str) -> str:
    sort = page.sort or default
    column = sort.lstrip("-")
    assert column in sorts  # the route's enum lets no other through
    direction = "DESC" if sort.startswith("-") else "ASC"
    return f"{column} {direction} NULLS LAST, id {direction}"


async def fetch_page(
    rt: Runtime[Any, Any],
    table: str,
    clauses: list[str],
    args: list[Any],
    page: PageParams,
    sorts: Sequence[str],
    default: str,
    text: Sequence[str] = (),
) -> tuple[list[asyncpg.Record], int]:
    """A page of rows matching every clause; `q` searches the `text` columns."""
    clauses = list(clauses)
    args = list(args)
    if page.q and text:
        args.append(f"%{page.q}%")
        searched = " || ' ' || ".join(f"coalesce({c}::text, '')" for c in text)
        clauses.append(f"({searched}) ILIKE ${len(args)}")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    total = await rt.pool.fetchval(f"SELECT count(*) FROM {schema(rt)}.{table} {where}", *args)
    rows = await rt.pool.fetch(
        f"SELECT * FROM {schema(rt)}.{table} {where} ORDER BY {order(page, sorts, default)} "
        f"LIMIT {int(page.limit)} OFFSET {int(page.offset)}",
        *args,
    )
    return rows, int(total)


def filters(where: dict[str, Any], first: int = 1) -> tuple[list[str], list[Any]]:
    clauses, args = [], []
    for column, value in where.items():
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${first + len(args) - 1}")
    return clauses, args
