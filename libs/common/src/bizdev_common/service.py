"""Builds one service's processes from its parts. Two roles from one image:

- `api` (this module): the FastAPI app with auth, problem+json, correlation ids, telemetry,
  health and metrics, the event-sourced application in the threadpool for commands, the read
  models for queries, and the service's OpenAPI and AsyncAPI pages. It never talks to Kafka.
- `worker` (worker.py): the outbox relay, the FastStream broker with the service's
  projectors and reactions, the deadline scheduler and the dead letters, with a small HTTP
  server of its own for /healthz, /readyz and /metrics.

Every service's `main.py` only lists its parts and calls `serve`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio.to_thread
import asyncpg
import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from bizdev_common import (
    asyncapi,
    dlq,
    docs,
    errors,
    idempotency,
    middleware,
    openapi,
    shutdown,
    status,
)
from bizdev_common.auth import DEV_SECRET, TokenVerifier
from bizdev_common.commands import CommandThreads
from bizdev_common.days import UnknownTimeZone, company_zone
from bizdev_common.deadletters import DeadLetters
from bizdev_common.eventstore import (
    UnsafeEnvironment,
    check_library_environment,
)
from bizdev_common.observability import (
    add_probes,
    ready_gauge,
)
from bizdev_common.parts import Runtime as Runtime  # what services' routes are given
from bizdev_common.parts import ServiceParts, setup_process
from bizdev_common.scheduler import DEADLINES_DDL, clock_for
from bizdev_common.settings import ServiceSettings

log = logging.getLogger(__name__)


async def views_built(
    conn: asyncpg.Connection | asyncpg.Pool, parts: ServiceParts[Any, Any]
) -> bool:
    """Whether the worker has created the service's read models (the API only reads them)."""
    s = parts.settings
    names = [make(s.schema_name).name for make in parts.projections]
    if not names:
        return True
    try:
        built: int = await conn.fetchval(
            f'SELECT count(*) FROM "{s.schema_name}".projection_versions '
            "WHERE projection = ANY($1::text[])",
            names,
        )
    except asyncpg.UndefinedTableError:
        return False
    return built == len(names)


def dev_secret_in_use(s: ServiceSettings) -> bool:
    """Whether tokens are verified with the HS256 secret published in the source."""
    return s.jwt_jwks_url is None and s.jwt_secret.get_secret_value() == DEV_SECRET


def loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost may resolve to anything
        return False


def unsafe_to_serve(s: ServiceSettings) -> str | None:
    """Why the API must not start, if it must not: with the published dev secret anyone can
    sign a token of any role, which is tolerable only on a developer's own machine."""
    if not dev_secret_in_use(s):
        return None
    p = f"BIZDEV_{s.service.upper()}_"
    fix = (
        f"set {p}JWT_SECRET (at least 32 random bytes, e.g. `openssl rand -base64 32`) or "
        f"{p}JWT_JWKS_URL (RS256)"
    )
    if s.environment == "production":
        return (
            f"bizdev-{s.service}: refusing to start in production ({p}ENVIRONMENT) with the dev "
            f"JWT secret published in the source, with which anyone can sign a token: {fix}"
        )
    if not loopback(s.http_host):
        return (
            f"bizdev-{s.service}: refusing to listen on {s.http_host} with the dev JWT secret "
            f"published in the source: anyone who reaches it could sign a token of any role. "
            f"{fix[0].upper()}{fix[1:]}, or listen on 127.0.0.1 ({p}HTTP_HOST) for development"
        )
    return None


