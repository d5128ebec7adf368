"""The two roles of a service and their connection budget: the API serves HTTP and learns of
the views and of Kafka from what the worker built and reported; each process opens a
connection per pool at start, grows on demand, and never holds more than its settings allow.

A projects instance of its own schema, its relay off, so that nothing it writes reaches the
shared topic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
import httpx

from .conftest import Infra, ServiceProcess, auth, eventually, unique
from .reliability import lead

SCHEMA = f"projects_roles_{time.time_ns() % 10**9}"
API_EVENT_STORE, API_QUERIES = 3, 2


async def connections(infra: Infra, application_name: str) -> int:
    conn = await asyncpg.connect(infra.database_url)
    try:
        n: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            application_name,
        )
        return n
    finally:
        await conn.close()


async def test_the_api_is_ready_once_a_worker_has_built_the_views_and_reports(
    start_service: Callable[..., ServiceProcess], infra: Infra
) -> None:
    api = start_service("projects", roles=("api",), db_schema=SCHEMA, relay_enabled="false")
    async with httpx.AsyncClient(base_url=api.url, timeout=10) as http:
        alone = await http.get("/readyz")
        assert alone.status_code == 503, alone.text
        assert alone.json()["checks"]["views"].startswith("not built")
        assert alone.json()["checks"]["kafka"] == "unknown: no worker reporting"
        # Commands need no worker: they only write the event store.
        created = await http.post(
            "/leads", json=lead(unique("alone")), headers=auth("rita", "sales", "employee")
        )
        assert created.status_code == 201, created.text

        worker = ServiceProcess(
            "projects",
            infra,
            api.api.log_path.parent,
            api.env["OTEL_EXPORTER_OTLP_ENDPOINT"],
            roles=("worker",),
            db_schema=SCHEMA,
            relay_enabled="false",
        )
        worker.start()
        try:
            ready = await eventually(
                lambda: http.get("/readyz"),
                lambda r: r.status_code == 200 and r.json()["checks"]["kafka"] == "ok",
            )
            assert ready.json()["checks"] == {"postgresql": "ok", "views": "ok", "kafka": "ok"}
            worker_ready = await http.get(f"{worker.worker.url}/readyz")
            assert worker_ready.json()["checks"] == {"postgresql": "ok", "kafka": "ok"}
        finally:
            worker.stop()
        # A worker that stopped withdraws its report.
        await eventually(
            lambda: http.get("/readyz"),
            lambda r: r.json()["checks"]["kafka"] == "unknown: no worker reporting",
        )
    api.stop()


async def test_each_process_opens_few_connections_and_holds_no_more_than_its_budget(
    start_service: Callable[..., ServiceProcess], infra: Infra
) -> None:
    svc = start_service(
        "projects",
        db_schema=SCHEMA,
        relay_enabled="false",
        api_event_store_connections=str(API_EVENT_STORE),
        api_query_connections=str(API_QUERIES),
    )
    api_name, worker_name = f"bizdev-{SCHEMA}-api", f"bizdev-{SCHEMA}-worker"
    idle = await connections(infra, api_name)
    # One per pool, and the event store's may make a second while its first is connecting
    # (the library opens that pool without waiting): far below the budget either way.
    assert 0 < idle <= 3, "\n".join(await details(infra, api_name))

    seen: list[int] = []
    headers = auth(unique("rep"), "sales", "employee")

    async def sample() -> None:
        while True:
            seen.append(await connections(infra, api_name))
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    try:
        async with httpx.AsyncClient(base_url=svc.url, timeout=60) as http:
            answers = await asyncio.gather(
                *(
                    http.post("/leads", json=lead(unique("load")), headers=headers)
                    for _ in range(40)
                ),
                *(http.get("/leads", headers=headers) for _ in range(40)),
            )
    finally:
        sampler.cancel()
    assert all(a.status_code in (200, 201) for a in answers), {a.status_code for a in answers}
    print(f"API connections: {idle} at start, at most {max(seen)} under load")
    assert max(seen) <= API_EVENT_STORE + API_QUERIES
    worker = await connections(infra, worker_name)
    settings = svc.env  # the worker's pools are at their defaults
    assert "BIZDEV_PROJECTS_WORKER_QUERY_CONNECTIONS" not in settings
    assert 0 < worker <= 3 + 4


async def details(infra: Infra, application_name: str) -> list[str]:
    conn = await asyncpg.connect(infra.database_url)
    try:
        rows = await conn.fetch(
            "SELECT pid, backend_start, state, query FROM pg_stat_activity "
            "WHERE application_name = $1",
            application_name,
        )
        return [str(dict(r)) for r in rows]
    finally:
        await conn.close()
