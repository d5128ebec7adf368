"""What every section of `make bench` (bench.py) shares: the figures and their table, the
infrastructure, and the services started as in production."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import psutil
from bizdev_common.process import ROLES, ServiceProcess

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import launcher  # noqa: E402
import loadgen  # noqa: E402

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
    started = ServiceProcess(
        name,
        infra.database_url,
        infra.bootstrap,
        launcher.free_port(),
        launcher.free_port(),
        {
            "api_processes": str(api_processes),
            "db_schema": schema,
            "log_level": "WARNING",
            **settings,
        },
    )
    log = Path(tempfile.mkdtemp(prefix="bench-log-")) / f"{name}.log"
    out = log.open("ab")
    procs = {role: started.popen(role, stdout=out, stderr=out) for role in ROLES}
    url = started.url
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


BODY = json.loads(loadgen.BODY)
