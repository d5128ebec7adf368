"""Safe retries: every command (POST, PUT, PATCH, DELETE) accepts an `Idempotency-Key`.

A client whose response was lost (its connection dropped, the service was killed) cannot
tell whether the command happened. Sent again with the same key and the same body, by the
same user, it gets the first answer again (status and body) and nothing changes twice; the
same key with another request is refused (422). Keys are per user and kept at least
`idempotency_key_hours` (24 h by default).

The key is recorded in the same transaction as the command's events (eventstore.py), so it
exists exactly when the command happened: a crash leaves either both or neither. A twin
sent while the first is still running waits on the key inside its own transaction and is
rolled back when the first commits; it is then answered like a later retry.

The answer is stored in a second step, once the command returned. Should the process die
between the commit and that step, a retry gets the status and `{"id", "version"}` of the
record the command saved (what every command answers), without the extra ids a few commands
add (e.g. the project an approval opened): read them from the record.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bizdev_common import context, errors
from bizdev_common.eventstore import IdempotencyKeyTaken
from bizdev_common.middleware import large_body
from bizdev_common.operations import operation_of
from bizdev_common.tasks import pause

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_PATTERN = r"^[A-Za-z0-9._~:-]{1,128}$"
_KEY = re.compile(KEY_PATTERN)
_KEY_HEADER = HEADER.lower().encode()
_FIELD = f"header.{HEADER}"
# A twin still running has recorded its key but not yet its answer: ask the client to come
# back rather than answer without the answer's extra fields.
_IN_FLIGHT_SECONDS = 10

PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key with the same body from the same user answers the "
        "first result again without a second change; with another body it is refused (422). "
        "Kept 24 hours. Use a new random value (e.g. a UUID) per intended command."
    ),
    "schema": {"type": "string", "pattern": KEY_PATTERN, "maxLength": 128},
}


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def valid_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


async def _first(pool: asyncpg.Pool, schema: str, user_id: str, key: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        f"SELECT fingerprint, aggregate_id, version, status, response, created_at, now() AS now "
        f'FROM "{schema}".idempotency_keys WHERE user_id = $1 AND key = $2',
        user_id,
        key,
    )
    return row


def _answer(request: Request, row: asyncpg.Record, fingerprint: str) -> Response:
    """What a request whose key was recorded before gets."""
    if row["fingerprint"] != fingerprint:
        return errors.problem(
            request,
            422,
            "idempotency-key-reused",
            "Idempotency-Key already used for another request",
            f"this {HEADER} was used with another method, path or body; use a new key",
            [errors.FieldError(field=_FIELD, message="already used for another request")],
        )
    body = row["response"]
    if body is None:
        if (row["now"] - row["created_at"]).total_seconds() < _IN_FLIGHT_SECONDS:
            return errors.problem(
                request,
                409,
                "idempotency-key-in-flight",
                "The first request with this Idempotency-Key is still finishing",
                "retry in a moment to get its answer",
                headers={"Retry-After": "1"},
            )
        body = json.dumps({"id": str(row["aggregate_id"]), "version": row["version"]})
    headers = {"ETag": f'"{row["version"]}"', "Idempotent-Replayed": "true"}
    return Response(body, status_code=row["status"], media_type="application/json", headers=headers)


class IdempotencyMiddleware:
    """Answers a retried command from the record of the first one, or marks the request so
    that its save records the key (context.idempotent), then stores the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in COMMAND_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(_KEY_HEADER)
        # Then routing (only with a key: looking the route up costs a match per operation): a
        # request no command route takes is the router's to refuse (404, 405), whatever its
        # key.
        if raw_key is None or operation_of(scope) is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = raw_key.decode("latin-1")
        if not valid_key(key):
            rule = "1 to 128 letters, digits or . _ ~ : -, e.g. a UUID"
            await errors.problem(
                request,
                422,
                "validation",
                "Invalid input",
                f"{_FIELD}: {rule}",
                [errors.FieldError(field=_FIELD, message=rule)],
            )(scope, receive, send)
            return
        app: FastAPI = scope["app"]
        user_id = _user_of(app, headers.get(b"authorization"))
        if user_id is None:
            await self.app(scope, receive, send)  # the route answers 401
            return
        runtime = app.state.runtime
        pool: asyncpg.Pool = runtime.pool
        schema: str = runtime.settings.schema_name
        hashed = _Hashed(scope, receive) if large_body(scope) else None
        if hashed is not None:
            # An upload is fingerprinted as it streams past, never held whole in memory.
            receive = hashed.receive
            first = await _first(pool, schema, user_id, key)
            if first is not None:
                await _answer(request, first, await hashed.drained())(scope, receive, send)
                return
            fp = ""  # known once the route has read the body, before it saves
        else:
            body, receive = await _buffered(receive)
            fp = fingerprint(scope["method"], scope["path"], scope["query_string"], body)
            first = await _first(pool, schema, user_id, key)
            if first is not None:
                await _answer(request, first, fp)(scope, receive, send)
                return
        command = context.IdempotentCommand(
            user_id, key, fp, f"{scope['method']} {scope['path']}", _declared_status(scope)
        )
        if hashed is not None:
            hashed.command = command
        sent: list[Message] = []

        async def hold(message: Message) -> None:
            sent.append(message)

        with context.idempotent(command):
            await self.app(scope, receive, hold)
        start = next((m for m in sent if m["type"] == "http.response.start"), None)
        if command.recorded and start is not None and 200 <= start["status"] < 300:
            answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
            await _keep_answer(pool, schema, user_id, key, start["status"], answer)
        for held in sent:
            await send(held)


