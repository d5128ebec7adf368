"""`make bench`: the write path, the read path and their baselines, measured in one run on
one PostgreSQL and one Kafka (started here with deploy/local/launcher.py, as the tests do,
unless DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS are set).

    python benchmarks/bench.py            # full sizes: several minutes
    python benchmarks/bench.py --quick    # small sizes, under a minute: run by `make test`
    python benchmarks/bench.py --only http,queries

Every figure is printed beside its baseline and its target, and the whole table is saved as
JSON under .bench/ (ignored by git). It prints; it asserts nothing: timings depend on the
machine and on whatever else runs on it.

Sections:
- http: `POST /applications` over HTTP at 1, 8 and 32 concurrent clients, with one and two
  API processes; the load generator (benchmarks/loadgen.py) is a separate process whose own
  CPU time is shown. Its baseline (section eventstore), measured right before each: bare
  eventsourcing (its own Application and PostgreSQL recorder, default settings) saving an
  event the size of a drafted application, from 1 and 8 threads;
- relay: the outbox relay publishing N events, against a bare aiokafka producer sending the
  same records with the same settings in the same batches;
- projector: the projection applying those records, against bare asyncpg writing the same
  rows (version-guarded upserts plus the tracking row) in the same batch size;
- consumers: a projection and a reaction of another service's topic, where they ignore 90%
  of the records' types and where they handle every one, in CPU ms per record beside a bare
  aiokafka consumer reading the same records, and their CPU once idle;
- freshness: from a command's 2xx to the detail query answering with the new version, at
  50 and 200 commands/s;
- memory: resident memory of each service process under load;
- queries: list, filter, sort, deep page (by offset and by cursor) and text search (Chinese
  too) over HTTP, on a view filled with N rows by bare SQL, each against bare asyncpg running
  the plain SQL of that page (`ORDER BY ... LIMIT 20`, `OFFSET`, a row comparison for the
  cursor, `ILIKE` over the trigram index for a search) with no count, measured right after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import psutil
from eventsourcing.domain import Aggregate, event
from faststream.kafka.annotations import KafkaMessage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import launcher  # noqa: E402
import loadgen  # noqa: E402
from bizdev_projects.api.applications import APPLICATIONS  # noqa: E402

OUT = ROOT / ".bench"
SCHEMA = f"bench_{uuid4().hex[:6]}"
"""The projects service's schema in every section. One event log per topic: a consumer drops
an event whose ce_sequence it has passed, so two logs (schemas) publishing to one topic would
hide each other's events. For the same reason a run needs a topic no other run published to:
without DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS it starts its own Kafka."""


@dataclass(frozen=True)
class Sizes:
    seconds: float  # per HTTP measurement
    warmup: float
    clients: tuple[int, ...]
    api_processes: tuple[int, ...]
    threads: tuple[int, ...]
    pipeline_events: int
    rates: tuple[int, ...]
    rows: int
    query_runs: int


FULL = Sizes(8, 2, (1, 8, 32), (1, 2), (1, 8), 20_000, (50, 200), 1_000_000, 40)
QUICK = Sizes(1.5, 0.5, (1, 8), (1,), (1, 8), 1_000, (50,), 10_000, 8)


@dataclass
class Figure:
    section: str
    name: str
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline_value:
            return self.value / self.baseline_value
        return None


class Report:
    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.failures: dict[str, str] = {}

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(_row(figure), flush=True)
        return figure

    def fail(self, section: str, error: BaseException) -> None:
        """A section that failed says why, and the next one runs all the same."""
        self.failures[section] = why = _why(error)
        print(f"{section} | FAILED: {why}", flush=True)

    def table(self) -> str:
        return "\n".join(
            [
                HEADER,
                "|".join(["---"] * 7),
                *(_row(f) for f in self.figures),
                *(f"{s} | FAILED: {why}" for s, why in self.failures.items()),
            ]
        )


def _why(error: BaseException) -> str:
    why = f"{type(error).__name__}: {error}"
    if isinstance(error, subprocess.CalledProcessError) and error.stderr:
        # The load generator's own traceback: its last lines say what went wrong.
        tail = error.stderr.decode(errors="replace").strip().splitlines()[-3:]
        why += " -- " + " / ".join(line.strip() for line in tail)
    return why


HEADER = "section | figure | value | baseline (same run) | ratio | target | met"


def _fmt(v: float | None, unit: str = "") -> str:
    if v is None:
        return ""
    text = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    return f"{text} {unit}".strip()


def _row(f: Figure) -> str:
    ratio = f"{f.ratio:.0%}" if f.ratio is not None else ""
    base = f"{f.baseline} {_fmt(f.baseline_value, f.unit)}".strip()
    met = "" if f.met is None else "yes" if f.met else "NO"
    name = f"{f.name} ({f.note})" if f.note else f.name
    return " | ".join([f.section, name, _fmt(f.value, f.unit), base, ratio, f.target, met])


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- infrastructure and services -------------------------------------------------------------


@dataclass
class Infra:
    database_url: str
    bootstrap: str


@contextmanager
def infrastructure() -> Iterator[Infra]:
    url, bootstrap = os.environ.get("DATABASE_URL"), os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if url and bootstrap:
        yield Infra(url, bootstrap)
        return
    state = Path(tempfile.mkdtemp(prefix="bench-"))
    pg, kafka = launcher.Postgres(state), launcher.Kafka(state)
    pg.start()
    try:
        kafka.start()
        try:
            yield Infra(pg.url, kafka.bootstrap)
        finally:
            kafka.stop()
    finally:
        pg.stop()


@dataclass
class Service:
    url: str
    procs: dict[str, subprocess.Popen[bytes]]
    log: Path
    schema: str

    def processes(self) -> dict[str, list[psutil.Process]]:
        """The service's processes by kind, for their resident memory."""
        kinds: dict[str, list[psutil.Process]] = {}
        for role, p in self.procs.items():
            top = psutil.Process(p.pid)
            children = top.children(recursive=True)
            if children:  # uvicorn's supervisor and its API processes
                kinds.setdefault("supervisor", []).append(top)
                kinds.setdefault(role, []).extend(children)
            else:
                kinds.setdefault(role, []).append(top)
        return kinds

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def start_service(
    infra: Infra, name: str, api_processes: int, schema: str, **settings: str
) -> Service:
    """Starts one service as it runs in production, configured through its environment: one
    `bizdev-<name> worker` (relay, projectors, reactions) and `bizdev-<name> api` with
    `api_processes` processes sharing its port."""
    port = launcher.free_port()
    prefix = f"BIZDEV_{name.upper()}_"
    env = {
        **os.environ,
        f"{prefix}DATABASE_URL": infra.database_url,
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
        f"{prefix}HTTP_HOST": "127.0.0.1",
        f"{prefix}HTTP_PORT": str(port),
        f"{prefix}WORKER_HTTP_PORT": str(launcher.free_port()),
        f"{prefix}API_PROCESSES": str(api_processes),
        f"{prefix}DB_SCHEMA": schema,
        f"{prefix}LOG_LEVEL": "WARNING",
        **{f"{prefix}{k.upper()}": v for k, v in settings.items()},
    }
    script = str(Path(sys.executable).parent / f"bizdev-{name}")
    log = Path(tempfile.mkdtemp(prefix="bench-log-")) / f"{name}.log"
    out = log.open("ab")
    procs = {
        role: subprocess.Popen([script, role], env=env, stdout=out, stderr=out)
        for role in ("worker", "api")
    }
    url = f"http://127.0.0.1:{port}"
    service = Service(url, procs, log, schema)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs.values()):
            service.stop()
            raise RuntimeError(f"{name} exited: see {log}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).json().get("checks", {}).get("kafka") == "ok":
                break
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.3)
    else:
        service.stop()
        raise TimeoutError(f"{name} did not become ready: see {log}")
    caught_up(service, deadline)
    return service