def create_app(parts: ServiceParts[Any, Any]) -> FastAPI:
    """The `api` role: HTTP only. Commands write the event store, queries read the views the
    workers build; /readyz reports what the workers last said about Kafka and the relay."""
    parts = parts.in_role("api")
    s = parts.settings
    traced = setup_process(s)
    registry = CollectorRegistry()
    dead_letters = DeadLetters(s, registry)
    readiness_metric = ready_gauge(registry, s.service, s.role)
    # Made once: the parts do not change while the process runs.
    asyncapi_json = asyncapi.to_json(asyncapi.document(parts))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = s.threadpool_size
        app.state.command_threads = threads = CommandThreads(s.command_concurrency)
        application = await asyncio.to_thread(parts.application, s)
        pool = await asyncpg.create_pool(
            s.database_url,
            min_size=1,
            max_size=s.query_connections,
            server_settings={"application_name": s.application_name},
        )
        app.state.runtime = Runtime(s, application, pool, dead_letters, clock_for(s))
        shutdown.drain_on_sigterm(s.drain_seconds)
        # What the process made to start (modules, routes, models, the application) lives as
        # long as it does: frozen out of the collector's sight, so that a full collection
        # walks what requests left rather than all of it (136 ms each under load, ~2% of the
        # API process's CPU at 8 clients, measured with gc.callbacks).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await asyncio.to_thread(threads.close)
            await pool.close()
            await asyncio.to_thread(application.close)

    app = FastAPI(
        title=parts.title,
        description=parts.description,
        version=parts.version,
        lifespan=lifespan,
        # Behind a proxy serving it under a prefix (the prod Ingress: /api/<service>/), for
        # the docs' links; routes match with or without the prefix.
        root_path=s.root_path,
        root_path_in_servers=False,  # `servers` below says it
        generate_unique_id_function=openapi.operation_id,
        # FastAPI's own tracing, when something exports spans: one server span per request,
        # named by route. Not its operation spans (dependencies, endpoint, serialisation:
        # three more per request), metrics (Prometheus has them) or logs; nothing for the
        # probes.
        telemetry={
            "tracing": traced,
            "operation_spans": False,
            "metrics": False,
            "logs": False,
            "exclude": _untraced,
        },
    )
    app.state.verifier = TokenVerifier(s)
    if dev_secret_in_use(s):
        log.warning(
            "tokens are checked against the published dev secret: anyone who reaches %s can "
            "sign one. Set BIZDEV_%s_JWT_JWKS_URL (RS256) or _JWT_SECRET outside development.",
            s.http_host,
            s.service.upper(),
        )
    errors.install(app)
    # Inside the edge middleware (added after it, so wrapped by it): bodies are size-checked
    # before the key is hashed.
    idempotency.install(app)
    middleware.install(app, s, registry)
    for router in parts.routers:
        app.include_router(router)
    # Relative, so resolved against where the document was fetched: behind the gateway (the
    # prod Ingress) its prefix, which the process is told as root_path; else its own origin.
    openapi.install(
        app,
        servers=[
            {"url": s.root_path, "description": "Behind the gateway"}
            if s.root_path
            else {"url": "/", "description": "The service's own origin"}
        ],
    )

    async def readiness() -> dict[str, Any]:
        """503 without PostgreSQL, which every request needs, before a worker has created
        the views the queries read, or once SIGTERM has come (shutdown.py). Kafka down (as the
        workers last reported it), no worker reporting, messages parked, or a relay stuck at
        an event degrade the service (`status: degraded`, 200): commands still succeed then,
        and taking the pod out of its Service would not help."""
        runtime: Runtime[Any, Any] = app.state.runtime
        checks: dict[str, str] = {}
        body: dict[str, Any] = {"checks": checks}
        workers = None
        try:
            await asyncio.wait_for(runtime.pool.fetchval("SELECT 1"), 2)
            checks["postgresql"] = "ok"
            built = await asyncio.wait_for(views_built(runtime.pool, parts), 2)
            checks["views"] = "ok" if built else "not built yet: a worker creates them"
            body["dead_letters"] = await asyncio.wait_for(
                runtime.dead_letters.waiting(runtime.pool), 2
            )
            workers = await asyncio.wait_for(
                status.seen(runtime.pool, s.schema_name, s.worker_status_seconds), 2
            )
        except Exception as e:  # noqa: BLE001 - any failure means not ready, or retry later
            checks["postgresql"] = f"unreachable: {type(e).__name__}"
        if workers is None or workers.workers == 0:
            checks["kafka"] = "unknown: no worker reporting"
        else:
            checks["kafka"] = "ok" if workers.kafka else "unreachable"
            if workers.relay is not None:
                body["relay"] = workers.relay
        ready = checks["postgresql"] == "ok" and checks.get("views") == "ok"
        if shutdown.draining():
            # SIGTERM: still serving, but the load balancer must send nothing new here.
            checks["process"] = "stopping"
            ready = False
        degraded = checks["kafka"] != "ok" or body.get("dead_letters") or "relay" in body
        body["status"] = "unavailable" if not ready else "degraded" if degraded else "ok"
        body["ready"] = ready
        return body

    add_probes(
        app,
        registry,
        readiness_metric,
        readiness,
        ready_summary="PostgreSQL reachable and the views built; what is degraded",
    )

    docs.install(app, asyncapi_json)
    return app


