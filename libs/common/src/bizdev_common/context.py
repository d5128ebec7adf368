"""What a command carries beyond its arguments: the correlation id of the conversation it
belongs to and the id of what caused it, so that a reaction in another service can be traced
back to the request that started it. Kept in contextvars so that it follows the request into
FastAPI's threadpool and into the event store without being passed by hand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry import propagate


@dataclass(frozen=True)
class Causation:
    correlation_id: str
    causation_id: str | None = None


_current: ContextVar[Causation | None] = ContextVar("bizdev_causation", default=None)


def current() -> Causation:
    c = _current.get()
    return c if c is not None else Causation(correlation_id=str(uuid.uuid4()))


def correlation_id() -> str | None:
    c = _current.get()
    return c.correlation_id if c else None


@contextmanager
def caused_by(correlation_id: str | None, causation_id: str | None = None) -> Iterator[Causation]:
    c = Causation(correlation_id or str(uuid.uuid4()), causation_id)
    token = _current.set(c)
    try:
        yield c
    finally:
        _current.reset(token)


def event_meta() -> dict[str, str]:
    """Saved with every stored event; the relay restores the trace from it when publishing."""
    c = current()
    meta: dict[str, str] = {"correlation_id": c.correlation_id}
    if c.causation_id:
        meta["causation_id"] = c.causation_id
    propagate.inject(meta)
    return meta


@dataclass
class IdempotentCommand:
    """A request sent with an Idempotency-Key. The first save it makes records the key in
    the same transaction as its events (eventstore.py); `recorded` says that happened."""

    user_id: str
    key: str
    fingerprint: str
    request: str
    status: int
    recorded: bool = False


_idempotent: ContextVar[IdempotentCommand | None] = ContextVar("bizdev_idempotent", default=None)


@contextmanager
def idempotent(command: IdempotentCommand) -> Iterator[IdempotentCommand]:
    token = _idempotent.set(command)
    try:
        yield command
    finally:
        _idempotent.reset(token)


def idempotent_command() -> IdempotentCommand | None:
    """The current request's key, if it was sent with one."""
    return _idempotent.get()