def caught_up(service: Service, deadline: float) -> None:
    """Waits until the service's views have caught up with its topic: a new schema's
    projector first reads every event already there (earlier sections', earlier runs')."""
    headers = {"Authorization": f"Bearer {token()}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as client:
        accepted = client.post("/applications", json=BODY).raise_for_status().json()
        path = f"/applications/{accepted['id']}?min_version={accepted['version']}"
        while time.monotonic() < deadline + 300:
            if client.get(path).status_code == 200:
                return
    service.stop()
    raise TimeoutError(f"the views of {service.schema} did not catch up: see {service.log}")


def token() -> str:
    from bizdev_common.auth import issue_token

    return issue_token("bench", "sales", ["employee"])


def run_loadgen(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(Path(loadgen.__file__)), *args],
        check=True,
        capture_output=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


# --- eventstore: the bare library ------------------------------------------------------------

BODY = json.loads(loadgen.BODY)


class Proposal(Aggregate):
    """What a drafted application's event carries, as a bare eventsourcing aggregate."""

    @event("Drafted")
    def __init__(
        self,
        title: str,
        background: str,
        target_customers: str,
        preliminary_plan: str,
        amount: str,
        currency: str,
        department: str,
        applicant: str,
        lead_id: UUID | None,
        customer_id: UUID | None,
        state: str,
    ) -> None:
        self.title = title
        self.background = background
        self.target_customers = target_customers
        self.preliminary_plan = preliminary_plan
        self.amount = amount
        self.currency = currency
        self.department = department
        self.applicant = applicant
        self.lead_id = lead_id
        self.customer_id = customer_id
        self.state = state


def bare_eventsourcing(infra: Infra, threads: int, seconds: float) -> tuple[float, list[float]]:
    """Saves/s and per-save latencies of the bare library, each thread saving new aggregates
    with one event carrying what a drafted application carries."""
    from eventsourcing.application import Application

    class Bare(Application[UUID]):
        name = "bare"

    from bizdev_common.settings import ServiceSettings

    db = ServiceSettings(service="bench", database_url=infra.database_url).db
    schema = f"bench_bare_{uuid4().hex[:6]}"
    import psycopg

    with psycopg.connect(infra.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    app = Bare(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": db["dbname"],
            "POSTGRES_HOST": db["host"],
            "POSTGRES_PORT": db["port"],
            "POSTGRES_USER": db["user"],
            "POSTGRES_PASSWORD": db["password"],
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_POOL_SIZE": str(threads),
            "CREATE_TABLE": "yes",
        }
    )
    fields = {
        **{k: v for k, v in BODY.items() if k != "expected_revenue"},
        "amount": BODY["expected_revenue"]["amount"],
        "currency": BODY["expected_revenue"]["currency"],
        "department": "sales",
        "applicant": "bench",
        "lead_id": None,
        "customer_id": None,
        "state": "draft",
    }
    latencies: list[list[float]] = [[] for _ in range(threads)]
    go = threading.Event()
    end = [0.0]

    def work(mine: list[float]) -> None:
        go.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= end[0]:
                return
            app.save(Proposal(**fields))
            mine.append(time.perf_counter() - t0)

    workers = [threading.Thread(target=work, args=(lat,)) for lat in latencies]
    for w in workers:
        w.start()
    for _ in range(20):  # warm the pool's connections
        app.save(Proposal(**fields))
    end[0] = time.perf_counter() + seconds
    go.set()
    for w in workers:
        w.join()
    app.close()
    flat = [x for lat in latencies for x in lat]
    return len(flat) / seconds, flat


def section_eventstore(report: Report, infra: Infra, sizes: Sizes) -> dict[int, float]:
    rates = {}
    for threads in sizes.threads:
        rate, lat = bare_eventsourcing(infra, threads, max(sizes.seconds, 1.0))
        rates[threads] = rate
        report.add(
            Figure(
                "eventstore",
                f"bare eventsourcing, {threads} thread(s)",
                rate,
                "saves/s",
                note=f"p50 {pct(lat, 0.5) * 1000:.1f} ms, p99 {pct(lat, 0.99) * 1000:.1f} ms",
            )
        )
    return rates


# --- http ------------------------------------------------------------------------------------


def section_http(report: Report, infra: Infra, sizes: Sizes, memory: dict[str, float]) -> None:
    for processes in sizes.api_processes:
        service = start_service(infra, "projects", processes, SCHEMA)
        try:
            # The baseline right before, with the service idle: on a shared machine the load
            # of other work drifts over a run, and a ratio of figures minutes apart drifts too.
            bare = section_eventstore(report, infra, sizes)
            rates: dict[int, float] = {}
            for clients in sizes.clients:
                sampler = MemorySampler(service)
                api_cpu = ApiCpu(service, sizes.warmup)
                with sampler, api_cpu, profiled(service, clients, sizes):
                    r = run_loadgen(
                        "closed",
                        service.url,
                        token(),
                        "--clients",
                        str(clients),
                        "--seconds",
                        str(sizes.seconds),
                        "--warmup",
                        str(sizes.warmup),
                    )
                for kind, rss in sampler.peak.items():
                    key = f"{kind} ({processes} API process{'es' if processes > 1 else ''})"
                    memory[key] = max(memory.get(key, 0.0), rss)
                lat = r["latencies"]
                rate = len(lat) / r["seconds"]
                cpu_ms = api_cpu.seconds * 1000 / len(lat) if lat else float("nan")
                base_threads = 8 if clients >= 8 else 1
                base = bare.get(base_threads)
                rates[clients] = rate
                target, met = "", None
                if clients == 8 and base:
                    target, met = ">= 60% of bare at 8 threads", rate >= 0.6 * base
                elif clients > 8 and 8 in rates:
                    # More clients must never mean fewer commands (issue 19).
                    target, met = "at least 8 clients' rate", rate >= rates[8]
                report.add(
                    Figure(
                        "http",
                        f"POST /applications, {clients} client(s), {processes} API process(es)",
                        rate,
                        "cmd/s",
                        f"bare eventsourcing {base_threads} thread(s)",
                        base,
                        target,
                        met,
                        note=(
                            f"p50 {pct(lat, 0.5) * 1000:.1f} ms, p99 {pct(lat, 0.99) * 1000:.1f}"
                            f" ms, {r['errors']} errors; API CPU {cpu_ms:.2f} ms per command"
                            f" (target <= 1.2 ms); load generator CPU "
                            f"{r['cpu_seconds'] / r['seconds']:.0%} of a core"
                        ),
                        extra={
                            "p50_ms": pct(lat, 0.5) * 1000,
                            "p99_ms": pct(lat, 0.99) * 1000,
                            "loadgen_cpu_share": r["cpu_seconds"] / r["seconds"],
                            "api_cpu_ms_per_command": cpu_ms,
                        },
                    )
                )
        finally:
            service.stop()


class ApiCpu:
    """CPU time of the service's API processes (every one, not their supervisor) over the
    load generator's measured window, which starts after its warm-up."""

    def __init__(self, service: Service, warmup: float) -> None:
        self.service = service
        self.warmup = warmup
        self.seconds = 0.0
        self._from: float | None = None
        self._timer = threading.Timer(warmup, self._start)

    def _cpu(self) -> float:
        return sum(sum(p.cpu_times()[:2]) for p in self.service.processes().get("api", []))

    def _start(self) -> None:
        self._from = self._cpu()

    def __enter__(self) -> ApiCpu:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.join()
        if self._from is not None:
            self.seconds = self._cpu() - self._from


@contextmanager
def profiled(service: Service, clients: int, sizes: Sizes) -> Iterator[None]:
    """With BENCH_PROFILE=DIR, py-spy samples each API process's thread holding the GIL over
    the measured window (collapsed stacks in DIR/api-<clients>c-<pid>.txt)."""
    out = os.environ.get("BENCH_PROFILE")
    if not out:
        yield
        return
    Path(out).mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).parent / "py-spy")
    recorders: list[subprocess.Popen[bytes]] = []

    def record() -> None:
        for p in service.processes().get("api", []):
            recorders.append(
                subprocess.Popen(
                    [
                        *(spy, "record", "--pid", str(p.pid), "--gil", "--nonblocking"),
                        *("--duration", str(int(sizes.seconds)), "--format", "raw"),
                        *("--output", f"{out}/api-{clients}c-{p.pid}.txt"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    timer = threading.Timer(sizes.warmup, record)
    timer.start()
    try:
        yield
    finally:
        timer.join()
        for r in recorders:
            r.wait()


class MemorySampler:
    """Peak resident memory of each kind of the service's processes while load runs."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.peak: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            with_kinds = self.service.processes()
            for kind, procs in with_kinds.items():
                for p in procs:
                    try:
                        rss = p.memory_info().rss / 2**20
                    except psutil.Error:
                        continue
                    self.peak[kind] = max(self.peak.get(kind, 0.0), rss)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def section_memory(report: Report, memory: dict[str, float]) -> None:
    for kind, rss in sorted(memory.items()):
        api = kind.split(" ")[0] == "api"
        report.add(
            Figure(
                "memory",
                f"resident, one {kind} process, peak under load",
                rss,
                "MB",
                target="API process <= 150 MB" if api else "",
                met=(rss <= 150) if api else None,
            )
        )


# --- relay and projector ---------------------------------------------------------------------


async def fill_event_store(settings: Any, n: int) -> Any:
    from bizdev_common.domain import Actor, Money, Role
    from bizdev_projects.application import ProjectsApplication

    app = await asyncio.to_thread(ProjectsApplication, settings)
    actor = Actor("bench", "sales", frozenset({Role.EMPLOYEE}))

    def draft(count: int) -> None:
        for _ in range(count):
            app.draft_application(
                actor,
                title=BODY["title"],
                background=BODY["background"],
                target_customers=BODY["target_customers"],
                expected_revenue=Money(Decimal(BODY["expected_revenue"]["amount"]), "CNY"),
                preliminary_plan=BODY["preliminary_plan"],
                lead_id=None,
                customer_id=None,
            )

    threads = 8
    await asyncio.gather(*(asyncio.to_thread(draft, n // threads) for _ in range(threads)))
    return app


async def partitions_of(consumer: Any, topic: str) -> list[Any]:
    from aiokafka import TopicPartition

    await consumer._client.add_topic(topic)  # fetches its metadata, if the topic exists
    return [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]


async def end_offsets(bootstrap: str, topic: str) -> dict[Any, int]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = await partitions_of(consumer, topic)
        return dict(await consumer.end_offsets(tps)) if tps else {}
    finally:
        await consumer.stop()


async def read_records(bootstrap: str, topic: str, start: dict[Any, int], n: int) -> list[Any]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await partitions_of(consumer, topic)
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, start.get(tp, 0))
        records: list[Any] = []
        deadline = time.monotonic() + 60
        while len(records) < n and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def section_pipeline(report: Report, infra: Infra, sizes: Sizes) -> None:
    from aiokafka import AIOKafkaProducer
    from bizdev_common.observability import setup_tracing
    from bizdev_common.relay import OutboxRelay
    from bizdev_common.settings import ServiceSettings
    from bizdev_projects.contract import CONTRACT

    # As the worker runs it: the SDK's tracer provider makes every span, exported or not.
    setup_tracing("projects", "worker")
    n = sizes.pipeline_events
    settings = ServiceSettings(
        service="projects",
        database_url=infra.database_url,
        kafka_bootstrap_servers=infra.bootstrap,
        db_schema=SCHEMA,
    )
    app = await fill_event_store(settings, n)
    before = await end_offsets(infra.bootstrap, CONTRACT.topic)

    relay = OutboxRelay(app, CONTRACT, settings)
    stopping = asyncio.Event()
    start = time.perf_counter()
    task = asyncio.create_task(relay.run(stopping))
    while relay.published < n:  # noqa: ASYNC110 - the relay counts; nothing to await
        await asyncio.sleep(0.002)
    relay_seconds = time.perf_counter() - start
    stopping.set()
    await task
    await asyncio.to_thread(app.close)

    records = await read_records(infra.bootstrap, CONTRACT.topic, before, n)
    records.sort(key=lambda r: int(dict(r.headers)["ce_sequence"]))

    bare_topic = f"bench.bare.{SCHEMA}"
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        client_id="bench-bare",
    )
    start = time.perf_counter()
    await producer.start()
    for i in range(0, len(records), settings.relay_batch_size):
        acks = [
            await producer.send(bare_topic, value=r.value, key=r.key, headers=list(r.headers))
            for r in records[i : i + settings.relay_batch_size]
        ]
        await asyncio.gather(*acks)
    bare_seconds = time.perf_counter() - start
    await producer.stop()
    relay_rate, bare_rate = n / relay_seconds, len(records) / bare_seconds
    c_rate = bare_librdkafka(infra.bootstrap, f"{bare_topic}.c", records, settings.relay_batch_size)
    report.add(
        Figure(
            "relay",
            f"outbox relay, {n} events",
            relay_rate,
            "events/s",
            "bare aiokafka producer",
            bare_rate,
            ">= 10,000/s and >= 50% of bare",
            relay_rate >= 10_000 and relay_rate >= 0.5 * bare_rate,
            note=f"batches of {settings.relay_batch_size}, acks=all, idempotent, linger 5 ms",
        )
    )
    report.add(
        Figure(
            "relay",
            "bare confluent-kafka producer (librdkafka, in C), the same records",
            c_rate,
            "events/s",
            "bare aiokafka producer",
            bare_rate,
            note="same settings, murmur2 partitioner",
        )
    )

    # Its own views: the service sections' projector builds the service schema's.
    await section_projector(report, infra, f"{SCHEMA}_views", settings, records)
    await section_consumers(report, infra, records)


def bare_librdkafka(bootstrap: str, topic: str, records: list[Any], batch: int) -> float:
    """Events/s of a producer written in C sending the records as the bare aiokafka one does,
    for what the relay would gain from it: each batch waits for every acknowledgement."""
    from confluent_kafka import Producer

    failed: list[Any] = []

    def delivered(error: Any, _: Any) -> None:
        if error is not None:
            failed.append(error)

    start = time.perf_counter()
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "partitioner": "murmur2_random",  # Kafka's Java client's, as aiokafka's
            "client.id": "bench-bare-c",
        }
    )
    for i in range(0, len(records), batch):
        for r in records[i : i + batch]:
            producer.produce(topic, r.value, r.key, headers=list(r.headers), on_delivery=delivered)
        producer.flush()
    seconds = time.perf_counter() - start
    if failed:
        raise RuntimeError(f"librdkafka: {len(failed)} records not delivered: {failed[0]}")
    return len(records) / seconds


async def section_projector(
    report: Report, infra: Infra, schema: str, settings: Any, records: list[Any]
) -> None:
    import asyncpg
    from bizdev_projects.projections.applications import Applications

    batch = settings.projector_batch_size
    # The applications' family: the records are applications, its rows what bare writes.
    views = Applications(schema)
    conn = await asyncpg.connect(infra.database_url)
    try:
        await views.create(conn)
        start = time.perf_counter()
        applied = 0
        for i in range(0, len(records), batch):
            applied += await views.apply_batch(conn, records[i : i + batch])
        projector_seconds = time.perf_counter() - start

        table = f'"{schema}".applications'
        rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY updated_at")
        columns = list(rows[0].keys())
        bare_table = f'"{schema}".bare_applications'
        await conn.execute(f"CREATE TABLE {bare_table} (LIKE {table} INCLUDING ALL)")
        await conn.execute(
            f'CREATE TABLE "{schema}".bare_tracking (id int PRIMARY KEY, position bigint NOT NULL)'
        )
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "id")
        insert = (
            f"INSERT INTO {bare_table} AS v ({', '.join(columns)}) VALUES "
            f"({', '.join(f'${i}' for i in range(1, len(columns) + 1))}) "
            f"ON CONFLICT (id) DO UPDATE SET {sets} WHERE v.version < EXCLUDED.version"
        )
        track = (
            f'INSERT INTO "{schema}".bare_tracking VALUES (1, $1) '
            "ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position"
        )
        values = [tuple(r.values()) for r in rows]
        start = time.perf_counter()
        for i in range(0, len(values), batch):
            async with conn.transaction():
                await conn.executemany(insert, values[i : i + batch])
                await conn.execute(track, i)
        bare_seconds = time.perf_counter() - start
    finally:
        await conn.close()
    rate, bare_rate = applied / projector_seconds, len(values) / bare_seconds
    report.add(
        Figure(
            "projector",
            f"projection apply, {applied} events",
            rate,
            "events/s",
            "bare asyncpg, same rows",
            bare_rate,
            ">= 10,000/s and >= 50% of bare",
            rate >= 10_000 and rate >= 0.5 * bare_rate,
            note=f"batches of {batch}, one transaction each, with the view's indexes",
        )
    )


# --- consumers of another service's topic ----------------------------------------------------

IGNORED_SHARE = 0.9


async def mixed_topic(bootstrap: str, service: str, records: list[Any], handled_every: int) -> str:
    """Another service's topic holding the relay's records, renamed to `service`'s types: one in
    `handled_every` of type Handled, which the consumers below read, the rest of a type they
    ignore."""
    from aiokafka import AIOKafkaProducer
    from bizdev_common.contract import topic_for

    topic = topic_for(service)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        acks = []
        for i, r in enumerate(records):
            kind = "Handled" if i % handled_every == 0 else "Ignored"
            headers = [
                (k, f"bizdev.{service}.{kind}.v1".encode() if k == "ce_type" else v)
                for k, v in r.headers
            ]
            acks.append(await producer.send(topic, value=r.value, key=r.key, headers=headers))
        await asyncio.gather(*acks)
    finally:
        await producer.stop()
    return topic


@dataclass
class CpuWindow:
    """Process CPU from the first record a consumer is handed until it has seen `n`."""

    n: int
    seen: int = 0
    cpu_start: float | None = None
    cpu_end: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def begin(self) -> None:
        if self.cpu_start is None:
            self.cpu_start = time.process_time()

    def end(self, count: int) -> None:
        self.seen += count
        if self.seen >= self.n and self.cpu_end is None:
            self.cpu_end = time.process_time()
            self.done.set()

    @property
    def ms_per_event(self) -> float:
        assert self.cpu_start is not None
        assert self.cpu_end is not None
        return (self.cpu_end - self.cpu_start) * 1000 / self.n


def _batch_size(msg: Any) -> int:
    raw = msg.raw_message
    return len(raw) if isinstance(raw, tuple | list) else 1


async def bare_consumer_cpu(
    bootstrap: str, topic: str, n: int, idle_seconds: float
) -> tuple[float, float]:
    """A bare aiokafka consumer reading the topic from the start, looking at each record's
    ce_type: CPU ms per record; then its CPU once caught up, in % of a core, fetching with
    the 500 ms wait the services' consumers of other topics use."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bare-{uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    window = CpuWindow(n)
    types: dict[bytes, int] = {}
    try:
        while not window.done.is_set():
            batch = await consumer.getmany(timeout_ms=1000, max_records=200)
            if batch:
                window.begin()
            for recs in batch.values():
                for r in recs:
                    for k, v in r.headers:
                        if k == "ce_type":
                            types[v] = types.get(v, 0) + 1
                window.end(sum(map(len, batch.values())))
            if batch:
                await consumer.commit()
        cpu, until = time.process_time(), time.monotonic() + idle_seconds
        while time.monotonic() < until:
            await consumer.getmany(timeout_ms=500, max_records=200)
        idle = (time.process_time() - cpu) / idle_seconds * 100
    finally:
        await consumer.stop()
    return window.ms_per_event, idle


async def service_consumers_cpu(
    infra: Infra, service: str, n: int, idle_seconds: float
) -> dict[str, float]:
    """CPU ms per record of a projection and of a reaction reading `service`'s topic, each
    alone, in a broker set up as a worker's (service.kafka_broker); and the CPU of both
    once idle, in % of a core."""
    import asyncpg
    from bizdev_common.contract import EventContract, PublicEvent
    from bizdev_common.deadletters import DeadLetters
    from bizdev_common.projector import Projection, Projector
    from bizdev_common.reactions import Reaction, ReactionRunner
    from bizdev_common.service import kafka_broker
    from bizdev_common.settings import ServiceSettings
    from bizdev_projects.application import ProjectsApplication
    from prometheus_client import CollectorRegistry

    class Handled(PublicEvent):
        title: str

    contract = EventContract.reading(service, Handled)
    schema = f"{SCHEMA}_{service}"

    class Reader(Projection):
        name = "reader"
        tables = ("handled",)
        ddl = ("CREATE TABLE IF NOT EXISTS {schema}.handled (id uuid PRIMARY KEY, title text)",)

        async def apply(self, conn: Any, event: Any, envelope: Any) -> None:
            await conn.execute(
                f"INSERT INTO {self.t['handled']} VALUES ($1, $2) ON CONFLICT DO NOTHING",
                event.aggregate_id,
                event.title,
            )

    class Reacting(Reaction):
        name = "reacting"
        upstream = (contract,)

        def react(self, app: Any, event: Any, envelope: Any) -> Any:
            return ()

    windows = {"projection": CpuWindow(n), "reaction": CpuWindow(n)}
    registry = CollectorRegistry()

    class TimedProjector(Projector):
        async def _handle(self, body: Any, msg: KafkaMessage) -> None:
            windows["projection"].begin()
            await super()._handle(body, msg)
            windows["projection"].end(_batch_size(msg))

    class TimedReactions(ReactionRunner):
        async def _handle(self, body: Any, msg: KafkaMessage) -> None:
            windows["reaction"].begin()
            await super()._handle(body, msg)
            windows["reaction"].end(_batch_size(msg))

    settings = ServiceSettings(
        service="projects",
        database_url=infra.database_url,
        kafka_bootstrap_servers=infra.bootstrap,
        db_schema=schema,
    )
    app = await asyncio.to_thread(ProjectsApplication, settings)
    pool = await asyncpg.create_pool(infra.database_url, min_size=1, max_size=4)
    figures: dict[str, float] = {}
    try:
        dead_letters = DeadLetters(settings, registry)
        for kind in ("projection", "reaction"):
            broker = kafka_broker(settings, registry)
            async with pool.acquire() as conn:
                await dead_letters.create(conn)
                projection = Reader(schema, [contract])
                await projection.create(conn)
            if kind == "projection":
                TimedProjector(broker, pool, projection, settings, dead_letters)
            else:
                TimedReactions(broker, app, Reacting(), settings, dead_letters)
            await broker.start()
            try:
                await asyncio.wait_for(windows[kind].done.wait(), 120)
                figures[kind] = windows[kind].ms_per_event
                cpu = time.process_time()
                await asyncio.sleep(idle_seconds)
                figures[f"{kind} idle"] = (time.process_time() - cpu) / idle_seconds * 100
            finally:
                await broker.stop()
        await dead_letters.close()
    finally:
        await pool.close()
        await asyncio.to_thread(app.close)
    return figures


async def section_consumers(report: Report, infra: Infra, records: list[Any]) -> None:
    n = len(records)
    for label, service, every in (
        (
            f"{IGNORED_SHARE:.0%} of types ignored",
            f"mix{SCHEMA[-6:]}",
            round(1 / (1 - IGNORED_SHARE)),
        ),
        ("every type handled", f"all{SCHEMA[-6:]}", 1),
    ):
        topic = await mixed_topic(infra.bootstrap, service, records, every)
        bare, bare_idle = await bare_consumer_cpu(infra.bootstrap, topic, n, idle_seconds=3.0)
        figures = await service_consumers_cpu(infra, service, n, idle_seconds=3.0)
        for kind in ("projection", "reaction"):
            report.add(
                Figure(
                    "consumers",
                    f"{kind} of another service's topic, {label}",
                    figures[kind],
                    "ms CPU/event",
                    "bare aiokafka consumer, same records",
                    bare,
                    "",
                    note=f"{n} events",
                )
            )
        if every == 1:
            continue
        for kind in ("projection", "reaction"):
            report.add(
                Figure(
                    "consumers",
                    f"{kind}, idle after catching up",
                    figures[f"{kind} idle"],
                    "% of a core",
                    "bare aiokafka consumer idle, 500 ms fetch wait",
                    bare_idle,
                    "",
                )
            )


def run_like_a_service(main: Any) -> Any:
    """On uvloop, as uvicorn runs the services (and so their relay and projectors)."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


# --- freshness -------------------------------------------------------------------------------


def section_freshness(report: Report, infra: Infra, sizes: Sizes) -> None:
    service = start_service(infra, "projects", 1, SCHEMA)
    try:
        for rate in sizes.rates:
            r = run_loadgen(
                "fresh",
                service.url,
                token(),
                "--rate",
                str(rate),
                "--seconds",
                str(max(sizes.seconds, 3.0)),
                "--warmup",
                str(sizes.warmup),
            )
            fresh = r["freshness"]
            p99 = pct(fresh, 0.99) * 1000
            report.add(
                Figure(
                    "freshness",
                    f"2xx -> detail query answers, {rate} commands/s",
                    p99,
                    "ms p99",
                    target="p99 <= 250 ms at 50/s" if rate == 50 else "",
                    met=(p99 <= 250) if rate == 50 else None,
                    note=(
                        f"p50 {pct(fresh, 0.5) * 1000:.0f} ms; achieved "
                        f"{r['achieved_rate']:.0f}/s, {r['errors']} errors {r['error_statuses']}; "
                        "command p50 "
                        f"{pct(r['command_latencies'], 0.5) * 1000:.1f} ms"
                    ),
                    extra={"p50_ms": pct(fresh, 0.5) * 1000},
                )
            )
    finally:
        service.stop()


# --- queries ---------------------------------------------------------------------------------

FILL = """
INSERT INTO {t} (id, version, state, title, department, applicant, background,
    target_customers, expected_revenue_amount, expected_revenue_currency, preliminary_plan,
    created_at, updated_at)
SELECT md5('bench' || i)::uuid, 1,
    (ARRAY['draft','submitted','department_reviewed','approved','rejected'])[1 + i % 5],
    (ARRAY['Smart factory retrofit','Cold chain logistics','Solar rooftop leasing',
           '智能制造改造','冷链物流平台','屋顶光伏租赁','Hospital IT upgrade'])[1 + i % 7]
        || ' #' || i,
    (ARRAY['sales','market','finance','operations','research'])[1 + (i / 7) % 5],
    'user' || (i % 5000),
    'Background ' || md5(i::text) || ' 客户' || (ARRAY['希望分阶段实施','要求降低能耗',
        '计划扩大产能'])[1 + i % 3],
    'Customers in region ' || (i % 97),
    (i % 100000) * 10,
    'CNY',
    'Plan ' || md5((i * 7)::text),
    now() - make_interval(secs => i),
    now() - make_interval(secs => i)
FROM generate_series(1, {n}) AS i
"""


def section_queries(report: Report, infra: Infra, sizes: Sizes) -> None:
    service = start_service(infra, "projects", 1, SCHEMA)
    try:
        fill_started = time.perf_counter()

        async def fill() -> None:
            import asyncpg

            conn = await asyncpg.connect(infra.database_url)
            try:
                table = f'"{service.schema}".applications'
                await conn.execute(FILL.format(t=table, n=sizes.rows))
                await conn.execute(f"VACUUM ANALYZE {table}")
            finally:
                await conn.close()

        asyncio.run(fill())
        fill_seconds = time.perf_counter() - fill_started
        n = sizes.rows
        headers = {"Authorization": f"Bearer {token()}"}
        client = httpx.Client(base_url=service.url, headers=headers, timeout=60)
        middle = client.get(f"/applications?limit=20&offset={n // 2}").json()
        order = "ORDER BY updated_at DESC, id DESC LIMIT 20"
        text = APPLICATIONS.search_text

        def like(term: str) -> tuple[str, list[Any]]:
            return f"WHERE ({text}) ILIKE $1 {order}", [f"%{term}%"]

        last = middle["items"][-1]
        # name: (the API's query string, the bare SQL after `SELECT * FROM view` and its args)
        queries: dict[str, tuple[str, tuple[str, list[Any]]]] = {
            "list, newest first": ("", (order, [])),
            "filter state + department": (
                "state=submitted&department=sales",
                (f"WHERE state = 'submitted' AND department = 'sales' {order}", []),
            ),
            "filter applicant": ("applicant=user42", (f"WHERE applicant = 'user42' {order}", [])),
            "sort by title": ("sort=title", ("ORDER BY title, id LIMIT 20", [])),
            "sort by revenue, descending": (
                "sort=-expected_revenue_amount",
                ("ORDER BY expected_revenue_amount DESC, id DESC LIMIT 20", []),
            ),
            "deep page (offset n/2)": (f"offset={n // 2}", (f"{order} OFFSET {n // 2}", [])),
            "deep page (cursor at n/2)": (
                f"cursor={middle['next_cursor']}",
                (
                    f"WHERE (updated_at, id) < ($1, $2) {order}",
                    [datetime.fromisoformat(last["updated_at"]), UUID(last["id"])],
                ),
            ),
            "search 'factory' (1 in 7)": ("q=factory", like("factory")),
            "search '智能制造' (1 in 7)": ("q=智能制造", like("智能制造")),
            "search '降低能耗' (1 in 3)": ("q=降低能耗", like("降低能耗")),
            "search 'region 42' (1 in 97)": ("q=region 42", like("region 42")),
            "search a rare one ('#<n-3>')": (f"q=%23{n - 3}", like(f"#{n - 3}")),
            "search, no match": ("q=nothing-matches-this", like("nothing-matches-this")),
        }

        async def bare(sql: str, args: list[Any]) -> list[float]:
            import asyncpg

            conn = await asyncpg.connect(infra.database_url)
            try:
                statement = f'SELECT * FROM "{service.schema}".applications {sql}'
                await conn.fetch(statement, *args)
                timings = []
                for _ in range(sizes.query_runs):
                    t0 = time.perf_counter()
                    await conn.fetch(statement, *args)
                    timings.append(time.perf_counter() - t0)
                return timings
            finally:
                await conn.close()

        try:
            for name, (query, (sql, args)) in queries.items():
                path = f"/applications?limit=20&{query}"
                first = client.get(path)
                if first.status_code != 200:
                    raise RuntimeError(f"{path}: {first.status_code} {first.text}")
                timings = []
                for _ in range(sizes.query_runs):
                    t0 = time.perf_counter()
                    r = client.get(path)
                    timings.append(time.perf_counter() - t0)
                    r.raise_for_status()
                baseline = pct(asyncio.run(bare(sql, args)), 0.99) * 1000
                body = first.json()
                p99 = pct(timings, 0.99) * 1000
                estimated = " (estimated)" if body.get("total_estimated") else ""
                report.add(
                    Figure(
                        "queries",
                        f"{name}, {n:,} rows",
                        p99,
                        "ms p99",
                        baseline="bare asyncpg SQL, no count",
                        baseline_value=baseline,
                        target="p99 <= 50 ms",
                        met=p99 <= 50,
                        note=(
                            f"p50 {pct(timings, 0.5) * 1000:.1f} ms, total "
                            f"{body['total']}{estimated}, {len(body['items'])} items"
                        ),
                        extra={"p50_ms": pct(timings, 0.5) * 1000, "path": path},
                    )
                )
        finally:
            client.close()
        print(f"(view filled with {n:,} rows by SQL in {fill_seconds:.0f} s)", flush=True)
    finally:
        service.stop()


# --- main ------------------------------------------------------------------------------------

SECTIONS = ("relay", "http", "freshness", "memory", "queries")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--events", type=int, help="events through the relay and projector")
    parser.add_argument("--rows", type=int, help="rows of the view the queries run on")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.events:
        sizes = replace(sizes, pipeline_events=args.events)
    if args.rows:
        sizes = replace(sizes, rows=args.rows)
    only = set(args.only.split(","))
    report = Report()
    started = time.perf_counter()
    print(HEADER, flush=True)
    with infrastructure() as infra:
        memory: dict[str, float] = {}
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("relay", lambda: run_like_a_service(section_pipeline(report, infra, sizes))),
            ("http", lambda: section_http(report, infra, sizes, memory)),
            ("freshness", lambda: section_freshness(report, infra, sizes)),
            ("memory", lambda: section_memory(report, memory)),
            ("queries", lambda: section_queries(report, infra, sizes)),
        ]
        for name, step in steps:
            if name in only:
                try:
                    step()
                except Exception as e:  # noqa: BLE001 - one section's failure must not hide the others'
                    report.fail(name, e)
    elapsed = time.perf_counter() - started
    print(f"\n{report.table()}\n\n({'quick' if args.quick else 'full'} run, {elapsed:.0f} s)")
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    doc = {
        "when": stamp,
        "quick": args.quick,
        "seconds": elapsed,
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "figures": [asdict(f) | {"ratio": f.ratio} for f in report.figures],
        "failures": report.failures,
    }
    for path in (OUT / f"{stamp}{'-quick' if args.quick else ''}.json", OUT / "latest.json"):
        path.write_text(json.dumps(doc, indent=2, default=str))
    print(f"saved {OUT / 'latest.json'}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
