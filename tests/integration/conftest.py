"""Integration fixtures: a real Kafka broker and a real PostgreSQL server, and the services
as real processes speaking HTTP.

Where the infrastructure comes from, in order: KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL when
both are set; else testcontainers when a Docker engine answers; else deploy/local/launcher.py
(native processes), which is what runs on our machines and in CI."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from bizdev_common import days, process
from bizdev_common.auth import issue_token
from bizdev_common.process import Role
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import launcher  # noqa: E402

V = TypeVar("V")


@dataclass
class Infra:
    database_url: str
    kafka_bootstrap: str
    kafka: launcher.Kafka | None = None
    """Set when the tests started the broker themselves and so may stop and restart it."""
    state: Path | None = None
    """Where the servers the tests started keep their data."""


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # noqa: BLE001 - no engine, no socket, no SDK: all mean "no Docker"
        return False
    return True


def _stop_on_termination() -> None:
    """SIGTERM and SIGHUP end the session as Ctrl-C does: pytest then tears its fixtures down,
    so no broker, database or service outlives the suite (they run in sessions of their own,
    and nothing else would stop them)."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, interrupt)


def pytest_sessionstart(session: pytest.Session) -> None:
    _stop_on_termination()


@contextmanager
def state_folder(name: str) -> Iterator[Path]:
    """A folder for a server's data outside pytest's temp root: each pytest that starts resets
    that root to 0700 and prunes old runs, which once took a running suite's PostgreSQL
    (run by the postgres user through it) down in the middle of a `make test`.
    BIZDEV_TEST_STATE is where to make it (default: the system's temp folder)."""
    root = os.environ.get("BIZDEV_TEST_STATE") or None
    if root:
        Path(root).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"bizdev-{name}-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("DATABASE_URL"):
        yield Infra(os.environ["DATABASE_URL"], os.environ["KAFKA_BOOTSTRAP_SERVERS"])
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        with (
            PostgresContainer("postgres:15", driver=None) as pg,
            KafkaContainer("apache/kafka:4.1.0").with_kraft() as kafka,
        ):
            yield Infra(pg.get_connection_url(), kafka.get_bootstrap_server())
        return
    with state_folder("infra") as state:
        pg = launcher.Postgres(state, durable=False)
        kafka = launcher.Kafka(state)
        pg.start()
        try:
            kafka.start()
            try:
                yield Infra(pg.url, kafka.bootstrap, kafka, state)
            finally:
                kafka.stop()
        finally:
            pg.stop()


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    links: tuple[tuple[str, str], ...] = ()


