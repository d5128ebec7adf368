"""What every HTTP request passes through before and after its route, in one pure ASGI
middleware (`Edge`): its correlation id; its count and latency in /metrics; the security
headers; CORS for browser frontends; the header and body size limits; and the boundary that
turns any unexpected exception into a 500 problem (a 503 when the database is unavailable)
that carries the correlation id and is counted like any other answer."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bizdev_common import context, errors
from bizdev_common.operations import operation_of
from bizdev_common.settings import ServiceSettings

CORRELATION_HEADER = "X-Correlation-Id"
SAFE_CORRELATION_ID = r"^[A-Za-z0-9._:-]{1,128}$"
"""What a caller's correlation id may be: it goes into logs, event metadata and Kafka headers,
so anything else (non-UTF-8 bytes, spaces, a megabyte) is replaced by a fresh one."""
_SAFE_ID = re.compile(SAFE_CORRELATION_ID.encode())
_CORRELATION_KEY = CORRELATION_HEADER.lower().encode()


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""For JSON answers, which a browser must never run or frame; the docs pages set their own
(docs.page)."""
_CSP = b"content-security-policy"


def _mount(scope: Scope, root_path: str) -> str:
    """The path of the mount that served the request (static files), which Starlette adds to
    the request's root_path; "unmatched" when nothing did."""
    return scope.get("root_path", "").removeprefix(root_path) or "unmatched"


