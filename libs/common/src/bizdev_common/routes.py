"""The read routes every record type answers alike, built once: its detail from its view
(`GET /<records>/{id}`, `min_version` to read your own write, its version as ETag), its history
from its events (`.../history`: who, when and why) and its state as of a version or a moment
(`.../as-of?version=N` or `?at=...`, rebuilt from its events).

Each operation keeps the name a hand-written route would have had (`get_<record>`,
`<record>_history`, `<record>_as_of`), and so its OpenAPI operation id and summary."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from uuid import UUID

import asyncpg
from eventsourcing.domain import Aggregate
from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from bizdev_common.api import HistoryEvent, MinVersion, RuntimeDep, history_of, one_of
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Moment, Version
from bizdev_common.domain import Actor
from bizdev_common.service import Runtime

M = TypeVar("M", bound=BaseModel)
A = TypeVar("A", bound=Aggregate)

RowView = Callable[[asyncpg.Record], M]
"""A record's view model from its row."""
Read = Callable[[Runtime, Actor, asyncpg.Record], Awaitable[M]]
"""A record's view model from its row and what else it shows (its lines, its related records),
for whoever reads it (what they may see of it)."""
HistoryReader = Callable[[Runtime, type[Aggregate], UUID], Awaitable[list[HistoryEvent]]]
Guard = Callable[[Runtime, Actor, UUID], Awaitable[None]]
"""Refuses (Forbidden, NotFound) whoever may not read the record at all, before any read."""

EVERY_EVENT = "Every event: who, when and why"
"""The usual summary of a history."""

_PATH_ID = re.compile(r"^/.*\{(\w+)\}$")


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


@dataclass(frozen=True)
class RecordRoutes:
    """The read routes of one record type on `router`: `path` names its id
    (`/applications/{application_id}`), `name` the record (`application`)."""

    router: APIRouter
    path: str
    name: str
    tags: Sequence[str]
    guard: Guard | None = None

    @property
    def _id(self) -> str:
        found = _PATH_ID.match(self.path)
        if found is None:
            raise ValueError(
                f"{self.path!r} must end with the record's id, e.g. /leads/{{lead_id}}"
            )
        return found.group(1)

    def _add(
        self,
        suffix: str,
        endpoint: Callable[..., Any],
        parameters: list[inspect.Parameter],
        *,
        name: str,
        model: Any,
        summary: str | None,
    ) -> None:
        annotated = [
            _param(self._id, UUID),
            _param("actor", CurrentActor),
            _param("rt", RuntimeDep),
            *parameters,
        ]
        endpoint.__signature__ = inspect.Signature(annotated)  # type: ignore[attr-defined]
        self.router.add_api_route(
            self.path + suffix,
            endpoint,
            methods=["GET"],
            response_model=model,
            tags=list(self.tags),
            summary=summary,
            name=name,
        )

    async def _guard(self, rt: Runtime, actor: Actor, record_id: UUID) -> None:
        if self.guard is not None:
            await self.guard(rt, actor, record_id)

    def detail(
        self,
        table: str,
        model: type[M],
        view: RowView[M] | None = None,
        *,
        read: Read[M] | None = None,
        summary: str | None = None,
    ) -> None:
        """`GET <path>`: the record's row in `table`, as `view` or `read` makes it `model`."""
        if (view is None) == (read is None):
            raise TypeError("give the record's view or its read, not both")
        record_id = self._id

        async def endpoint(**params: Any) -> M:
            rt: Runtime = params["rt"]
            await self._guard(rt, params["actor"], params[record_id])
            row = await one_of(
                rt, table, params[record_id], params["min_version"], params["response"]
            )
            if read is not None:
                return await read(rt, params["actor"], row)
            assert view is not None
            return view(row)

        self._add(
            "",
            endpoint,
            [_param("response", Response), _param("min_version", MinVersion, None)],
            name=f"get_{self.name}",
            model=model,
            summary=summary,
        )

    def history(
        self,
        aggregate: type[Aggregate],
        *,
        summary: str | None = None,
        events: HistoryReader = history_of,
    ) -> None:
        """`GET <path>/history`: every event of the record, if it is an `aggregate`; `events`
        reads them (a service may show some values otherwise, e.g. sealed ones)."""
        record_id = self._id

        async def endpoint(**params: Any) -> list[HistoryEvent]:
            await self._guard(params["rt"], params["actor"], params[record_id])
            return await events(params["rt"], aggregate, params[record_id])

        self._add(
            "/history",
            endpoint,
            [],
            name=f"{self.name}_history",
            model=list[HistoryEvent],
            summary=summary,
        )

    def as_of(
        self,
        aggregate: type[A],
        model: type[M],
        view: Callable[[A], M],
        *,
        summary: str | None = None,
    ) -> None:
        """`GET <path>/as-of?version=N|at=...`: the record rebuilt from its events up to a
        version or a moment (given both, whichever comes first), as `view` makes it `model`."""
        record_id = self._id

        async def endpoint(**params: Any) -> M:
            rt: Runtime = params["rt"]
            await self._guard(rt, params["actor"], params[record_id])
            # Rebuilding from the event store blocks: in the threadpool.
            record = await run_in_threadpool(
                rt.application.as_of,
                aggregate,
                params[record_id],
                version=params["version"],
                at=params["at"],
            )
            return view(record)

        self._add(
            "/as-of",
            endpoint,
            [
                _param("version", Annotated[Version | None, Query()], None),
                _param("at", Annotated[Moment | None, Query()], None),
            ],
            name=f"{self.name}_as_of",
            model=model,
            summary=summary,
        )
