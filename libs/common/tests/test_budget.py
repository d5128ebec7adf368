"""The connection budget: each role's pools are sized by its own settings, and the budget adds
up what the processes may hold."""

from __future__ import annotations

from bizdev_common.budget import HEADROOM, service_connections, with_headroom
from bizdev_common.settings import LEADER_CONNECTIONS, ServiceSettings


def test_each_role_sizes_its_pools_from_its_own_settings() -> None:
    s = ServiceSettings(
        service="x",
        api_event_store_connections=7,
        api_query_connections=5,
        worker_event_store_connections=2,
        worker_query_connections=3,
    )
    api, worker, tool = s.in_role("api"), s.in_role("worker"), s
    assert (api.event_store_connections, api.query_connections) == (7, 5)
    assert (worker.event_store_connections, worker.query_connections) == (2, 3)
    assert tool.role == "tool"
    assert tool.event_store_connections < api.event_store_connections
    assert s.role == "tool", "in_role makes a copy"
    assert api.application_name == "bizdev-x-api"


def test_a_worker_also_holds_its_leader_sessions() -> None:
    s = ServiceSettings(service="x")
    assert s.connections("api") == s.api_event_store_connections + s.api_query_connections
    assert s.connections("worker") == (
        s.worker_event_store_connections + s.worker_query_connections + LEADER_CONNECTIONS
    )


def test_a_service_holds_its_api_processes_and_workers_shares() -> None:
    s = ServiceSettings(service="x", api_processes=3)
    n = service_connections(s, workers=2, api_replicas=4)
    assert n == 4 * 3 * s.connections("api") + 2 * s.connections("worker")
    assert with_headroom(n) == n + HEADROOM
