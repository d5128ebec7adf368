"""SIGTERM under load, as Kubernetes stops a pod: the API fails /readyz first while still
answering (the load balancer, played here by the clients, stops sending new requests when it
sees that), finishes every request in flight and exits on its own; the worker stops with its
views and its tracked position in the event store agreeing; after a restart every command
answered 2xx has its event once in the store, on the topic and in the views.

A projects instance of its own (own schema, own broker, as test_kill.py), so that stopping
it disturbs nothing else. It runs behind the path prefix of the prod Ingress."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from bizdev_common.projector import STORE_PARTITION

from .conftest import (
    Collector,
    Infra,
    ServiceProcess,
    auth,
    eventually,
    read_topic,
    unique,
)
from .reliability import TOPIC, in_views, lead, on_topic, stored

SCHEMA = f"projects_sigterm_{time.time_ns() % 10**9}"
CLIENTS = 8
DRAIN = 3.0
MIDWAY = 60
"""Commands answered before SIGTERM."""
PREFIX = "/api/projects"
DATABASE_URL = "BIZDEV_PROJECTS_DATABASE_URL"


@pytest.fixture(scope="module")
def svc(own_kafka: Infra, logs: Path, collector: Collector) -> Iterator[ServiceProcess]:
    service = ServiceProcess(
        "projects",
        own_kafka,
        logs,
        collector.endpoint,
        db_schema=SCHEMA,
        drain_seconds=str(DRAIN),
        shutdown_timeout_seconds="15",
        root_path=PREFIX,
    )
    service.start()
    yield service
    service.stop()


@dataclass
class Load:
    tag: str
    stop_sending: asyncio.Event = field(default_factory=asyncio.Event)
    midway: asyncio.Event = field(default_factory=asyncio.Event)
    sent: int = 0
    answered: list[str] = field(default_factory=list)
    answered_after_sigterm: int = 0
    sigterm_at: float | None = None
    broken: list[str] = field(default_factory=list)


async def load_until_told(svc: ServiceProcess, load: Load) -> None:
    """Clients sending commands, each on a connection of its own, until the load balancer
    (stop_sending) takes the pod out; every request sent must be answered, and 201."""
    headers = auth(unique("rep"), "sales", "employee")
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def client() -> None:
            while not load.stop_sending.is_set():
                load.sent += 1
                body = lead(f"{load.tag}-{load.sent}")
                try:
                    r = await http.post(f"{svc.url}{PREFIX}/leads", json=body, headers=headers)
                except httpx.HTTPError as e:
                    load.broken.append(repr(e))
                    return
                if r.status_code != 201:
                    load.broken.append(f"{r.status_code} {r.text[:200]}")
                    return
                load.answered.append(r.json()["id"])
                if len(load.answered) == MIDWAY:
                    load.midway.set()
                if load.sigterm_at is not None:
                    load.answered_after_sigterm += 1

        await asyncio.gather(*(client() for _ in range(CLIENTS)))


async def load_balancer(svc: ServiceProcess, load: Load) -> float:
    """Polls /readyz as the kubelet does; on the first 503 stops the clients. Returns how
    long after SIGTERM that was."""
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            r = await http.get(f"{svc.url}/readyz")
            if r.status_code == 503:
                assert r.json()["checks"]["process"] == "stopping"
                assert load.sigterm_at is not None, "not ready before SIGTERM"
                load.stop_sending.set()
                return time.monotonic() - load.sigterm_at
            await asyncio.sleep(0.05)


async def positions_agree_with_views(infra: Infra) -> int:
    """With the worker stopped: the leads view holds exactly the leads whose creation is at
    or before the notification id its feed recorded (each lead is one event). Returns how
    many."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        tracked = await conn.fetchval(
            f'SELECT sequence FROM "{SCHEMA}".projection_tracking '
            "WHERE projection = 'leads' AND topic = $1 AND partition = $2",
            TOPIC,
            STORE_PARTITION,
        )
        assert tracked is not None, "the worker recorded no position"
        up_to = {
            r["id"]
            for r in await conn.fetch(
                f'SELECT originator_id::text AS id FROM "{SCHEMA}".projects_events '
                "WHERE originator_version = 1 AND notification_id <= $1",
                tracked,
            )
        }
        in_view = {
            r["id"] for r in await conn.fetch(f'SELECT id::text AS id FROM "{SCHEMA}".leads')
        }
    finally:
        await conn.close()
    assert in_view == up_to, (
        f"view and position disagree: {len(in_view - up_to)} in the view past the position, "
        f"{len(up_to - in_view)} before it missing"
    )
    return len(in_view)


