"""HTTP pieces every service's API uses: the runtime dependency, optimistic concurrency with
If-Match, command results, pages of lists, read-your-writes and history entries. What a
client may send is typed in `boundary`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar, cast
from uuid import UUID

import asyncpg
from eventsourcing.domain import Aggregate
from fastapi import Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from bizdev_common.boundary import IF_MATCH, PageParams, Version
from bizdev_common.contract import MoneyModel
from bizdev_common.eventstore import CommandResult, ServiceApplication
from bizdev_common.readmodel import ListQuery, Page, fetch_one, wait_for
from bizdev_common.service import Runtime

M = TypeVar("M", bound=BaseModel)
App = TypeVar("App", bound=ServiceApplication)
Agg = TypeVar("Agg", bound=Aggregate)


def money_of(row: Mapping[str, Any], prefix: str) -> MoneyModel:
    """Money kept in two view columns, `<prefix>_amount` and `<prefix>_currency`."""
    return MoneyModel(amount=row[f"{prefix}_amount"], currency=row[f"{prefix}_currency"])


# The dependencies are async: FastAPI runs a plain `def` one in a worker thread, a hand-off
# per dependency per request that costs more than what they do.
async def runtime(request: Request) -> Runtime[Any, Any]:
    rt: Runtime[Any, Any] = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime[Any, Any], Depends(runtime)]
"""The API process's handles; a service types its own application and settings on them
with `Runtime[XApplication, XSettings]` where it uses them."""


async def application(request: Request) -> Any:
    """The API process's application; a service's routes take it as their own type,
    `Annotated[XApplication, Depends(application)]`."""
    return request.app.state.runtime.application


def schema_of(rt: Runtime[Any, Any]) -> str:
    """The service's schema, quoted, for the service's own SQL."""
    return f'"{rt.settings.schema_name}"'


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            pattern=IF_MATCH,
            description='The version you read, e.g. "3": a stale one is refused with 409',
        ),
    ] = None,
) -> int | None:
    return None if if_match is None else int(if_match.removeprefix("W/").strip('"'))


ExpectedVersion = Annotated[int | None, Depends(expected_version)]


class Accepted(BaseModel):
    """A command's result: send `version` back as If-Match, or as min_version to a query."""

    id: UUID
    version: int


def accepted(result: CommandResult, response: Response) -> Accepted:
    response.headers["ETag"] = f'"{result.version}"'
    return Accepted(id=result.id, version=result.version)


@dataclass(frozen=True)
class Command(Generic[App]):
    """What a command route works with: the application, the version the caller read (its
    If-Match, None without one) and the response whose ETag says the new version."""

    app: App
    version: int | None
    response: Response

    def act(self, cls: type[Agg], aggregate_id: UUID, decide: Callable[[Agg], object]) -> Accepted:
        """`app.act` on one record at the caller's version: load, decide, save."""
        return self.accepted(self.app.act(cls, aggregate_id, self.version, decide))

    def accepted(self, result: CommandResult) -> Accepted:
        return accepted(result, self.response)


async def change(request: Request, version: ExpectedVersion, response: Response) -> Command[Any]:
    """A command on a record the caller read: If-Match says at which version (409 if stale).
    A service's routes take it as `Change = Annotated[Command[XApplication], Depends(change)]`."""
    return Command(request.app.state.runtime.application, version, response)


async def create(request: Request, response: Response) -> Command[Any]:
    """A command with no version to check (a new record, or one added to another's):
    `Create = Annotated[Command[XApplication], Depends(create)]`."""
    return Command(request.app.state.runtime.application, None, response)


class ReadConsistency(BaseModel):
    """Read-your-writes for lists: wait until this record shows at this version."""

    wait_for: UUID | None = Field(default=None, description="Id returned by your command")
    min_version: Version | None = Field(default=None, description="Version it returned")


MinVersion = Annotated[Version | None, Query(description="Wait for this version")]
"""Read-your-writes for one record: wait until its view has reached this version."""


class HistoryEvent(BaseModel):
    version: int
    event: str
    at: datetime
    by: str | None
    data: dict[str, Any] = Field(description="The event's content: what was decided and why")


async def rows_of(
    rt: Runtime,
    query: ListQuery,
    page: PageParams,
    consistency: ReadConsistency,
    where: dict[str, Any],
    *,
    written: str | None = None,
) -> tuple[list[asyncpg.Record], int]:
    """The rows of a page of a list and their total; read-your-writes waits on the list's
    own table, or on `written` when the rows belong to another record (a project's
    milestones: wait for the project)."""
    schema = rt.settings.schema_name
    await wait_for(
        rt.pool,
        schema,
        written or query.table,
        consistency.wait_for,
        consistency.min_version,
        rt.settings.read_wait_max_seconds,
    )
    return await query.page(
        rt.pool,
        schema,
        where=where,
        q=page.q,
        sort=page.sort,
        limit=page.limit,
        offset=page.offset,
        cursor=page.cursor,
    )


async def page_of(
    rt: Runtime,
    query: ListQuery,
    page: PageParams,
    consistency: ReadConsistency,
    where: dict[str, Any],
    view: type[M] | Callable[[asyncpg.Record], M],
    *,
    written: str | None = None,
) -> Page[M]:
    """A page of a list, each row shown by `view`: a function of the row, or a model whose
    fields are the row's columns (see `rows_of` for `written`)."""
    rows, total = await rows_of(rt, query, page, consistency, where, written=written)
    if isinstance(view, type) and issubclass(view, BaseModel):
        items = [view.model_validate(dict(r)) for r in rows]
    else:
        # Not a model class, so the function of a row (mypy cannot narrow the union by it).
        show = cast(Callable[[asyncpg.Record], M], view)
        items = [show(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


async def one_of(
    rt: Runtime, table: str, record_id: UUID, min_version: int | None, response: Response
) -> asyncpg.Record:
    row = await fetch_one(
        rt.pool,
        rt.settings.schema_name,
        table,
        record_id,
        min_version=min_version,
        max_wait=rt.settings.read_wait_max_seconds,
    )
    response.headers["ETag"] = f'"{row["version"]}"'
    return row


async def history_of(rt: Runtime, cls: type[Aggregate], record_id: UUID) -> list[HistoryEvent]:
    """The record's events, if it is a `cls` (404 otherwise)."""
    entries = await run_in_threadpool(rt.application.history, cls, record_id)
    return [HistoryEvent.model_validate(e, from_attributes=True) for e in entries]
