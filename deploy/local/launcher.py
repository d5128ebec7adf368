"""`make up`: a real Apache Kafka broker and a real PostgreSQL server as native processes
(servers.py), then every service's worker and API as bizdev_common.process starts them.

Every process is stopped through its own pid (Kafka's from our pid file, PostgreSQL's
through `pg_ctl`, which reads postmaster.pid), never by name, so that two checkouts on one
machine never stop each other.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import console
import proxy
from bizdev_common import days, process
from bizdev_common.process import Service, ServiceProcess
from servers import Kafka, Postgres, ensure_kafka_jars, free_port

__all__ = ["Kafka", "Postgres", "Service", "free_port", "services"]

ROOT = Path(__file__).resolve().parents[2]
DEMO_TIME_ZONE = "Asia/Shanghai"
"""Where the company of `make up` and `make demo` works, unless the shell sets
BIZDEV_COMPANY_TIME_ZONE."""


def services() -> dict[str, Service]:
    """Every service of this checkout (bizdev_common.process.services): a service is its
    folder."""
    return process.services(ROOT)


LOCAL_FRONTENDS = [
    f"http://{host}:{port}" for host in ("localhost", "127.0.0.1") for port in (3000, 5173, 8080)
]
"""Where a frontend under development runs (Vite, CRA/Next, a static server): the browser
origins `make up` lets call the services."""


# --- the whole system -------------------------------------------------------------------------


def _read_ports(state: Path) -> dict[str, int]:
    f = state / "ports"
    if not f.exists():
        return {}
    return {k: int(v) for k, v in (line.split("=") for line in f.read_text().split())}


def dev_secret(state: Path, key: str) -> Path:
    """A secret a service reads from a file (crm's key-encryption key) for this state folder:
    random, made once, readable by the user only, so that the dev database beside it is as
    useless without it as production's."""
    path = state / key
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
    return path


def connection_budget(names: Sequence[str]) -> tuple[int, list[str]]:
    """PostgreSQL's max_connections for these services, one worker each, as their settings
    in this environment size them (BIZDEV_<SERVICE>_API_PROCESSES and the pools), and how
    it adds up."""
    from importlib import import_module

    from bizdev_common.budget import service_connections, with_headroom

    lines, total = [], 0
    for name in names:
        s = import_module(f"bizdev_{name}.main").parts().settings
        n = service_connections(s, workers=1)
        total += n
        lines.append(
            f"{name}: {s.api_processes} API process(es) x {s.connections('api')} "
            f"+ 1 worker x {s.connections('worker')} = {n}"
        )
    return with_headroom(total), lines


def record_environment(state: Path, variables: dict[str, str]) -> None:
    """The services' variables, for the operator's `bizdev` (cli.py reads them): it then finds
    this run's random ports with nothing exported."""
    state.mkdir(parents=True, exist_ok=True)
    (state / "env").write_text("".join(f"{k}={v}\n" for k, v in sorted(variables.items())))


def prepare_database(url: str) -> None:
    """The extensions every service needs, made once before they start rather than by
    whichever service comes first."""
    import asyncio

    from bizdev_common.database import prepare

    asyncio.run(prepare(url))


def up(state: Path, names: Sequence[str]) -> int:
    """`make up`: infrastructure, then each service's worker and API; Ctrl-C stops
    everything in reverse."""
    registry = services()
    unknown = set(names) - set(registry)
    if unknown:
        raise SystemExit(f"no such service: {', '.join(sorted(unknown))}")
    state.mkdir(parents=True, exist_ok=True)
    ports = _read_ports(state)  # same ports again, so a second `make up` reuses the data as-is
    kafka = Kafka(state, ports.get("kafka"), ports.get("controller"))
    max_connections, budget = connection_budget(names)
    pg = Postgres(state, ports.get("postgres"), max_connections=max_connections)
    (state / "ports").write_text(
        f"kafka={kafka.port}\ncontroller={kafka.controller_port}\npostgres={pg.port}\n"
    )
    procs: list[subprocess.Popen[bytes]] = []
    stopping = False
    readable = console.readable_logs(sys.stdout)
    printing = threading.Lock()

    def say(*text: object) -> None:
        """The launcher's own lines: on stderr when stdout carries the services' JSON
        lines, which a log shipper reads as JSON only."""
        print(*text, file=sys.stdout if readable else sys.stderr, flush=True)

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        say(f"starting PostgreSQL on {pg.url}, max_connections={max_connections}:")
        for line in budget:
            say(f"  {line}")
        pg.start()
        prepare_database(pg.url)
        say(f"starting Kafka on {kafka.bootstrap}")
        kafka.start()
        recorded: dict[str, str] = {"BIZDEV_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}
        for name in names:
            svc = registry[name]
            settings = {
                # This machine only: the services accept tokens signed with the dev secret.
                "cors_origins": json.dumps(LOCAL_FRONTENDS),
                **{
                    setting: os.environ.get(svc.prefix + setting) or str(dev_secret(state, key))
                    for setting, key in svc.secret_files.items()
                },
                **proxy.behind_gateway(name),
            }
            started = ServiceProcess(
                name, pg.url, kafka.bootstrap, svc.port, svc.worker_port, settings
            )
            recorded.update(started.variables())
            # The demo's company works in China; a zone set in the shell wins.
            base = {days.VARIABLE: DEMO_TIME_ZONE, **os.environ}
            for role in process.ROLES:
                if not readable:
                    procs.append(started.popen(role, base))
                    continue
                proc = started.popen(role, base, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                procs.append(proc)
                threading.Thread(
                    target=_relay_lines,
                    args=(proc.stdout, f"{name}/{role}", console.service_colour(names, name)),
                    kwargs={"lock": printing},
                    daemon=True,
                ).start()
        record_environment(state, recorded)
        gateway, front = proxy.start_front(
            state, {n: registry[n].port for n in names}, kafka.bootstrap, os.environ
        )
        procs += front
        rows = _await_health(names, registry, procs, lambda: stopping)
        with printing:
            say("\nbizdev is up:\n")
            say(console.table(rows, use_colour=readable))
            say(f"\n  one origin {gateway.url}/api/<service>/, your inbox {gateway.url}/")
            say(f"  Kafka {kafka.bootstrap}   PostgreSQL {pg.url}")
            say(
                "  a token: make token ROLE=employee DEPT=sales   a company to look at: make demo"
                "   Ctrl-C stops everything\n"
            )
        while not stopping:
            for p in procs:
                if p.poll() is not None:
                    say(f"{' '.join(map(str, p.args))} exited with code {p.returncode}; stopping")
                    stopping = True
            time.sleep(0.5)
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        kafka.stop()
        pg.stop()
        say("stopped")


def _relay_lines(stream: IO[bytes], source: str, colour: str, lock: threading.Lock) -> None:
    """Prints a process's log lines as readable lines until it closes its output."""
    for raw in iter(stream.readline, b""):
        text = console.format_line(raw.decode("utf-8", "replace"), source, colour)
        with lock:
            print(text, flush=True)


def _await_health(
    names: Sequence[str],
    registry: dict[str, Service],
    procs: Sequence[subprocess.Popen[bytes]],
    stopping: Callable[[], bool],
    timeout: float = 120.0,
) -> list[console.Row]:
    """Each API's health once every one is ready, or as it stands after `timeout`: the table
    shows what is not."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [
            console.Row(
                n,
                registry[n].port,
                registry[n].worker_port,
                console.health(f"http://127.0.0.1:{registry[n].port}/readyz"),
            )
            for n in names
        ]
        settled = all(r.health == "ready" for r in rows)
        exited = any(p.poll() is not None for p in procs)
        if settled or exited or stopping() or time.monotonic() > deadline:
            return rows
        time.sleep(1.0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="run Kafka, PostgreSQL and the services until Ctrl-C")
    p_up.add_argument("--state", type=Path, default=ROOT / ".state" / "dev")
    p_up.add_argument("--services", nargs="*", default=list(services()))
    p_infra = sub.add_parser("infra", help="start Kafka and PostgreSQL, print their env, return")
    p_infra.add_argument("--state", type=Path, required=True)
    p_down = sub.add_parser("down", help="stop what `infra` started in that state folder")
    p_down.add_argument("--state", type=Path, required=True)
    sub.add_parser("fetch", help="fetch the Kafka jars from Maven Central")
    args = parser.parse_args(argv)
    if args.cmd == "up":
        return up(args.state, args.services)
    if args.cmd == "fetch":
        ensure_kafka_jars()
        return 0
    if args.cmd == "infra":
        pg, kafka = Postgres(args.state, durable=False), Kafka(args.state)
        pg.start()
        kafka.start()
        (args.state / "ports").write_text(
            f"kafka={kafka.port}\ncontroller={kafka.controller_port}\npostgres={pg.port}\n"
        )
        print(f"DATABASE_URL={pg.url}\nKAFKA_BOOTSTRAP_SERVERS={kafka.bootstrap}")
        return 0
    ports = _read_ports(args.state)
    Kafka(args.state, ports.get("kafka"), ports.get("controller")).stop()
    Postgres(args.state, ports.get("postgres")).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