async def _reset_views(parts: ServiceParts[Any, Any]) -> None:
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


USAGE = """usage: bizdev-{service} COMMAND

  api             serve HTTP: commands, queries, docs, /healthz, /readyz, /metrics
                  (BIZDEV_{prefix}_HTTP_PORT; _API_PROCESSES processes share it)
  worker          run the relay, projectors, reactions, deadline scheduler and dead letters,
                  with /healthz, /readyz and /metrics on BIZDEV_{prefix}_WORKER_HTTP_PORT
  rebuild-views   empty the read models, rebuilt from their topics at the workers' next start
                  (`bizdev rebuild {service}` rebuilds them while the workers run)
  dlq list        show the parked messages
  dlq replay [ID] put one parked message, or all, back through its handler
"""


def _untraced(scope: Any) -> bool:
    return scope.get("path") in _UNTRACED_PATHS


_UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def serve(
    parts: ServiceParts[Any, Any], argv: Sequence[str] | None = None, more_usage: str = ""
) -> None:
    """The console entry point of a service, `bizdev-<service> COMMAND` (see USAGE). Without
    a command it prints the usage: a process runs one role, chosen where it is deployed.

    `rebuild-views` is for when the workers are stopped (stop them first); `dlq replay`
    applies a letter once however often it is run."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["rebuild-views"]:
        asyncio.run(_reset_views(parts))
        return
    if args[:1] == ["dlq"]:
        raise SystemExit(dlq.main(parts, args[1:]))
    s = parts.settings
    if args not in (["api"], ["worker"]):
        print(
            USAGE.format(service=s.service, prefix=s.service.upper()) + more_usage, file=sys.stderr
        )
        raise SystemExit(2)
    try:
        name = getattr(parts.application, "name", s.service)
        check_library_environment(name, os.environ)
        company_zone()  # a day decided in a zone nobody meant is worse than not starting
    except (UnsafeEnvironment, UnknownTimeZone) as e:
        raise SystemExit(str(e)) from e
    if args == ["api"] and (refusal := unsafe_to_serve(s)) is not None:
        raise SystemExit(refusal)
    # In-flight requests get this long after SIGTERM (and a drain), below the pod's grace.
    graceful = int(s.shutdown_timeout_seconds)
    if args == ["worker"]:
        from bizdev_common.worker import create_worker_app

        uvicorn.run(
            create_worker_app(parts),
            host=s.http_host,
            port=s.worker_http_port,
            log_config=None,
            timeout_graceful_shutdown=graceful,
        )
        return
    if s.api_processes == 1:
        uvicorn.run(
            create_app(parts),
            host=s.http_host,
            port=s.http_port,
            log_config=None,
            proxy_headers=True,
            timeout_graceful_shutdown=graceful,
            timeout_keep_alive=s.http_keep_alive_seconds,
        )
        return
    # Several processes on one port need the app by name, each building its own from the
    # environment: `app()` in the service's main module (see docs/adding-a-service.md).
    uvicorn.run(
        f"bizdev_{s.service}.main:app",
        factory=True,
        workers=s.api_processes,
        host=s.http_host,
        port=s.http_port,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=graceful,
        timeout_keep_alive=s.http_keep_alive_seconds,
    )
