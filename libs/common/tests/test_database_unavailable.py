"""The database away answers 503 with Retry-After; every other failure stays a logged 500.

The connection failures are the real ones the drivers raise against a port nobody listens on,
where that is cheap; the server's shutdown errors are built as the drivers build them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator

import asyncpg
import psycopg
import pytest
from bizdev_common import database, errors, middleware
from bizdev_common.settings import ServiceSettings
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresDatastore
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from psycopg_pool import ConnectionPool
from psycopg_pool.base import AttemptWithBackoff


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """Bound but not listening: a connection to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def _raised(call: Callable[[], object]) -> Exception:
    try:
        call()
    except Exception as e:  # noqa: BLE001 - what the driver raises is the point
        return e
    raise AssertionError("it did not fail")


def refused_by_psycopg(port: int) -> Exception:
    return _raised(lambda: psycopg.connect(f"postgresql://x@127.0.0.1:{port}/x", connect_timeout=2))


def pool_timeout(port: int) -> Exception:
    """What crm's key store raises with the database away: no connection within the wait."""
    with ConnectionPool(
        f"postgresql://x@127.0.0.1:{port}/x", min_size=1, timeout=0.3, open=False
    ) as pool:
        return _raised(lambda: pool.getconn())


def event_store_unreachable(port: int) -> Exception:
    """The eventsourcing library's own wrapper around the pool's failure, as its recorders
    raise it (after their retries) to a command."""
    datastore = PostgresDatastore("x", "127.0.0.1", port, "x", "", connect_timeout=0.3)
    try:

        def use() -> None:
            with datastore.get_connection():
                pass

        return _raised(use)
    finally:
        datastore.close()


def refused_by_asyncpg(port: int) -> Exception:
    async def connect() -> None:
        await asyncpg.connect(f"postgresql://x@127.0.0.1:{port}/x", timeout=2)

    return _raised(lambda: asyncio.run(connect()))


UNAVAILABLE: dict[str, Callable[[int], Exception]] = {
    "psycopg refused": refused_by_psycopg,
    "psycopg pool timeout": pool_timeout,
    "eventsourcing wrapper": event_store_unreachable,
    "asyncpg refused": refused_by_asyncpg,
    "psycopg admin shutdown": lambda _: psycopg.errors.AdminShutdown("terminating connection"),
    "psycopg starting up": lambda _: psycopg.errors.CannotConnectNow("starting up"),
    "psycopg too many": lambda _: psycopg.errors.TooManyConnections("too many clients"),
    "psycopg closed": lambda _: psycopg.InterfaceError("the connection is closed"),
    "asyncpg mid-query": lambda _: asyncpg.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"
    ),
    "asyncpg admin shutdown": lambda _: asyncpg.AdminShutdownError("terminating connection"),
    "asyncpg starting up": lambda _: asyncpg.CannotConnectNowError("starting up"),
    "asyncpg too many": lambda _: asyncpg.TooManyConnectionsError("too many clients"),
    "asyncpg pool closing": lambda _: asyncpg.InterfaceError("pool is closing"),
    "asyncpg connection died under a query": lambda _: asyncpg.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    ),
    "reset": lambda _: ConnectionResetError(104, "Connection reset by peer"),
    # asyncio's connect to a name with two addresses, each refused in its own words.
    "asyncpg refused twice": lambda _: OSError(
        "Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432, 0, 0), "
        "[Errno 111] Connect call failed ('127.0.0.1', 5432)"
    ),
}


def _wrapped_unique_violation() -> Exception:
    try:
        raise IntegrityError("duplicate") from psycopg.errors.UniqueViolation("duplicate key")
    except IntegrityError as e:
        return e


NOT_UNAVAILABLE: dict[str, Callable[[], Exception]] = {
    "constraint (library wrapper)": _wrapped_unique_violation,
    "constraint (asyncpg)": lambda: asyncpg.UniqueViolationError("duplicate key"),
    # OperationalErrors to psycopg, but the server answered: a statement's fault or load.
    "statement timeout": lambda: psycopg.errors.QueryCanceled("canceling statement"),
    "lock timeout": lambda: psycopg.errors.LockNotAvailable("lock not available"),
    "serialization": lambda: psycopg.errors.SerializationFailure("could not serialize"),
    "asyncpg statement timeout": lambda: asyncpg.QueryCanceledError("canceling statement"),
    "asyncpg misuse": lambda: asyncpg.InterfaceError(
        "cannot perform operation: another operation is in progress"
    ),
    "programming": lambda: psycopg.errors.UndefinedTable("relation does not exist"),
    "a file": lambda: FileNotFoundError(2, "No such file or directory"),
    "a bug": lambda: RuntimeError("a bug"),
}


def client(exc: Exception) -> TestClient:
    app = FastAPI()
    errors.install(app)
    middleware.install(app, ServiceSettings(service="edge"), CollectorRegistry())

    @app.post("/command")
    def command() -> None:  # in the threadpool, as the event store's commands are
        raise exc

    @app.get("/query")
    async def query() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("name", sorted(UNAVAILABLE))
def test_the_database_unavailable_is_a_503_with_retry_after(name: str, closed_port: int) -> None:
    exc = UNAVAILABLE[name](closed_port)
    assert errors.database_unavailable(exc), repr(exc)
    http = client(exc)
    for response in (http.post("/command"), http.get("/query")):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == errors.PROBLEM_JSON
        assert response.headers["retry-after"] == str(errors.RETRY_AFTER_SECONDS)
        body = response.json()
        assert body["type"] == errors.TYPE_BASE + "database-unavailable"
        assert body["status"] == 503


@pytest.mark.parametrize("name", sorted(NOT_UNAVAILABLE))
def test_any_other_failure_stays_a_logged_500(name: str, caplog: pytest.LogCaptureFixture) -> None:
    exc = NOT_UNAVAILABLE[name]()
    assert not errors.database_unavailable(exc), repr(exc)
    http = client(exc)
    for response in (http.post("/command"), http.get("/query")):
        assert response.status_code == 500, response.text
        assert "retry-after" not in response.headers
        assert response.json()["type"] == errors.TYPE_BASE + "internal"
    assert any(r.exc_info and r.exc_info[1] is exc for r in caplog.records)


def test_psycopg_pools_try_again_at_a_steady_pace_however_long_the_outage() -> None:
    """Doubling delays would leave a pool down for up to half the outage after the database
    came back."""
    database.reconnect_steadily()
    attempt = AttemptWithBackoff(timeout=300)
    delays = []
    for second in range(60):
        attempt.update_delay(float(second))
        delays.append(attempt.delay)
    assert max(delays) <= database.RECONNECT_SECONDS * 1.1
