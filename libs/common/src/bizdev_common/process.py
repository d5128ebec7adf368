"""How a service is started: `bizdev-<name> api` and `bizdev-<name> worker`, configured only
through the environment (its `BIZDEV_<NAME>_*` variables). One definition for `make up`
(deploy/local/launcher.py), the benchmark (benchmarks/) and the integration tests' fixtures,
so that what a variable means cannot drift between them.

And the registry they start services from: a service is its folder, `services/<name>/`,
whose pyproject.toml declares its ports and secrets under `[tool.bizdev]`
(docs/adding-a-service.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Role = Literal["api", "worker"]
ROLES: tuple[Role, ...] = ("worker", "api")
"""The worker first: it creates the service's tables, which the API then finds."""

MODULES = ("domain", "application", "published", "projections", "api", "main")
"""What every service's package has (docs/adding-a-service.md); reactions and settings when it
needs them. A module may be a package of the same name."""

WORKER_PORT_OFFSET = 100
"""A service's worker answers /healthz, /readyz and /metrics on its API port plus this."""


@dataclass(frozen=True)
class Service:
    """A service as its folder declares it: services/<name>/pyproject.toml, [tool.bizdev]."""

    name: str
    port: int
    secret_files: dict[str, str] = field(default_factory=dict)
    """Settings read from a file (a mounted secret), and the secret's name."""
    optional_secrets: dict[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return prefix_of(self.name)

    @property
    def worker_port(self) -> int:
        return self.port + WORKER_PORT_OFFSET


def prefix_of(name: str) -> str:
    return f"BIZDEV_{name.upper()}_"


def services(root: Path) -> dict[str, Service]:
    """Every service of the system under `root`: the one list that `make up`, the tests,
    the benchmark, compose and the Kubernetes manifests are made from."""
    found = {}
    for manifest in sorted((root / "services").glob("*/pyproject.toml")):
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


@dataclass(frozen=True)
class ServiceProcess:
    """One service's environment and how its roles are run. `settings` are its own, by
    setting name (`db_schema="x"` is BIZDEV_<NAME>_DB_SCHEMA=x); `outside` the variables
    that are not its own (OpenTelemetry's, the company's time zone), which the calling
    environment may not override."""

    name: str
    database_url: str
    kafka_bootstrap: str
    port: int
    worker_port: int
    settings: Mapping[str, str] = field(default_factory=dict)
    outside: Mapping[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"

    @property
    def prefix(self) -> str:
        return prefix_of(self.name)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def port_of(self, role: Role) -> int:
        return self.port if role == "api" else self.worker_port

    def variables(self) -> dict[str, str]:
        """Its own variables, the ones `bizdev` (cli.py) reads back from `make up`'s record."""
        return {
            f"{self.prefix}DATABASE_URL": self.database_url,
            f"{self.prefix}KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            f"{self.prefix}HTTP_HOST": self.host,
            f"{self.prefix}HTTP_PORT": str(self.port),
            f"{self.prefix}WORKER_HTTP_PORT": str(self.worker_port),
            **{f"{self.prefix}{k.upper()}": v for k, v in self.settings.items()},
        }

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**(os.environ if base is None else base), **self.outside, **self.variables()}

    def command(self, role: Role) -> list[str]:
        """The console script installed beside this interpreter: the one of this checkout's
        environment whatever PATH says."""
        return [str(Path(sys.executable).parent / f"bizdev-{self.name}"), role]

    def popen(
        self, role: Role, base: Mapping[str, str] | None = None, **popen: Any
    ) -> subprocess.Popen[bytes]:
        command, env = self.command(role), self.environment(base)
        return subprocess.Popen(command, env=env, **popen)  # noqa: S603 - our own script