async def test_sigterm_under_load_answers_every_request_and_loses_no_position(
    svc: ServiceProcess, own_kafka: Infra
) -> None:
    load = Load(unique("sigterm"))
    api, worker = svc.api.proc, svc.worker.proc
    assert api is not None
    assert worker is not None

    async def sigterm_midway() -> float:
        await load.midway.wait()
        # The worker projecting the load too, not only starting up.
        await eventually(
            lambda: in_views(svc.env[DATABASE_URL], SCHEMA, set(load.answered)),
            lambda v: len(v) > 0,
            within=60,
        )
        load.sigterm_at = time.monotonic()
        api.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)
        return await load_balancer(svc, load)

    _, not_ready_after = await asyncio.gather(load_until_told(svc, load), sigterm_midway())
    assert not load.broken, f"requests not answered, or not 201: {load.broken[:5]}"
    assert not_ready_after < DRAIN, "readiness must fail before the server stops"
    assert load.answered_after_sigterm > 0, "the API kept serving while draining"

    # Both exit on their own, well before a kubelet's SIGKILL (30 s).
    for proc in (api, worker):
        code = await asyncio.to_thread(proc.wait, 25)
        assert code in (0, -signal.SIGTERM), f"exit code {code}"
    assert load.sigterm_at is not None
    assert time.monotonic() - load.sigterm_at < 25
    svc.api.proc = svc.worker.proc = None
    in_view_at_stop = await positions_agree_with_views(own_kafka)

    await asyncio.to_thread(svc.start)
    answered = set(load.answered)
    assert len(answered) == len(load.answered)
    in_store = await stored(own_kafka.database_url, SCHEMA, answered)
    assert set(in_store) == answered, "a command answered 2xx is missing from the store"
    assert set(in_store.values()) == {1}
    records = await read_topic(
        own_kafka.kafka_bootstrap,
        TOPIC,
        lambda rs: set(on_topic(rs, answered)) == answered,
        within=120,
    )
    assert set(on_topic(records, answered).values()) == {1}, "one command, one event on the topic"
    views = await eventually(
        lambda: in_views(own_kafka.database_url, SCHEMA, answered),
        lambda v: set(v) == answered,
        within=120,
    )
    assert set(views.values()) == {1}, "each record once in the view"
    print(
        f"sent {load.sent}, 201: {len(answered)} ({load.answered_after_sigterm} after SIGTERM), "
        f"not ready {not_ready_after:.2f}s after SIGTERM, in the view at stop: {in_view_at_stop}"
    )


async def test_the_api_serves_its_docs_under_the_ingress_prefix(svc: ServiceProcess) -> None:
    """The Ingress keeps /api/projects/ in the path: routes match with it (and without, for
    the probes), and the docs page loads the OpenAPI document through the prefix."""
    if not svc.running:
        svc.start()
    async with httpx.AsyncClient(base_url=svc.url, timeout=10) as http:
        docs = await http.get(f"{PREFIX}/docs")
        assert docs.status_code == 200
        assert f"{PREFIX}/openapi.json" in docs.text
        spec = await http.get(f"{PREFIX}/openapi.json")
        assert spec.status_code == 200
        assert [server["url"] for server in spec.json()["servers"]] == [PREFIX]
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get(f"{PREFIX}/healthz")).status_code == 200