class BodyTooLarge(HTTPException):
    """The body read so far is over the limit (413); raised while the route reads it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} bytes")


LARGE_BODY = "x-large-body"
"""Marks an upload route, whose body may be up to `max_upload_bytes` rather than
`max_body_bytes`: `openapi_extra={LARGE_BODY: True}` on the route (so the OpenAPI document
says it too). The route must stream its body, never hold all of it in memory."""


def large_body(scope: Scope) -> bool:
    """Whether the request goes to a route marked LARGE_BODY."""
    operation = operation_of(scope)
    return operation is not None and bool(operation.get(LARGE_BODY))


class _Answer:
    """How far the answer to a request has gone."""

    __slots__ = ("started", "status")

    def __init__(self) -> None:
        self.started = False
        self.status = 500  # what the server answers if the app fails before it answers


_ANSWER = "bizdev.answer"
"""The scope's key to the request's _Answer, for the error boundary behind CORS."""


class Edge:
    """Every HTTP request, in one layer, outermost first as each step sees it:

    - its correlation id: the caller's X-Correlation-Id when it is a safe token, else a new
      one; echoed back, logged, and saved with the events the request causes;
    - its count by method, route and status and its latency by method and route, the 500s
      too;
    - the security headers on every answer, refusals and 500s included: no content-type
      sniffing, no framing, no referrer, and a Content-Security-Policy unless the route set
      one;
    - CORS for browser frontends when origins are configured (preflights are answered there
      and never reach a route), before the limits and the boundary so that a browser may read
      every refusal too;
    - the limits: headers adding up to more than `max_header_bytes` (431), a body over
      `max_body_bytes`, or `max_upload_bytes` for a route marked LARGE_BODY (413): declared by
      Content-Length, refused before any of it is read; streamed without one, refused as soon
      as the bytes read pass the limit;
    - the boundary that turns any exception a route lets escape into a logged 500 problem (a
      503 when the database is unavailable), inside the correlation id's context and the
      metrics rather than in Starlette's outermost handler, which runs outside both.

    One layer rather than one per concern: each wrapped `send` again and added a coroutine to
    every message of every request."""

    def __init__(self, app: ASGIApp, settings: ServiceSettings, registry: CollectorRegistry):
        self.app = app
        self.max_header_bytes = settings.max_header_bytes
        self.max_body_bytes = settings.max_body_bytes
        self.max_upload_bytes = settings.max_upload_bytes
        self.requests = Counter(
            "http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=registry,
        )
        # Each label set's child, found once: `labels()` validates the labels and takes the
        # metric's lock on every call, a share of a request's CPU the profile showed.
        self._latency: dict[tuple[str, str], Any] = {}
        self._counted: dict[tuple[str, str, int], Any] = {}
        self.inner: ASGIApp = self._guarded
        if settings.cors_origins:
            self.inner = CORSMiddleware(
                self._guarded,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "If-Match",
                    "Idempotency-Key",
                    CORRELATION_HEADER,
                ],
                expose_headers=[
                    "ETag",
                    "Retry-After",
                    "Location",
                    "Idempotent-Replayed",
                    CORRELATION_HEADER,
                    # A download's file name and digest (records' documents).
                    "Content-Disposition",
                    "Repr-Digest",
                ],
                max_age=600,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        root_path = scope.get("root_path", "")
        incoming = next((v for k, v in scope["headers"] if k.lower() == _CORRELATION_KEY), b"")
        # A request that starts its chain is named by the id it starts: one uuid4 (a
        # getrandom call and two conversions) rather than two.
        request_id = str(uuid.uuid4())
        correlation_id = incoming.decode() if _SAFE_ID.match(incoming) else request_id
        answer = scope[_ANSWER] = _Answer()

        async def send_out(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.started = True
                answer.status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if _CSP not in present:
                    headers.append((_CSP, API_CSP))
                headers.append((_CORRELATION_KEY, correlation_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            with context.caused_by(correlation_id, f"request:{request_id}"):
                await self.inner(scope, receive, send_out)
        finally:
            route = getattr(scope.get("route"), "path", None) or _mount(scope, root_path)
            method = scope["method"]
            latency = self._latency.get((method, route))
            if latency is None:
                latency = self._latency[method, route] = self.latency.labels(method, route)
            latency.observe(time.perf_counter() - start)
            count = self._counted.get((method, route, answer.status))
            if count is None:
                count = self._counted[method, route, answer.status] = self.requests.labels(
                    method, route, str(answer.status)
                )
            count.inc()

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The limits and the error boundary, behind CORS."""
        headers = scope["headers"]
        limit = self.max_body_bytes
        upload_checked = False

        def limit_over(size: int) -> int | None:
            """The limit `size` is over, if any. Routing is only consulted for a body over
            the usual limit: every other request pays nothing for the upload routes."""
            nonlocal limit, upload_checked
            if size > limit and not upload_checked:
                upload_checked = True
                if self.max_upload_bytes is not None and large_body(scope):
                    limit = self.max_upload_bytes
            return limit if size > limit else None

        too_large = None
        if sum(len(k) + len(v) for k, v in headers) > self.max_header_bytes:
            too_large = (
                431,
                "request-header-fields-too-large",
                "Request headers too large",
                f"the request's headers are over {self.max_header_bytes} bytes",
            )
        declared = next((v for k, v in headers if k.lower() == b"content-length"), None)
        # Digits only (the server refuses other values); a length too long to be a number we
        # would read is too large.
        if (
            declared is not None
            and declared.isdigit()
            and (len(declared) > 15 or limit_over(int(declared)) is not None)
        ):
            too_large = (
                413,
                "content-too-large",
                "Request body too large",
                f"the request body is over {limit} bytes",
            )
        if too_large is not None:
            status, slug, title, detail = too_large
            response = errors.problem(Request(scope), status, slug, title, detail)
            await response(scope, receive, send)
            return
        read = 0

        async def receive_bounded() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if limit_over(read) is not None:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, receive_bounded, send)
        except Exception as exc:
            if scope[_ANSWER].started:  # half an answer is out: nothing to do but drop it
                raise
            await errors.failure(Request(scope), exc)(scope, receive, send)


def install(app: FastAPI, settings: ServiceSettings, registry: CollectorRegistry) -> None:
    """Adds the edge around what is there (the idempotency of commands, the app)."""
    app.add_middleware(Edge, settings=settings, registry=registry)
