"""Deadlines that must be acted on when they pass (a complaint unanswered in time, a
milestone overdue), on one restart-safe mechanism for every service.

- A service's projection records each deadline in the `deadlines` table, in the same
  transaction as its view, from the events that set, move or meet it.
- The scheduler, one active per service (leader.py), looks for deadlines past `now` and
  not yet fired, asks the owning aggregate to act (the aggregate decides whether it is still
  due, and acts at most once), then marks the deadline fired. A crash between acting and
  marking makes the next run ask again, and the aggregate refuses to act twice.
- It marks a deadline fired only if it is still due when it was selected: a projection that
  re-armed it meanwhile (a new due date) wins. A deadline whose aggregate fails is left for
  the next tick and does not hold back the others.
- `now` comes from a Clock: the system clock, or, when the service is configured with a
  clock file, the time written in that file, so that tests move time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, Generic, Protocol, TypeVar
from uuid import UUID

import asyncpg

from bizdev_common import context
from bizdev_common.domain import DomainError
from bizdev_common.eventstore import ServiceApplication, VersionConflict
from bizdev_common.leader import Leader, lead
from bizdev_common.settings import ServiceSettings
from bizdev_common.tasks import pause

log = logging.getLogger(__name__)

DEADLINES_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.deadlines (
    kind text NOT NULL,
    aggregate_id uuid NOT NULL,
    item text NOT NULL DEFAULT '',
    due_at timestamptz NOT NULL,
    fired_at timestamptz,
    PRIMARY KEY (kind, aggregate_id, item)
)
"""


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """The time written in a file (ISO 8601 with offset); the system clock while it is absent."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            return datetime.now(UTC)
        return datetime.fromisoformat(text)


def clock_for(settings: ServiceSettings) -> Clock:
    return FileClock(settings.clock_file) if settings.clock_file else SystemClock()


async def set_deadline(
    conn: asyncpg.Connection,
    schema: str,
    kind: str,
    aggregate_id: UUID,
    due_at: datetime,
    item: str = "",
) -> None:
    """(Re)arms a deadline; called by projections inside their transaction."""
    await conn.execute(
        f'INSERT INTO "{schema}".deadlines (kind, aggregate_id, item, due_at) '
        "VALUES ($1, $2, $3, $4) ON CONFLICT (kind, aggregate_id, item) "
        "DO UPDATE SET due_at = EXCLUDED.due_at, fired_at = NULL",
        kind,
        aggregate_id,
        item,
        due_at,
    )


async def clear_deadline(
    conn: asyncpg.Connection, schema: str, kind: str, aggregate_id: UUID, item: str = ""
) -> None:
    """The deadline was met or no longer applies."""
    await conn.execute(
        f'DELETE FROM "{schema}".deadlines WHERE kind = $1 AND aggregate_id = $2 AND item = $3',
        kind,
        aggregate_id,
        item,
    )


async def set_deadlines(
    conn: asyncpg.Connection,
    schema: str,
    kind: str,
    aggregate_id: UUID,
    due: Mapping[str, datetime],
) -> None:
    """(Re)arms one deadline per item of an aggregate, in one round trip."""
    await conn.executemany(
        f'INSERT INTO "{schema}".deadlines (kind, aggregate_id, item, due_at) '
        "VALUES ($1, $2, $3, $4) ON CONFLICT (kind, aggregate_id, item) "
        "DO UPDATE SET due_at = EXCLUDED.due_at, fired_at = NULL",
        [(kind, aggregate_id, item, due_at) for item, due_at in due.items()],
    )


async def clear_deadlines(
    conn: asyncpg.Connection, schema: str, kind: str, aggregate_id: UUID
) -> None:
    """Every deadline of this kind of an aggregate no longer applies (it was closed)."""
    await conn.execute(
        f'DELETE FROM "{schema}".deadlines WHERE kind = $1 AND aggregate_id = $2',
        kind,
        aggregate_id,
    )


AppT = TypeVar("AppT", bound=ServiceApplication)


class DeadlineCheck(Generic[AppT]):
    """One kind of deadline and what its aggregate, in the service's application, does when
    it passes."""

    kind: ClassVar[str]

    def fire(self, app: AppT, aggregate_id: UUID, item: str, now: datetime) -> None:
        """Runs in a worker thread; the aggregate refuses (DomainError) if nothing is due."""
        raise NotImplementedError


class Scheduler(Generic[AppT]):
    def __init__(
        self,
        app: AppT,
        settings: ServiceSettings,
        checks: Sequence[DeadlineCheck[AppT]],
        clock: Clock,
    ) -> None:
        self.app = app
        self.settings = settings
        self.checks = {c.kind: c for c in checks}
        self.clock = clock
        self.schema = settings.schema_name

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self._run_locked(stopping)
            except Exception as e:  # noqa: BLE001 - any failure: reconnect and look again
                log.warning("deadline scheduler interrupted: %s", e)
                await pause(stopping, self.settings.scheduler_interval_seconds)

    async def _run_locked(self, stopping: asyncio.Event) -> None:
        name = f"bizdev-scheduler:{self.schema}"
        async with lead(
            self.settings.database_url, name, self.settings.leader_lease_seconds, stopping
        ) as conn:
            if conn is None:
                return
            await conn.execute(DEADLINES_DDL.format(schema=f'"{self.schema}"'))
            while not conn.resigned.is_set():
                await self.tick(conn)
                await pause(conn.resigned, self.settings.scheduler_interval_seconds)

    async def tick(self, conn: Leader) -> int:
        """Fires every deadline past now; returns how many were marked fired."""
        now = self.clock.now()
        due = await conn.fetch(
            f'SELECT kind, aggregate_id, item, due_at FROM "{self.schema}".deadlines '
            "WHERE due_at <= $1 AND fired_at IS NULL AND kind = ANY($2::text[]) "
            "ORDER BY due_at LIMIT 500",
            now,
            list(self.checks),
        )
        fired = 0
        for row in due:
            check = self.checks[row["kind"]]
            with context.caused_by(None, f"deadline:{row['kind']}:{row['aggregate_id']}"):
                try:
                    await asyncio.to_thread(
                        check.fire, self.app, row["aggregate_id"], row["item"], now
                    )
                except VersionConflict:
                    # A command changed the record meanwhile: decide again at the next tick.
                    continue
                except DomainError as refused:
                    log.info(
                        "deadline %s of %s not acted on: %s",
                        row["kind"],
                        row["aggregate_id"],
                        refused.detail,
                    )
                except Exception as e:  # noqa: BLE001 - one bad deadline must not stop the rest
                    log.warning(
                        "deadline %s of %s failed, retried at the next tick: %r",
                        row["kind"],
                        row["aggregate_id"],
                        e,
                    )
                    continue
            marked = await conn.execute(
                f'UPDATE "{self.schema}".deadlines SET fired_at = $4 '
                "WHERE kind = $1 AND aggregate_id = $2 AND item = $3 AND due_at = $5 "
                "AND fired_at IS NULL",
                row["kind"],
                row["aggregate_id"],
                row["item"],
                now,
                row["due_at"],
            )
            fired += marked == "UPDATE 1"
        return fired
