"""docker-compose.yml: valid Compose, and it runs the system the way the project expects.

compose-spec.json is the Compose Specification JSON schema (draft 2019-09), vendored unchanged
from the PyPI wheel docker-compose 1.29.2 (docker_compose-1.29.2-py2.py3-none-any.whl, file
compose/config/compose_spec.json, Apache-2.0; sha256 in SCHEMA_SHA256 below).

That schema predates a few newer Compose keys (top-level `name`, healthcheck `start_interval`,
depends_on `restart`/`required`): the compose file keeps to what it defines, which every
Compose v2 release also accepts.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from bizdev_common import days

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
SCHEMA_SHA256 = "0dc04bd346dcfee1b1419628fff79937bbf076925f298f272a2b490e2b112bac"

sys.path.insert(0, str(ROOT / "deploy" / "local"))
import launcher  # noqa: E402

# Services of the system: every folder under services/, as the launcher finds them.
APP_SERVICES = sorted(launcher.services())
ROLES = ("api", "worker")
CONTAINERS = [f"{name}-{role}" for name in APP_SERVICES for role in ROLES]
INFRA_SERVICES = ("kafka", "postgres")


# --- loading ------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys, as Compose does (PyYAML keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@cache
def compose() -> dict[str, Any]:
    """The parsed compose file; fails the calling test with the parser's own message."""
    if not COMPOSE_FILE.is_file():
        pytest.fail(f"{COMPOSE_FILE.relative_to(ROOT)} is missing")
    try:
        data = yaml.load(COMPOSE_FILE.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        pytest.fail(f"docker-compose.yml is not valid YAML:\n{exc}")
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        pytest.fail("docker-compose.yml must be a mapping with a `services` mapping")
    return data


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"service {name!r} missing from docker-compose.yml"
    svc = services[name]
    assert isinstance(svc, dict), f"service {name!r} must be a mapping"
    return svc


def environment(svc: dict[str, Any]) -> dict[str, str]:
    """`environment` as a dict, from either the mapping or the list (`KEY=value`) form."""
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


# --- the schema ---------------------------------------------------------------------------------

# Formats the Compose schema names; jsonschema does not know them, so they would pass unchecked.
_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_PORTS = re.compile(
    r"^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:]+\]):)?"  # host IP
    r"(?:(?:\d+(?:-\d+)?)?:)?"  # host port or range
    r"\d+(?:-\d+)?(?:/(?:tcp|udp|sctp))?$"  # container port or range, protocol
)
_format_checker = jsonschema.FormatChecker()


@_format_checker.checks("duration")
def _is_duration(value: object) -> bool:
    return not isinstance(value, str) or "${" in value or bool(_DURATION.match(value))


@_format_checker.checks("ports")
@_format_checker.checks("expose")
def _is_ports(value: object) -> bool:
    if isinstance(value, int):
        return 0 < value < 65536
    return not isinstance(value, str) or "${" in value or bool(_PORTS.match(value))


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


# The file says "$schema": "http://json-schema.org/draft/2019-09/schema#" (http, trailing #),
# which jsonschema does not map to a draft by itself; name the draft explicitly.
VALIDATOR = jsonschema.Draft201909Validator


def test_vendored_schema_is_the_published_file() -> None:
    digest = hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest()
    assert digest == SCHEMA_SHA256, "compose-spec.json differs from the docker-compose 1.29.2 copy"
    assert "draft/2019-09" in schema()["$schema"]
    VALIDATOR.check_schema(schema())
    assert schema()["title"] == "Compose Specification"


def test_compose_file_matches_the_compose_specification() -> None:
    validator = VALIDATOR(schema(), format_checker=_format_checker)
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.absolute_path))
    lines = []
    for err in errors:
        # oneOf/anyOf failures carry the useful message in their best-matching sub-error.
        best = jsonschema.exceptions.best_match([err])
        where = "/".join(str(p) for p in best.absolute_path) or "(top level)"
        lines.append(f"  {where}: {best.message}")
    assert not errors, "docker-compose.yml violates the Compose Specification:\n" + "\n".join(lines)


def test_format_checks_are_live() -> None:
    """The custom formats above must reject garbage, or the schema check proves less."""
    assert not _is_duration("10 seconds")
    assert _is_duration("1m30s")
    assert not _is_ports("8001->8000")
    assert _is_ports("127.0.0.1:8001:8000/tcp")


# --- the system ---------------------------------------------------------------------------------


def test_only_known_services() -> None:
    assert APP_SERVICES, "no services/*/pyproject.toml found"
    unknown = set(compose()["services"]) - set(CONTAINERS) - set(INFRA_SERVICES)
    assert not unknown, f"compose runs what is no role of a service under services/: {unknown}"


@pytest.mark.parametrize("name", CONTAINERS)
def test_every_role_of_every_service_is_built_from_the_one_dockerfile(name: str) -> None:
    service_name, role = name.rsplit("-", 1)
    svc = service(name)
    build = svc.get("build")
    assert isinstance(build, dict), f"{name}: `build` must name the context and the service"
    assert build.get("context") in (".", "./"), f"{name}: build context must be the repo root"
    assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
    assert build.get("args", {}).get("SERVICE") == service_name
    assert (ROOT / "Dockerfile").is_file()
    assert svc.get("image") == f"bizdev/{service_name}:dev"
    assert svc.get("command") == [role]


