"""Local infrastructure without Docker: a real Apache Kafka broker and a real PostgreSQL server
as native processes, for `make up`, the test fixtures and CI alike.

Standard library only, so it runs before anything else is installed. Every process is stopped
through its own pid (Kafka's from our pid file, PostgreSQL's through `pg_ctl`, which reads
postmaster.pid), never by name, so that two checkouts on one machine never stop each other.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import console
import proxy
from bizdev_common import days

ROOT = Path(__file__).resolve().parents[2]
KAFKA_HOME = ROOT / "deploy" / "local" / "kafka"
WORKER_PORT_OFFSET = 100
DEMO_TIME_ZONE = "Asia/Shanghai"
"""Where the company of `make up` and `make demo` works, unless the shell sets
BIZDEV_COMPANY_TIME_ZONE."""
"""A service's worker answers /healthz, /readyz and /metrics on its API port plus this."""


@dataclass(frozen=True)
class Service:
    """A service as its folder declares it: services/<name>/pyproject.toml, [tool.bizdev]."""

    name: str
    port: int
    secret_files: dict[str, str] = field(default_factory=dict)
    optional_secrets: dict[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"BIZDEV_{self.name.upper()}_"

    @property
    def worker_port(self) -> int:
        return self.port + WORKER_PORT_OFFSET


def services() -> dict[str, Service]:
    """Every service of the system: the one list that `make up`, the tests, compose and the
    Kubernetes manifests (deploy/generate.py) are made from. A service is its folder."""
    found = {}
    for manifest in sorted((ROOT / "services").glob("*/pyproject.toml")):
        name = manifest.parent.name
        project = tomllib.loads(manifest.read_text())
        entry = project.get("tool", {}).get("bizdev")
        if entry is None:
            raise ValueError(f"{manifest}: no [tool.bizdev] table (docs/adding-a-service.md)")
        script = project.get("project", {}).get("scripts", {}).get(f"bizdev-{name}")
        if script != f"bizdev_{name}.main:run":
            raise ValueError(f"{manifest}: bizdev-{name} must run bizdev_{name}.main:run")
        found[name] = Service(
            name,
            int(entry["port"]),
            dict(entry.get("secret-files", {})),
            dict(entry.get("optional-secrets", {})),
        )
    ports = [p for s in found.values() for p in (s.port, s.worker_port)]
    if len(ports) != len(set(ports)):
        raise ValueError(f"services share a port: {sorted(ports)}")
    return found


LOCAL_FRONTENDS = [
    f"http://{host}:{port}" for host in ("localhost", "127.0.0.1") for port in (3000, 5173, 8080)
]
"""Where a frontend under development runs (Vite, CRA/Next, a static server): the browser
origins `make up` lets call the services."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, ready, timeout: float, proc: subprocess.Popen | None = None) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} while starting")
        if ready():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not become ready within {timeout:.0f}s")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_pid(pid_file: Path, grace: float = 30.0) -> None:
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().strip())
    if _pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
            _reap(pid)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            _reap(pid)
    pid_file.unlink(missing_ok=True)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


# --- Kafka ------------------------------------------------------------------------------------


def ensure_kafka_jars() -> Path:
    libs = KAFKA_HOME / "libs"
    if not any(libs.glob("kafka_2.13-*.jar")):
        subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(KAFKA_HOME / "pom.xml"),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
            ],
            check=True,
        )
    return libs


def kafka_answers_metadata(host: str, port: int) -> bool:
    """True once the broker answers a Metadata request listing at least one broker.

    A bare TCP connect is not enough: a KRaft node accepts connections before it has joined
    its own quorum, and clients then fail with "no brokers available"."""
    client_id = b"bizdev-launcher"
    # Metadata v4, request header v1: null topic array (= all topics), no auto-creation.
    body = struct.pack(">hhih", 3, 4, 1, len(client_id)) + client_id + struct.pack(">ib", -1, 0)
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.sendall(struct.pack(">i", len(body)) + body)
            head = _recv_exact(s, 4)
            size = struct.unpack(">i", head)[0]
            payload = _recv_exact(s, size)
    except OSError:
        return False
    # correlation id (4) + throttle time (4) + broker array length (4)
    return len(payload) >= 12 and struct.unpack(">i", payload[8:12])[0] >= 1


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf


class Kafka:
    """Single-node KRaft (combined broker and controller), settings fit for one node."""

    def __init__(self, state: Path, port: int | None = None, controller_port: int | None = None):
        self.dir = state / "kafka"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        self.pid_file = self.dir / "kafka.pid"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        props = self.dir / "server.properties"
        props.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    f"log.dirs={self.dir / 'data'}",
                    "num.partitions=3",
                    "auto.create.topics.enable=true",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=3",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "transaction.state.log.num.partitions=3",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "share.coordinator.state.topic.num.partitions=1",
                    "group.initial.rebalance.delay.ms=0",
                    # Event topics are kept for good; the services also set it on each topic
                    # they create (bizdev_common/topics.py).
                    "log.retention.hours=-1",
                    "log.retention.bytes=-1",
                    "",
                ]
            )
        )
        log4j = self.dir / "log4j2.properties"
        log4j.write_text(
            "\n".join(
                [
                    "status = warn",
                    "appender.out.type = Console",
                    "appender.out.name = out",
                    "appender.out.layout.type = PatternLayout",
                    "appender.out.layout.pattern = [%d] %p %m (%c)%n",
                    "rootLogger.level = warn",
                    "rootLogger.appenderRef.out.ref = out",
                    "logger.kafka.name = kafka.server.KafkaRaftServer",
                    "logger.kafka.level = info",
                    "",
                ]
            )
        )
        return props

    def _java(self, main: str, *args: str) -> list[str]:
        libs = ensure_kafka_jars()
        return [
            "java",
            "-Xms256m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={self.dir / 'log4j2.properties'}",
            "-cp",
            f"{libs}/*",
            main,
            *args,
        ]

    def start(self, timeout: float = 120.0) -> None:
        props = self._write_config()
        if not (self.dir / "data" / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
            # StorageTool reads an id starting with "-" as an option: one start in 64 failed.
            cluster_id = "A" + cluster_id[1:] if cluster_id.startswith("-") else cluster_id
            subprocess.run(
                self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        log = (self.dir / "kafka.log").open("ab")
        proc = subprocess.Popen(
            self._java("kafka.Kafka", str(props)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid_file.write_text(str(proc.pid))
        try:
            _wait("Kafka", lambda: kafka_answers_metadata("127.0.0.1", self.port), timeout, proc)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        _stop_pid(self.pid_file)


# --- PostgreSQL -------------------------------------------------------------------------------


def pg_bindir() -> Path:
    """The machine's PostgreSQL server binaries: on PATH, else Debian's versioned folders."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise FileNotFoundError("no PostgreSQL server binaries: install Debian's postgresql-15")
    return Path(candidates[-1]).parent


class Postgres:
    """A PostgreSQL cluster in a folder of ours, on 127.0.0.1, trust auth for the local user."""

    user = "bizdev"
    database = "bizdev"

    def __init__(
        self,
        state: Path,
        port: int | None = None,
        durable: bool = True,
        max_connections: int = 300,
    ):
        self.dir = state / "postgres"
        self.data = self.dir / "data"
        self.port = port or free_port()
        self.durable = durable
        self.max_connections = max_connections
        """`up` sets it from the services' connection budget; test clusters, which run many
        copies of the services at once, keep the default."""
        self.bin = pg_bindir()

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, args: Sequence[str], **kw: object) -> subprocess.CompletedProcess[bytes]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            # The server refuses to run as root, so it runs as Debian's postgres system user.
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload, no-any-return]

    def start(self, timeout: float = 60.0) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for p in [self.dir, *self.dir.rglob("*")]:
                os.chown(p, pw.pw_uid, pw.pw_gid)
            # The postgres user must reach its folder through ours (pytest's and some CI
            # folders are 0700): grant traversal only, not listing, on each parent.
            for parent in self.dir.parents:
                mode = parent.stat().st_mode
                if not mode & stat.S_IXOTH:
                    os.chmod(parent, mode | stat.S_IXOTH)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                [
                    "initdb",
                    "-D",
                    str(self.data),
                    "-U",
                    self.user,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                stdout=subprocess.DEVNULL,
            )
        opts = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-k {self.dir}",
            f"-c max_connections={self.max_connections}",
            "-c shared_buffers=128MB",
        ]
        if not self.durable:
            # Throwaway test clusters trade crash safety of the server itself for speed.
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            [
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.dir / "postgres.log"),
                "-o",
                " ".join(opts),
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
            stdout=subprocess.DEVNULL,
        )
        exists = self._run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname='{self.database}'",
            ],
            capture_output=True,
        ).stdout.strip()
        if exists != b"1":
            self._run(
                [
                    "createdb",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    self.user,
                    self.database,
                ]
            )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(
                ["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"],
                stdout=subprocess.DEVNULL,
            )


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
            prefix = svc.prefix
            own = {
                # This machine only: the services accept tokens signed with the dev secret.
                f"{prefix}HTTP_HOST": "127.0.0.1",
                f"{prefix}DATABASE_URL": pg.url,
                f"{prefix}KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
                f"{prefix}HTTP_PORT": str(svc.port),
                f"{prefix}WORKER_HTTP_PORT": str(svc.worker_port),
                f"{prefix}CORS_ORIGINS": json.dumps(LOCAL_FRONTENDS),
                **proxy.behind_gateway(name),
            }
            for setting, key in svc.secret_files.items():
                own[prefix + setting] = os.environ.get(prefix + setting) or str(
                    dev_secret(state, key)
                )
            recorded.update(own)
            # The demo's company works in China; a zone set in the shell wins.
            env = {days.VARIABLE: DEMO_TIME_ZONE, **os.environ, **own}
            for role in ("worker", "api"):
                if not readable:
                    procs.append(subprocess.Popen([f"bizdev-{name}", role], env=env))
                    continue
                proc = subprocess.Popen(
                    [f"bizdev-{name}", role],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
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