def _user_of(app: FastAPI, authorization: bytes | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return str(app.state.verifier.verify(token.strip()).user_id)
    except Exception:  # noqa: BLE001 - an unusable token: the route refuses it (401)
        return None


class _Hashed:
    """The body of an upload (a route marked LARGE_BODY), fingerprinted as it is read: the
    fingerprint covers the body's SHA-256 in place of the body, and is set on the command when
    the last of it has passed, which an upload route does before it saves."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self._receive = receive
        self.digest = hashlib.sha256()
        self.fingerprint: str | None = None
        self.command: context.IdempotentCommand | None = None

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request" and self.fingerprint is None:
            self.digest.update(message.get("body", b""))
            if not message.get("more_body", False):
                s = self.scope
                self.fingerprint = fingerprint(
                    s["method"], s["path"], s["query_string"], self.digest.digest()
                )
                if self.command is not None:
                    self.command.fingerprint = self.fingerprint
        return message

    async def drained(self) -> str:
        """Reads the rest of the body (a retry compared with the first request)."""
        while self.fingerprint is None:
            if (await self.receive())["type"] != "http.request":
                return ""
        return self.fingerprint


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Reads the request body, and a `receive` that hands it to the route again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, again


def _declared_status(scope: Scope) -> int:
    """The success status the route documents (201 for a create)."""
    operation = operation_of(scope) or {}
    documented = sorted(int(s) for s in operation.get("responses", {}) if s.isdigit())
    return next((s for s in documented if 200 <= s < 300), 200)


async def _keep_answer(
    pool: asyncpg.Pool, schema: str, user_id: str, key: str, status: int, body: bytes
) -> None:
    try:
        stored: str | None = json.dumps(json.loads(body))
    except ValueError:
        stored = None
    try:
        await pool.execute(
            f'UPDATE "{schema}".idempotency_keys SET status = $3, response = $4::jsonb '
            "WHERE user_id = $1 AND key = $2",
            user_id,
            key,
            status,
            stored,
        )
    except Exception as e:  # noqa: BLE001 - the command happened; a retry then gets id and version
        log.warning("answer to Idempotency-Key %s not kept: %r", key, e)


def install(app: FastAPI) -> None:
    """The middleware, the answer to a concurrent twin, and the header in the OpenAPI."""

    @app.exception_handler(IdempotencyKeyTaken)
    async def _twin(request: Request, exc: IdempotencyKeyTaken) -> Response:
        command = context.idempotent_command()
        runtime = request.app.state.runtime
        first = None
        if command is not None:
            # The first one has committed and is about to keep its answer: wait for it briefly.
            for _ in range(40):
                first = await _first(
                    runtime.pool, runtime.settings.schema_name, command.user_id, command.key
                )
                if first is None or first["response"] is not None:
                    break
                await asyncio.sleep(0.05)
        if command is None or first is None:
            return errors.problem(
                request, 409, "idempotency-key-in-flight", "Retry in a moment", str(exc)
            )
        return _answer(request, first, command.fingerprint)

    app.add_middleware(IdempotencyMiddleware)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method.upper() in COMMAND_METHODS:
                    operation.setdefault("parameters", []).append(PARAMETER)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


async def forget_old_keys(
    pool: asyncpg.Pool, schema: str, hours: float, stopping: asyncio.Event
) -> None:
    """Deletes keys older than `hours`, hourly; any replica may, deleting is idempotent."""
    while not stopping.is_set():
        try:
            await pool.execute(
                f'DELETE FROM "{schema}".idempotency_keys '
                "WHERE created_at < now() - make_interval(secs => $1)",
                hours * 3600,
            )
        except Exception as e:  # noqa: BLE001 - try again at the next round
            log.warning("old Idempotency-Keys not deleted: %r", e)
        await pause(stopping, 3600)
