"""Writes what deploys each service from the one list of services (services/*/pyproject.toml,
[tool.bizdev]; deploy/local/launcher.py reads it): a Kubernetes component per service, the
prod overlay's topics, Ingress, patches, alerts and dashboard, and the service-specific parts
of the Kubernetes base, its overlays and docker-compose.yml, which sit between
`# >>> generated: <region>` and `# <<< generated` lines. Everything outside those lines is
written by hand. The manifests are built as data in deploy/manifests/.

    uv run python deploy/generate.py           # write
    uv run python deploy/generate.py --check   # exit 1 when anything is stale (tests run it)

PostgreSQL's connection limit in compose and the base is computed from the services' default
settings (deploy/manifests/budget.py)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "deploy"), str(ROOT / "deploy" / "local")]
import launcher  # noqa: E402
from launcher import Service  # noqa: E402
from manifests import inbox, prod, signals  # noqa: E402
from manifests.budget import compose_max_connections, k8s_max_connections  # noqa: E402
from manifests.component import component  # noqa: E402

K8S = ROOT / "deploy" / "k8s"
PROD = K8S / "overlays" / "prod"
COMPOSE = ROOT / "docker-compose.yml"


# --- regions of hand-written files: lines of YAML that use the file's own anchors -------------


def base_components(services: dict[str, Service]) -> str:
    return "".join(f"  - ../components/{n}\n" for n in services)


def images(tag: str) -> Callable[[dict[str, Service]], str]:
    def render(services: dict[str, Service]) -> str:
        return "".join(f"  - name: bizdev/{n}\n    newTag: {tag}\n" for n in services)

    return render


def base_max_connections(services: dict[str, Service]) -> str:
    return f"      - max-connections={k8s_max_connections(services)}\n"


def compose_postgres_command(services: dict[str, Service]) -> str:
    n = compose_max_connections(services)
    return f'    command: ["postgres", "-c", "max_connections={n}"]\n'


def compose_env(services: dict[str, Service]) -> str:
    """Each service's environment, for its API and its worker, under its own prefix."""
    blocks = []
    for svc in services.values():
        p, n = svc.prefix, svc.name
        env = [
            f"x-{n}-env: &{n}-env",
            "  <<: *service-env",
            f"  OTEL_SERVICE_NAME: bizdev-{n}",
            f"  {p}DATABASE_URL: *database-url",
            f"  {p}KAFKA_BOOTSTRAP_SERVERS: *kafka-bootstrap-servers",
            f"  {p}JWT_SECRET: *jwt-secret",
            f"  {p}LOG_LEVEL: *log-level",
            f"  {p}TOPIC_PARTITIONS: *topic-partitions",
            f"  {p}TOPIC_REPLICATION_FACTOR: *topic-replication-factor",
        ]
        for setting, key in svc.secret_files.items():
            # Compose gives the secret itself, from the shell, under the setting's name
            # without _FILE; the default is a published value, for trying it out only.
            variable = p + setting.removesuffix("_FILE")
            env.append(f"  {variable}: ${{{variable}:-CHANGE-ME-dev-only-{key}-0123456789}}")
        blocks.append("\n".join(env))
    return "\n\n".join(blocks) + "\n"


def compose_services(services: dict[str, Service]) -> str:
    blocks = []
    for svc in services.values():
        p, n = svc.prefix, svc.name
        for role, host_port in (("api", svc.port), ("worker", svc.worker_port)):
            port_var = "HTTP_PORT" if role == "api" else "WORKER_HTTP_PORT"
            lines = [
                f"  {n}-{role}:",
                "    <<: *app-service",
                "    build:",
                "      context: .",
                "      args:",
                f"        SERVICE: {n}",
                f"    image: bizdev/{n}:dev",
                f'    command: ["{role}"]',
                "    ports:",
                f'      - "{host_port}:8000"',
                "    environment:",
                f"      <<: *{n}-env",
                f'      {p}{port_var}: "8000"',
            ]
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


REGIONS: dict[Path, dict[str, Callable[[dict[str, Service]], str]]] = {
    K8S / "base" / "kustomization.yaml": {
        "components": base_components,
        "images": images("0.1.0"),
        "max-connections": base_max_connections,
    },
    K8S / "overlays" / "local" / "kustomization.yaml": {"images": images("dev")},
    PROD / "kustomization.yaml": {"images": images("0.1.0"), "max-connections": prod.budget},
    PROD / "postgres.yaml": {"max-connections": prod.postgres_parameter},
    COMPOSE: {
        "service-env": compose_env,
        "services": compose_services,
        "postgres-max-connections": compose_postgres_command,
    },
}

REGION = re.compile(
    r"(?P<open>^[ \t]*# >>> generated: (?P<name>[\w-]+)[^\n]*\n)(?P<body>.*?)"
    r"(?P<close>^[ \t]*# <<< generated[^\n]*$)",
    re.MULTILINE | re.DOTALL,
)


def fill(
    text: str, writers: dict[str, Callable[[dict[str, Service]], str]], services: dict[str, Service]
) -> str:
    seen = set()

    def replace(m: re.Match[str]) -> str:
        name = m["name"]
        if name not in writers:
            raise ValueError(f"unknown generated region {name!r}")
        seen.add(name)
        return m["open"] + writers[name](services) + m["close"]

    filled = REGION.sub(replace, text)
    missing = set(writers) - seen
    if missing:
        raise ValueError(f"regions missing: {', '.join(sorted(missing))}")
    return filled


def expected() -> dict[Path, str]:
    """Every generated file and every file with generated regions, as it should be."""
    services = launcher.services()
    files: dict[Path, str] = {}
    for svc in services.values():
        for filename, text in component(svc).items():
            files[K8S / "components" / svc.name / filename] = text
    for filename, text in inbox.component(services).items():
        files[K8S / "components" / inbox.INBOX / filename] = text
    files[PROD / "topics.yaml"] = prod.topics(services)
    files[PROD / "ingress.yaml"] = prod.ingress(services)
    files[PROD / "deployments.yaml"] = prod.deployments(services)
    files[PROD / "alerts.yaml"] = signals.alerts(services)
    files[PROD / "dashboard.json"] = signals.dashboard(services)
    for path, writers in REGIONS.items():
        files[path] = fill(path.read_text(), writers, services)
    return files


def stale() -> list[Path]:
    """What differs from what would be generated, and components of services that are gone."""
    found = [p for p, text in expected().items() if not p.is_file() or p.read_text() != text]
    known = {p.parent for p in expected() if p.parent.parent == K8S / "components"}
    found += [d for d in (K8S / "components").glob("*") if d.is_dir() and d not in known]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        out = stale()
        for path in out:
            print(f"stale: {path.relative_to(ROOT)} (run `make manifests`)", file=sys.stderr)
        return 1 if out else 0
    for path, text in expected().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