class Collector:
    """A minimal OTLP/HTTP trace collector: the services export their spans here."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource_spans in request.resource_spans:
                    attrs = {
                        a.key: a.value.string_value for a in resource_spans.resource.attributes
                    }
                    for scope in resource_spans.scope_spans:
                        collector.spans.extend(
                            Span(
                                attrs.get("service.name", ""),
                                s.name,
                                s.kind,
                                s.trace_id.hex(),
                                s.span_id.hex(),
                                s.parent_span_id.hex(),
                                tuple((k.trace_id.hex(), k.span_id.hex()) for k in s.links),
                            )
                            for s in scope.spans
                        )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def trace(self, trace_id: str) -> list[Span]:
        return [s for s in self.spans if s.trace_id == trace_id]

    def linked_to(self, span: Span) -> list[Span]:
        """Spans of batch consumers, which link to the spans of the messages they handled."""
        return [s for s in self.spans if (span.trace_id, span.span_id) in s.links]

    def linked_to_trace(self, trace_id: str) -> list[Span]:
        """Spans of batches (the relay's publish, the own views' feed) that link to a span of
        the trace: the commands of the events in the batch."""
        return [s for s in self.spans if any(t == trace_id for t, _ in s.links)]


@pytest.fixture(scope="session")
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.server.shutdown()


SECRETS = {
    f"{service.prefix}{setting}": secrets.token_urlsafe(32)
    for service in launcher.services().values()
    for setting in (*service.secret_files, *service.optional_secrets)
}
"""The secrets of this test session (crm's key-encryption keys), by variable, made here rather
than kept in the repository. A service given a secret in a file gets its optional secrets too,
as replicas do in the first step of a rotation: test_need_to_know may rotate crm to its
previous KEK while the session's crm keeps running."""


def secret_file(folder: Path, name: str, value: str) -> Path:
    path = folder / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
    return path


class RoleProcess:
    """One process of a service, `bizdev-<service> api` or `bizdev-<service> worker`."""

    def __init__(
        self, service: process.ServiceProcess, role: Role, env: dict[str, str], logs: Path
    ):
        self.service = service.name
        self.command = service.command(role)
        self.role = role
        self.port = service.port_of(role)
        self.env = env
        self.log_path = logs / f"{self.service}-{role}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        log = self.log_path.open("ab")
        # A session of its own: Ctrl-C in a terminal reaches pytest alone, which then stops
        # each process in order, and the whole group (an API's extra processes) goes with it.
        self.proc = subprocess.Popen(
            self.command, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def answers(self) -> bool:
        """Healthy; raises when the process has exited."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.service} {self.role} exited: see {self.log_path}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            # Whatever the process left in its group (its own children) goes too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None


class ServiceProcess:
    """One service as its console script in both roles, its API and its worker, configured
    only through the environment. `roles` may leave one out: a test of the HTTP edge needs no
    worker, a test of a projector copy no API."""

    def __init__(
        self,
        name: str,
        infra: Infra,
        logs: Path,
        otlp: str,
        roles: tuple[str, ...] = ("api", "worker"),
        company_time_zone: str = "UTC",
        **settings: str,
    ) -> None:
        registry = launcher.services()
        assert name in registry, f"no services/{name}"
        service = registry[name]
        self.name = name
        own = {
            **{
                setting: str(secret_file(logs, key, SECRETS[service.prefix + setting]))
                for setting, key in service.secret_files.items()
            },
            **{setting: SECRETS[service.prefix + setting] for setting in service.optional_secrets},
            # The API learns of Kafka and the relay from the workers' reports: often, in tests.
            "worker_status_seconds": "0.5",
            # And /metrics its lag and backlog (test_signals.py): every 5 s, not every 0.5 s,
            # which measured every consumer group of every service twice a second, for the
            # whole suite (a third of its idle CPU).
            "signals_seconds": "5",
            "log_level": "INFO",
            **settings,
        }
        self.process = process.ServiceProcess(
            name,
            infra.database_url,
            infra.kafka_bootstrap,
            launcher.free_port(),
            launcher.free_port(),
            own,
            outside={
                days.VARIABLE: company_time_zone,
                "OTEL_EXPORTER_OTLP_ENDPOINT": otlp,
                "OTEL_BSP_SCHEDULE_DELAY": "200",
            },
        )
        self.port, self.worker_port = self.process.port, self.process.worker_port
        self.env = self.process.environment()
        """What its roles start with: a test may change it before `start`."""
        self.roles = {
            r: RoleProcess(self.process, r, self.env, logs) for r in cast(tuple[Role, ...], roles)
        }

    @property
    def api(self) -> RoleProcess:
        return self.roles["api"]

    @property
    def worker(self) -> RoleProcess:
        return self.roles["worker"]

    @property
    def url(self) -> str:
        return self.api.url

    @property
    def running(self) -> bool:
        return any(r.proc is not None for r in self.roles.values())

    def start(self, timeout: float = 60.0) -> None:
        """Starts every role at once and waits until each answers /healthz: the worker has
        then created the service's tables."""
        for role in self.roles.values():
            role.launch()
        deadline = time.monotonic() + timeout
        waiting = list(self.roles.values())
        try:
            while waiting and time.monotonic() < deadline:
                waiting = [r for r in waiting if not r.answers()]
                if waiting:
                    time.sleep(0.2)
            if waiting:
                logs = ", ".join(str(r.log_path) for r in waiting)
                raise TimeoutError(f"{self.name} did not start: see {logs}")
        except BaseException:
            # Leave no role running behind a failed start (one role exited, or one never
            # answered): nothing else would stop it.
            self.stop()
            raise

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stops (or kills, with SIGKILL) every role: the whole service."""
        for role in self.roles.values():
            role.stop(sig)


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def start_service(
    infra: Infra, logs: Path, collector: Collector
) -> Iterator[Callable[..., ServiceProcess]]:
    started: list[ServiceProcess] = []

    def start(
        name: str, roles: tuple[str, ...] = ("api", "worker"), **settings: str
    ) -> ServiceProcess:
        svc = ServiceProcess(name, infra, logs, collector.endpoint, roles, **settings)
        started.append(svc)
        svc.start()
        return svc

    yield start
    for svc in started:
        svc.stop()


class TestClock:
    """The time a service's deadline scheduler sees: tests move it instead of sleeping."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, now: datetime) -> None:
        assert now.tzinfo is not None
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(now.isoformat())
        tmp.replace(self.path)  # atomically: the scheduler never reads half a timestamp

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def clocks(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], TestClock]:
    folder = tmp_path_factory.mktemp("clocks")
    return lambda service: TestClock(folder / f"{service}.now")


def _with_test_clock(
    start_service: Callable[..., ServiceProcess], clocks: Callable[[str], TestClock], name: str
) -> ServiceProcess:
    return start_service(
        name,
        clock_file=str(clocks(name).path),
        scheduler_interval_seconds="0.2",
        # A poison message is parked after three quick attempts, not a minute of them.
        consumer_retry_attempts="3",
        consumer_retry_backoff_seconds="0.05",
    )


def _service_fixtures(name: str) -> tuple[Any, Any]:
    @pytest.fixture(scope="session", name=name)
    def started(
        start_service: Callable[..., ServiceProcess], clocks: Callable[[str], TestClock]
    ) -> ServiceProcess:
        return _with_test_clock(start_service, clocks, name)

    @pytest.fixture(name=f"{name}_http")
    async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
        service: ServiceProcess = request.getfixturevalue(name)
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as c:
            yield c

    return started, client


# Every service of the registry as a session fixture (`crm`: its API and worker, on the test
# clock) and an HTTP client of it (`crm_http`).
for _name in launcher.services():
    globals()[f"_{_name}"], globals()[f"_{_name}_http"] = _service_fixtures(_name)


@pytest.fixture
async def http(projects_http: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client of the first service, projects, under the short name its tests use."""
    return projects_http


async def eventually(
    fetch: Callable[[], Awaitable[V] | V],
    done: Callable[[V], object] = bool,
    within: float = 30.0,
) -> V:
    """Polls `fetch` until `done` holds of its value, for what follows a background step (a
    projector, a deadline check, a reaction, a span export); fails after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = fetch()
        if inspect.isawaitable(value):
            value = await value
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {within}s; last: {value!r}")
        await asyncio.sleep(0.1)


def auth(user: str, department: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(user, department, list(roles))}"}


def unique(prefix: str) -> str:
    return f"{prefix}-{time.time_ns()}"


async def read_topic(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ConsumerRecord]], bool],
    within: float = 60.0,
) -> list[ConsumerRecord]:
    """Reads a topic from the beginning, as an outside consumer would, until `done`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + within
        partitions: set[int] | None = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                await consumer._client.force_metadata_update()  # the topic may be brand new
                await asyncio.sleep(0.2)
        assert partitions, f"topic {topic} does not exist"
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for recs in batch.values():
                records.extend(recs)
            if done(records):
                return records
        raise TimeoutError(f"{topic}: condition not met after {within}s, {len(records)} read")
    finally:
        await consumer.stop()


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def by_subject(records: list[ConsumerRecord], *subjects: str) -> list[ConsumerRecord]:
    wanted = set(subjects)
    return [r for r in records if headers_of(r).get("ce_subject") in wanted]


def problem_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body


@pytest.fixture(scope="module")
def own_kafka(infra: Infra) -> Iterator[Infra]:
    """A broker of the module's own, on the shared PostgreSQL: for tests that stop the broker
    or run extra instances of a service (on a schema of their own), whose events on the
    service's topic must not mix with the session instance's, nor stop its consumers."""
    with state_folder("own-kafka") as state:
        kafka = launcher.Kafka(state)
        kafka.start()
        try:
            yield Infra(infra.database_url, kafka.bootstrap, kafka, state)
        finally:
            kafka.stop()
