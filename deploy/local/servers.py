"""Kafka and PostgreSQL as native processes in a folder of ours, for `make up`, the tests
and the benchmark (deploy/local/launcher.py describes how they are stopped).

Standard library only, so it runs before anything else is installed."""

from __future__ import annotations

import base64
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import stat
import struct
import subprocess
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

KAFKA_HOME = Path(__file__).resolve().parent / "kafka"


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
