"""RFC 9457 problem details for every 4xx and 5xx, so that a frontend handles every error the
same way: `type`, `title`, `status`, `detail`, `instance`, and `errors` (field, message) on
422. A command refused by the domain never half-applies: nothing is saved unless it succeeds.

The database unreachable is not a bug of ours but an outage the caller can wait out: 503 with
Retry-After, never a 500 (see `database_unavailable` for what counts).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import asyncpg
import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from bizdev_common import context
from bizdev_common.auth import Unauthenticated
from bizdev_common.domain import (
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    RuleViolation,
)
from bizdev_common.eventstore import VersionConflict
from bizdev_common.operations import allowed_methods

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://bizdev.example/problems/"


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field at fault, e.g. body.title")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    correlation_id: str | None = None
    errors: list[FieldError] | None = None


class ViewNotCaughtUp(Exception):
    """A query asked for a version its read model has not reached within the wait (503)."""


RETRY_AFTER_SECONDS = 5
"""How long a caller waits before retrying a request the database could not serve: about what
a PostgreSQL restart or failover takes."""

_PG_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
"""admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down, in
recovery), too_many_connections; and class 08, connection exceptions."""
_CONNECTION_LOST = (
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the database could not be reached or the
    connection died, rather than that a statement failed: no transaction of the request was
    committed by the statement that raised it, and the same request may succeed later.

    Narrow on purpose: a constraint violation, a lock or statement timeout, a serialization
    failure or a programming error stays a logged 500."""
    seen: BaseException | None = exc
    for _ in range(5):  # the library's wrapper, psycopg's error, the socket's: never deeper
        if seen is None:
            return False
        if _unavailable(seen):
            return True
        seen = seen.__cause__
    return False


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, psycopg.OperationalError):
        # libpq's own failures (refused, reset, "server closed the connection") carry no
        # SQLSTATE, nor do the pool's (no connection within its timeout, too many waiting).
        state = exc.sqlstate
        return state is None or state.startswith("08") or state in _PG_UNAVAILABLE_SQLSTATES
    if isinstance(exc, psycopg.InterfaceError | asyncpg.InterfaceError):
        # "the connection is closed/lost", "pool is closing"; its other uses are our bugs.
        text = str(exc)
        return "connection is" in text or "pool is closing" in text
    if isinstance(exc, asyncpg.InternalClientError):
        # What a query meets on a pooled connection whose server died under it before asyncpg
        # saw the socket close (seen with the postmaster killed under load).
        return "cannot switch to state" in str(exc)
    if isinstance(exc, _CONNECTION_LOST):
        return True
    if isinstance(exc, OSError):
        # asyncio's connect, when each of a host's addresses failed differently, raises a
        # plain OSError naming them all.
        return exc.errno is None and "Connect call failed" in str(exc)
    return False


_DOMAIN: dict[type[DomainError], tuple[int, str, str]] = {
    Forbidden: (403, "forbidden", "Not allowed"),
    NotFound: (404, "not-found", "Not found"),
    InvalidTransition: (409, "invalid-transition", "Not allowed in the record's current state"),
    VersionConflict: (409, "stale-version", "Stale version"),
    RuleViolation: (422, "validation", "Invalid input"),
}


class ProblemResponse(JSONResponse):
    """JSON in ASCII: a refused input may be echoed in a message (an unknown field's name),
    and a lone surrogate in it must be escaped rather than fail to encode as UTF-8."""

    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def problem(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=TYPE_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        correlation_id=context.correlation_id(),
        errors=errors,
    )
    return ProblemResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status, slug, title = next(
            (v for k, v in _DOMAIN.items() if isinstance(exc, k)), (400, "bad-request", "Refused")
        )
        errors = None
        if isinstance(exc, RuleViolation):
            # A rule on a query parameter names it whole (`query.cursor`); others are the body's.
            where = exc.field if exc.field.startswith("query.") else f"body.{exc.field}"
            errors = [FieldError(field=where, message=exc.detail)]
        return problem(request, status, slug, title, exc.detail, errors)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError(field=_loc(e["loc"]), message=e["msg"]) for e in exc.errors()]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return problem(request, 422, "validation", "Invalid input", detail, errors)

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(request: Request, exc: Unauthenticated) -> JSONResponse:
        return problem(
            request,
            401,
            "unauthenticated",
            "Unauthenticated",
            str(exc),
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(ViewNotCaughtUp)
    async def _stale_view(request: Request, exc: ViewNotCaughtUp) -> JSONResponse:
        return problem(
            request,
            503,
            "view-not-caught-up",
            "Read model not caught up yet",
            str(exc),
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {
            400: "bad-request",
            404: "not-found",
            405: "method-not-allowed",
            413: "content-too-large",
        }.get(exc.status_code, "http-error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the one route it matched; the path may have more.
            headers["Allow"] = ", ".join(allowed_methods(request.scope)) or headers["Allow"]
        return problem(request, exc.status_code, slug, str(exc.detail), None, None, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return failure(request, exc)


def failure(request: Request, exc: Exception) -> JSONResponse:
    """What a request that raised `exc` answers: 503 when the database is unavailable (one
    line logged: its cause is the outage, not this request), else a 500 with the traceback."""
    if database_unavailable(exc):
        log.warning(
            "database unavailable on %s %s: %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        )
        return problem(
            request,
            503,
            "database-unavailable",
            "Database unavailable",
            "nothing was changed by this request; retry it after Retry-After seconds "
            "(with the same Idempotency-Key for a command)",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(
        request,
        500,
        "internal",
        "Internal error",
        "the error was logged with this correlation id",
    )