@pytest.mark.parametrize("name", CONTAINERS)
def test_app_service_environment_uses_its_own_prefix(name: str) -> None:
    service_name, role = name.rsplit("-", 1)
    prefix = f"BIZDEV_{service_name.upper()}_"
    env = environment(service(name))
    port = "HTTP_PORT" if role == "api" else "WORKER_HTTP_PORT"

    for key in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", port, "LOG_LEVEL"):
        assert prefix + key in env, f"{name}: {prefix}{key} missing from environment"
    assert prefix + "JWT_SECRET" in env or prefix + "JWT_JWKS_URL" in env, (
        f"{name}: needs {prefix}JWT_SECRET (HS256) or {prefix}JWT_JWKS_URL (RS256)"
    )
    assert env[prefix + "DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in env[prefix + "DATABASE_URL"], "must point at the postgres service"
    assert env[prefix + "KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env[prefix + port] == "8000"
    assert env.get("OTEL_SERVICE_NAME") == f"bizdev-{service_name}"
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in env

    # One setting is the company's, not a service's: every service reads the same.
    company = {days.VARIABLE}
    assert days.VARIABLE in env, f"{name}: the company's time zone missing"
    foreign = [
        k for k in env if k.startswith("BIZDEV_") and not k.startswith(prefix) and k not in company
    ]
    assert not foreign, f"{name}: variables with another service's prefix: {foreign}"


@pytest.mark.parametrize("name", CONTAINERS)
def test_app_service_waits_for_healthy_infrastructure(name: str) -> None:
    svc = service(name)
    depends = svc.get("depends_on")
    assert isinstance(depends, dict), f"{name}: depends_on must use the long form with conditions"
    for infra in INFRA_SERVICES:
        assert depends.get(infra, {}).get("condition") == "service_healthy", (
            f"{name}: must wait for {infra} to be healthy"
        )
        assert "healthcheck" in service(infra), f"{infra} needs a healthcheck for service_healthy"


def test_app_service_ports_are_the_registered_ones_and_reach_8000() -> None:
    host_ports = []
    registry = launcher.services()
    for name in CONTAINERS:
        service_name, role = name.rsplit("-", 1)
        ports = [str(p) for p in service(name).get("ports", [])]
        registered = registry[service_name]
        expected = registered.port if role == "api" else registered.worker_port
        assert ports == [f"{expected}:8000"], f"{name}: publish {expected} for its {role}"
        host_ports += [p.rsplit(":", 1)[0] for p in ports]
    assert len(host_ports) == len(set(host_ports)), f"host ports collide: {host_ports}"


def test_postgresql_allows_what_the_services_may_hold() -> None:
    """The connection budget: each service's API (its processes) and worker at their pool
    sizes, plus headroom, fit in PostgreSQL's max_connections."""
    from importlib import import_module

    from bizdev_common.budget import service_connections, with_headroom

    command = service("postgres").get("command")
    assert isinstance(command, list), "postgres must be started with its max_connections"
    [limit] = [int(c.split("=", 1)[1]) for c in command if c.startswith("max_connections=")]
    total = sum(
        service_connections(import_module(f"bizdev_{name}.main").parts().settings, workers=1)
        for name in APP_SERVICES
    )
    assert with_headroom(total) <= limit


def test_shared_env_anchor_is_declared() -> None:
    """`x-service-env` is the pattern each new service merges; keep it."""
    shared = compose().get("x-service-env")
    assert isinstance(shared, dict), "top-level x-service-env mapping missing"
    for name in CONTAINERS:
        env = environment(service(name))
        missing = {k for k in shared if k not in env}
        assert not missing, f"{name}: does not merge x-service-env (missing {missing})"


def test_kafka_is_a_single_kraft_node_of_kafka_4() -> None:
    kafka = service("kafka")
    match = re.fullmatch(r"apache/kafka:(\d+)\.(\d+)\.(\d+)", str(kafka.get("image")))
    assert match, f"kafka image must be apache/kafka:<x.y.z>, not {kafka.get('image')!r}"
    assert int(match.group(1)) == 4, "the system targets Kafka 4.x"

    env = environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not [k for k in env if "ZOOKEEPER" in k], "Kafka 4 has no ZooKeeper mode"
    node_id = env["KAFKA_NODE_ID"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{node_id}@kafka:9093"
    assert set(env["KAFKA_LISTENERS"].split(",")) == {"PLAINTEXT://:9092", "CONTROLLER://:9093"}
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env.get(key) == "1", f"{key} must be 1 on a single node"
    assert env.get("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS") == "0"
    # Event topics are kept for good (the services also set it on the topics they create).
    assert env.get("KAFKA_LOG_RETENTION_MS") == "-1"
    assert env.get("KAFKA_LOG_RETENTION_BYTES") == "-1"

    test_cmd = kafka["healthcheck"]["test"]
    test_cmd = " ".join(test_cmd) if isinstance(test_cmd, list) else test_cmd
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in test_cmd
    assert "localhost:9092" in test_cmd


def test_postgres_is_15_with_healthcheck_and_named_volume() -> None:
    pg = service("postgres")
    assert str(pg.get("image")).startswith("postgres:15")
    test_cmd = pg["healthcheck"]["test"]
    assert "pg_isready" in (" ".join(test_cmd) if isinstance(test_cmd, list) else test_cmd)
    env = environment(pg)
    assert env.get("POSTGRES_DB") == "bizdev"
    volumes = [str(v) for v in pg.get("volumes", [])]
    named = [v.split(":", 1)[0] for v in volumes if v.endswith(":/var/lib/postgresql/data")]
    assert named, "postgres data must live in a volume"
    assert named[0] in (compose().get("volumes") or {}), f"volume {named[0]!r} not declared"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_creates_its_topics_with_one_replica_on_the_single_broker(name: str) -> None:
    prefix = f"BIZDEV_{name.upper()}_"
    for role in ("api", "worker"):
        env = environment(service(f"{name}-{role}"))
        assert int(env[f"{prefix}TOPIC_PARTITIONS"]) >= 1
        assert env[f"{prefix}TOPIC_REPLICATION_FACTOR"] == "1"
