"""PostgreSQL's connection limit, from the services' default settings (bizdev_common.budget):
see docs/operations.md, "Connection budget"."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from bizdev_common.budget import service_connections, with_headroom
from launcher import Service

API_REPLICAS = 2
"""The API Deployment's replicas and the HorizontalPodAutoscaler's floor."""
API_MAX_REPLICAS = 4
"""The autoscaler's ceiling: PostgreSQL's limit in the base is sized for it (plus a surge)."""
API_SURGE = 1
WORKER_REPLICAS = 2
"""One leads the relay and the scheduler, the other stands by; both share the partitions."""

PROD_API_REPLICAS = 3
"""prod: one API pod per zone at least, the autoscaler's floor."""
PROD_API_MAX_REPLICAS = 6
PROD_WORKER_REPLICAS = 2


def settings_of(name: str) -> Any:
    return import_module(f"bizdev_{name}.main").parts().settings


def k8s_max_connections(
    services: dict[str, Service],
    api_max_replicas: int = API_MAX_REPLICAS,
    workers: int = WORKER_REPLICAS,
) -> int:
    """Every API at its autoscaler's ceiling during a rollout (one surge pod more), and the
    workers, which are recreated, never two versions at once."""
    return with_headroom(
        sum(
            service_connections(
                settings_of(name),
                workers=workers,
                api_replicas=api_max_replicas + API_SURGE,
            )
            for name in services
        )
    )


def prod_max_connections(services: dict[str, Service]) -> int:
    return k8s_max_connections(services, PROD_API_MAX_REPLICAS, PROD_WORKER_REPLICAS)


def compose_max_connections(services: dict[str, Service]) -> int:
    return with_headroom(
        sum(service_connections(settings_of(name), workers=1) for name in services)
    )
