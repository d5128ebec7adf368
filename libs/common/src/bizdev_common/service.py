"""Builds one service's process from its parts: the FastAPI app with auth, problem+json,
correlation ids, telemetry, health and metrics; the event-sourced application in the
threadpool; the outbox relay; the FastStream broker with the service's projectors and
reactions; and its AsyncAPI page. Every service's `main.py` only lists its parts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import asyncpg
import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.specification import AsyncAPI, get_asyncapi_html
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bizdev_common import dlq, errors, idempotency, middleware, openapi
from bizdev_common.auth import DEV_SECRET, TokenVerifier
from bizdev_common.contract import EventContract
from bizdev_common.deadletters import DeadLetters
from bizdev_common.eventstore import (
    ServiceApplication,
    UnsafeEnvironment,
    check_library_environment,
)
from bizdev_common.observability import setup_logging, setup_tracing
from bizdev_common.projector import Projection, Projector
from bizdev_common.reactions import Reaction, ReactionRunner
from bizdev_common.readmodel import create_list_indexes, list_queries
from bizdev_common.relay import OutboxRelay
from bizdev_common.scheduler import (
    DEADLINES_DDL,
    Clock,
    DeadlineCheck,
    Scheduler,
    SystemClock,
    clock_for,
)
from bizdev_common.settings import ServiceSettings
from bizdev_common.tasks import pause

log = logging.getLogger(__name__)


@dataclass
class ServiceParts:
    """What makes one service; `main.py` fills it in."""

    settings: ServiceSettings
    title: str
    description: str
    application: Callable[[ServiceSettings], ServiceApplication]
    contract: EventContract
    routers: Sequence[APIRouter]
    projections: Sequence[Callable[[str], Projection]] = ()
    reactions: Sequence[Callable[[], Reaction]] = ()
    deadline_checks: Sequence[DeadlineCheck] = ()
    version: str = "0.1.0"


@dataclass
class Runtime:
    """Live handles, on `app.state.runtime` for routes and on reactions for their work."""

    settings: ServiceSettings
    application: ServiceApplication
    pool: asyncpg.Pool
    broker: KafkaBroker
    relay: OutboxRelay
    dead_letters: DeadLetters
    clock: Clock = field(default_factory=SystemClock)
    projectors: list[Projector] = field(default_factory=list)
    reactions: list[ReactionRunner] = field(default_factory=list)
    scheduler: Scheduler | None = None
    kafka_started: asyncio.Event = field(default_factory=asyncio.Event)


def create_app(parts: ServiceParts) -> FastAPI:
    s = parts.settings
    setup_logging(s.service, s.log_level)
    setup_tracing(s.service)
    registry = CollectorRegistry()
    dead_letters = DeadLetters(s, registry)
    broker = KafkaBroker(
        s.kafka_bootstrap_servers,
        client_id=s.service,
        middlewares=[KafkaTelemetryMiddleware(), KafkaPrometheusMiddleware(registry=registry)],
        logger=logging.getLogger(f"{s.service}.kafka"),
    )
    # Documents the service's own topic on the AsyncAPI page with every public event model.
    broker.publisher(
        parts.contract.topic,
        title=parts.contract.topic,
        description=(
            f"Every public event of {s.service}, CloudEvents 1.0 in Kafka binary mode (ce_* "
            "headers; ce_type names the model), keyed by aggregate id."
        ),
        schema=_union(list(parts.contract.models)),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = s.threadpool_size
        application = await asyncio.to_thread(parts.application, s)
        pool = await asyncpg.create_pool(s.database_url, min_size=1, max_size=10)
        relay = OutboxRelay(application, parts.contract, s)
        runtime = Runtime(s, application, pool, broker, relay, dead_letters, clock_for(s))
        async with pool.acquire() as conn:
            await dead_letters.create(conn)
            for make in parts.projections:
                projection = make(s.schema_name)
                await projection.create(conn)
                if s.projector_enabled:
                    runtime.projectors.append(Projector(broker, pool, projection, s, dead_letters))
            # After the projections: one that keeps deadlines may have just dropped the table.
            await conn.execute(DEADLINES_DDL.format(schema=f'"{s.schema_name}"'))
            # And so may a list's table: its indexes come after too.
            await create_list_indexes(conn, s.schema_name, list_queries(parts.routers))
        for make_reaction in parts.reactions:
            runtime.reactions.append(
                ReactionRunner(broker, application, make_reaction(), s, dead_letters)
            )
        app.state.runtime = runtime
        stopping = asyncio.Event()
        tasks = [asyncio.create_task(_start_broker(broker, runtime, stopping))]
        if s.relay_enabled:
            tasks.append(asyncio.create_task(relay.run(stopping)))
        tasks.append(
            asyncio.create_task(
                idempotency.forget_old_keys(pool, s.schema_name, s.idempotency_key_hours, stopping)
            )
        )
        if parts.deadline_checks and s.scheduler_enabled:
            runtime.scheduler = Scheduler(application, s, parts.deadline_checks, runtime.clock)
            tasks.append(asyncio.create_task(runtime.scheduler.run(stopping)))
        try:
            yield
        finally:
            stopping.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await broker.stop()
            await dead_letters.close()
            await pool.close()
            await asyncio.to_thread(application.close)

    app = FastAPI(
        title=parts.title,
        description=parts.description,
        version=parts.version,
        lifespan=lifespan,
        # FastAPI's own tracing: one server span per request, named by route. Not its
        # operation spans (dependencies, endpoint, serialisation: three more per request),
        # metrics (Prometheus has them) or logs; nothing for the probes.
        telemetry={
            "tracing": True,
            "operation_spans": False,
            "metrics": False,
            "logs": False,
            "exclude": _untraced,
        },
    )
    app.state.verifier = TokenVerifier(s)
    if s.jwt_jwks_url is None and s.jwt_secret.get_secret_value() == DEV_SECRET:
        log.warning(
            "tokens are checked against the published dev secret: anyone can sign one. "
            "Set BIZDEV_%s_JWT_JWKS_URL (RS256) or _JWT_SECRET outside development.",
            s.service.upper(),
        )
    errors.install(app)
    # Inside the edge middleware (added after it, so wrapped by it): bodies are size-checked
    # before the key is hashed.
    idempotency.install(app)
    middleware.install(app, s, registry)
    for router in parts.routers:
        app.include_router(router)
    openapi.install(app)

    spec = AsyncAPI(
        broker, title=f"{parts.title} events", version=parts.version, description=parts.description
    )

    @app.get("/healthz", tags=["operations"], summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    Gauge(
        "bizdev_relay_stuck_position",
        "Notification id of the event the relay cannot publish and stays at; 0 when none",
        registry=registry,
    ).set_function(lambda: _stuck_position(app))

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="PostgreSQL reachable; what is degraded",
        responses={503: {"description": "Not ready: `checks` says what is not"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        """503 only without PostgreSQL, which every request needs. Kafka down, messages
        parked, or a relay stuck at an event degrade the service (`status: degraded`, 200):
        commands still succeed then, and taking the pod out of its Service would not help."""
        runtime: Runtime = request.app.state.runtime
        checks: dict[str, str] = {}
        body: dict[str, Any] = {"checks": checks}
        try:
            await asyncio.wait_for(runtime.pool.fetchval("SELECT 1"), 2)
            checks["postgresql"] = "ok"
            body["dead_letters"] = await asyncio.wait_for(
                runtime.dead_letters.waiting(runtime.pool), 2
            )
        except Exception as e:  # noqa: BLE001 - any failure means not ready, or retry later
            checks["postgresql"] = f"unreachable: {type(e).__name__}"
        kafka_ok = runtime.kafka_started.is_set() and await runtime.broker.ping(timeout=2)
        checks["kafka"] = "ok" if kafka_ok else "unreachable"
        if runtime.relay.stuck is not None:
            body["relay"] = runtime.relay.stuck.as_dict()
        ready = checks["postgresql"] == "ok"
        degraded = not kafka_ok or body.get("dead_letters") or "relay" in body
        body["status"] = "unavailable" if not ready else "degraded" if degraded else "ok"
        body["ready"] = ready
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        with contextlib.suppress(Exception):  # PostgreSQL down: the last count stays
            await asyncio.wait_for(runtime.dead_letters.waiting(runtime.pool), 2)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(get_asyncapi_html(spec.to_specification()))

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> Response:
        body = json.dumps(spec.to_specification().to_jsonable(), indent=2)
        return Response(body, media_type="application/json")

    return app


async def _reset_views(parts: ServiceParts) -> None:
    conn = await asyncpg.connect(parts.settings.database_url)
    try:
        for make in parts.projections:
            projection = make(parts.settings.schema_name)
            await projection.create(conn)
            await conn.execute(DEADLINES_DDL.format(schema=f'"{parts.settings.schema_name}"'))
            await projection.reset(conn)
            print(f"{projection.name}: emptied; rebuilt from the topics at the next start")
    finally:
        await conn.close()


def _untraced(scope: Any) -> bool:
    return scope.get("path") in _UNTRACED_PATHS


_UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _stuck_position(app: FastAPI) -> int:
    runtime: Runtime | None = getattr(app.state, "runtime", None)
    stuck = runtime.relay.stuck if runtime is not None else None
    return 0 if stuck is None else stuck.position


def _union(models: list[Any]) -> Any:
    from typing import Union

    return Union[tuple(models)]  # noqa: UP007 - built at run time from the contract


async def _start_broker(broker: KafkaBroker, runtime: Runtime, stopping: asyncio.Event) -> None:
    """Kafka may be down when the service starts: commands must still work, so the consumers
    start in the background and keep trying."""
    delay = 0.5
    while not stopping.is_set():
        try:
            await broker.start()
            runtime.kafka_started.set()
            return
        except Exception as e:  # noqa: BLE001 - any failure means not ready, or retry later
            log.warning("Kafka not reachable yet (%s); retrying in %.1fs", e, delay)
            with contextlib.suppress(Exception):
                await broker.stop()
            await pause(stopping, delay)
            delay = min(delay * 2, 10.0)


def serve(parts: ServiceParts, argv: Sequence[str] | None = None) -> None:
    """The console entry point of a service: its API and background work in one process;
    `rebuild-views` empties the read models so that they are rebuilt from the beginning of
    their topics at the next start (stop the service's replicas first); `dlq list` shows the
    parked messages and `dlq replay [ID]` puts one, or all, back through its handler."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["rebuild-views"]:
        asyncio.run(_reset_views(parts))
        return
    if args[:1] == ["dlq"]:
        raise SystemExit(dlq.main(parts, args[1:]))
    if args:
        raise SystemExit(
            f"usage: bizdev-{parts.settings.service} [rebuild-views | dlq list | dlq replay [ID]]"
        )
    try:
        name = getattr(parts.application, "name", parts.settings.service)
        check_library_environment(name, os.environ)
    except UnsafeEnvironment as e:
        raise SystemExit(str(e)) from e
    uvicorn.run(
        create_app(parts),
        host=parts.settings.http_host,
        port=parts.settings.http_port,
        log_config=None,
        proxy_headers=True,
    )
