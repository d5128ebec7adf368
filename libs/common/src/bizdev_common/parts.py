"""What makes one service (`ServiceParts`, which its main.py fills in), the live handles its
routes are given (`Runtime`), and what every one of its processes sets up first, whatever its
role: the API (service.py), the worker (worker.py) or a one-off command."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import asyncpg
from fastapi import APIRouter

from bizdev_common import database, logthrottle
from bizdev_common.contract import EventContract
from bizdev_common.deadletters import DeadLetters
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.observability import setup_logging, setup_tracing
from bizdev_common.projector import Projection
from bizdev_common.reactions import Reaction
from bizdev_common.scheduler import Clock, DeadlineCheck, SystemClock
from bizdev_common.settings import Role, ServiceSettings

AppT = TypeVar("AppT", bound=ServiceApplication)
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@dataclass
class ServiceParts(Generic[AppT, SettingsT]):
    """What makes one service; `main.py` fills it in."""

    settings: SettingsT
    title: str
    description: str
    application: Callable[[SettingsT], AppT]
    contract: EventContract
    routers: Sequence[APIRouter]
    projections: Sequence[Callable[[str], Projection]] = ()
    reactions: Sequence[Callable[[], Reaction]] = ()
    deadline_checks: Sequence[DeadlineCheck[AppT]] = ()
    version: str = "0.1.0"

    def in_role(self, role: Role) -> ServiceParts[AppT, SettingsT]:
        """The parts with settings for a process of `role`, which sizes its pools."""
        return dataclasses.replace(self, settings=self.settings.in_role(role))


@dataclass
class Runtime(Generic[AppT, SettingsT]):
    """Live handles of an API process, on `app.state.runtime` for routes."""

    settings: SettingsT
    application: AppT
    pool: asyncpg.Pool
    dead_letters: DeadLetters
    clock: Clock = field(default_factory=SystemClock)


def setup_process(s: ServiceSettings) -> bool:
    """Logs, traces and database spans, the same in every role; the role's name on its
    connections (libpq's variable, for the psycopg pools; asyncpg's are given it) and their
    pace of reconnecting. Whether spans are recorded (something exports them)."""
    os.environ.setdefault("PGAPPNAME", s.application_name)
    database.reconnect_steadily()
    setup_logging(s.service, s.role, s.log_level)
    logthrottle.install()
    return setup_tracing(s.service, s.role) is not None
