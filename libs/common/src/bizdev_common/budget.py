"""The connection budget: how many PostgreSQL connections the services may hold at most, so
that the server's `max_connections` can be set from it (`make up`, compose, the Kubernetes
base; docs/operations.md, "Connection budget").

Each process holds at most `settings.connections(role)`: its pools, which open one connection
each at start and grow on demand, plus, in a worker, the relay's and the scheduler's leader
sessions. A service holds `api_processes` times its API processes' share (per replica, in
Kubernetes: times the API Deployment's most replicas) plus its workers' shares."""

from __future__ import annotations

from bizdev_common.settings import ServiceSettings

HEADROOM = 10
"""Beyond the services: PostgreSQL's 3 connections reserved for superusers, one-off commands
(`rebuild-views`, `dlq replay`, `rotate-kek`, the schema creation at start) and a few psql
sessions."""


def service_connections(settings: ServiceSettings, *, workers: int, api_replicas: int = 1) -> int:
    """The most one service holds with `api_replicas` copies of its `api` command (each
    running `api_processes` processes) and `workers` workers."""
    api = api_replicas * settings.api_processes * settings.connections("api")
    return api + workers * settings.connections("worker")


def with_headroom(services_total: int) -> int:
    """`max_connections` for services that hold at most `services_total` together."""
    return services_total + HEADROOM
