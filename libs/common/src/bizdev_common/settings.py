"""Settings from the environment (12-factor), one prefix per service: BIZDEV_<SERVICE>_*."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal, Self, TypeVar
from urllib.parse import unquote, urlparse

from pydantic import Field, PrivateAttr, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Role = Literal["api", "worker", "tool"]
"""What a process does: serve HTTP, run the background work, or a one-off command."""

LEADER_CONNECTIONS = 2
"""A worker's relay and deadline scheduler each hold a session, leading or standing by."""
TOOL_CONNECTIONS = 2
"""Each pool of a one-off command (`dlq replay`, `rotate-kek`)."""


class ServiceSettings(BaseSettings):
    """What every service reads; a service's own settings subclass this."""

    model_config = SettingsConfigDict(extra="ignore")

    service: str = Field(description="Service name: schema, topic and telemetry name")
    database_url: str = "postgresql://bizdev@127.0.0.1:5432/bizdev"
    db_schema: str | None = Field(
        default=None, description="PostgreSQL schema of the service's tables (default: service)"
    )
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Containers listen on all interfaces; `make up` and the tests give 127.0.0.1.
    http_host: str = "0.0.0.0"  # noqa: S104
    environment: Literal["development", "production"] = Field(
        default="development",
        description="production: the service refuses to start with the published dev secret, "
        "even bound to loopback",
    )
    http_port: int = Field(default=8000, description="The API's port")
    worker_http_port: int = Field(
        default=8081, description="The worker's port: /healthz, /readyz and /metrics only"
    )
    api_processes: int = Field(
        default=1, ge=1, description="Processes one `api` command runs, sharing its port"
    )
    http_keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        description="How long the API keeps an idle connection open. Longer than what clients "
        "and proxies keep theirs (httpx 5 s, nginx 60 s): at uvicorn's 5 s a client reusing "
        "a connection as the server closed it got 'Server disconnected' on a POST",
    )
    log_level: str = "INFO"
    root_path: str = Field(
        default="",
        description="The path prefix a proxy serves the API under (e.g. /api/projects), "
        "for the docs' links; requests may come with or without it",
    )
    # SIGTERM (shutdown.py): /readyz fails for drain_seconds while requests are still served,
    # so that the load balancer stops sending new ones, then in-flight requests get up to
    # shutdown_timeout_seconds. Together below the pod's terminationGracePeriodSeconds.
    drain_seconds: float = Field(
        default=0.0, ge=0, description="After SIGTERM: readiness failing, still serving"
    )
    shutdown_timeout_seconds: float = Field(
        default=20.0, gt=0, description="After draining: the longest in-flight requests get"
    )

    jwt_algorithm: str = "HS256"
    jwt_secret: SecretStr = SecretStr("bizdev-dev-secret-change-me-in-production-0123456789")
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None

    threadpool_size: int = Field(
        default=40,
        description="Threads running the synchronous event store's calls; they share its pool",
    )
    command_concurrency: int = Field(
        default=4,
        ge=1,
        description=(
            "Commands an API process runs at once; more wait their turn. Their saves take the "
            "events table's lock one at a time: more in threads only adds switching"
        ),
    )
    # The connection budget. Every pool opens one connection and grows on demand up to its
    # size, so an idle process holds a few; these are the most each process may hold.
    api_event_store_connections: int = Field(
        default=10, ge=1, description="An API process's event store pool: commands, history"
    )
    api_query_connections: int = Field(
        default=10, ge=1, description="An API process's asyncpg pool: queries, Idempotency-Keys"
    )
    worker_event_store_connections: int = Field(
        default=3, ge=1, description="A worker's event store pool: relay, reactions, deadlines"
    )
    worker_query_connections: int = Field(
        default=4, ge=1, description="A worker's asyncpg pool: projectors, dead letters, status"
    )
    signals_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often a worker measures consumer lag and relay backlog for /metrics",
    )
    worker_status_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often a worker reports Kafka and the relay for the API's /readyz",
    )
    topic_partitions: int = Field(default=3, description="Partitions of topics we create")
    topic_replication_factor: int = 1
    relay_enabled: bool = True
    relay_batch_size: int = 500
    relay_poll_seconds: float = 0.2
    projector_enabled: bool = True
    projector_batch_size: int = 200
    consumer_retry_attempts: int = Field(
        default=5, ge=1, description="Attempts at a failing message before it is parked"
    )
    consumer_retry_backoff_seconds: float = Field(
        default=0.5, gt=0, description="Wait after the first failed attempt; doubles each time"
    )
    consumer_retry_backoff_max_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait between two attempts"
    )
    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = Field(
        default=5.0, description="How often deadlines are checked"
    )
    clock_file: Path | None = Field(
        default=None,
        description="Tests only: read the current time from this file (ISO 8601) if present",
    )
    leader_lease_seconds: float = Field(
        default=15.0,
        ge=1.0,
        le=20.0,
        description=(
            "The relay's and the scheduler's lease: a standby takes over at most this long, "
            "plus a third of it, after the active instance died or froze (so within 30 s)"
        ),
    )
    idempotency_key_hours: float = Field(
        default=24.0, ge=24.0, description="How long an Idempotency-Key is remembered"
    )
    read_wait_max_seconds: float = Field(
        default=5.0, description="Longest a query waits for its view to reach a version"
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins whose browser frontends may call the API, a JSON list such as "
        '["https://bizdev.example"]; none by default',
    )
    max_body_bytes: int = Field(default=1_048_576, description="Larger bodies get 413")
    max_upload_bytes: int = Field(
        default=52_428_800,
        description="Larger bodies of upload routes get 413 (routes marked with "
        "middleware.LARGE_BODY; every other route keeps max_body_bytes)",
    )
    max_header_bytes: int = Field(
        default=16_384, description="Requests whose headers add up to more get 431"
    )

    _role: Role = PrivateAttr(default="tool")

    def in_role(self, role: Role) -> Self:
        """These settings for a process of `role`, which sizes its pools."""
        copy = self.model_copy()
        copy._role = role
        return copy

    @property
    def role(self) -> Role:
        return self._role

    @property
    def application_name(self) -> str:
        """How this process's connections show in pg_stat_activity: by schema, which tells
        copies of a service apart, and role."""
        return f"bizdev-{self.schema_name}-{self._role}"

    @property
    def event_store_connections(self) -> int:
        return {
            "api": self.api_event_store_connections,
            "worker": self.worker_event_store_connections,
        }.get(self._role, TOOL_CONNECTIONS)

    @property
    def query_connections(self) -> int:
        return {
            "api": self.api_query_connections,
            "worker": self.worker_query_connections,
        }.get(self._role, TOOL_CONNECTIONS)

    def connections(self, role: Role) -> int:
        """The most PostgreSQL connections one process of `role` holds: the connection budget
        (docs/operations.md, "Connection budget"). A service with pools of its own adds them."""
        s = self.in_role(role)
        leaders = LEADER_CONNECTIONS if role == "worker" else 0
        return s.event_store_connections + s.query_connections + leaders

    @cached_property
    def db(self) -> dict[str, str]:
        u = urlparse(self.database_url)
        return {
            "host": u.hostname or "127.0.0.1",
            "port": str(u.port or 5432),
            "user": unquote(u.username or "postgres"),
            "password": unquote(u.password or ""),
            "dbname": (u.path or "/postgres").lstrip("/"),
        }

    @property
    def schema_name(self) -> str:
        return self.db_schema or self.service


S = TypeVar("S", bound=ServiceSettings)


def settings_for(cls: type[S], service: str) -> S:
    """Reads `cls` from BIZDEV_<SERVICE>_* variables."""
    prefix = f"BIZDEV_{service.upper()}_"
    configured = type(
        cls.__name__,
        (cls,),
        {"model_config": SettingsConfigDict(env_prefix=prefix, extra="ignore")},
    )
    return configured(service=service)
