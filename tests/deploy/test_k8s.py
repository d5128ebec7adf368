"""deploy/k8s: every kustomization renders, and what it renders is safe to run.

Rendering uses `kubectl kustomize`, which needs no cluster. The base and every
deploy/k8s/overlays/<name>/ are checked the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from bizdev_common import days

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBECTL = shutil.which("kubectl")
NAMESPACE = "bizdev"

KUSTOMIZATIONS = sorted(
    p.parent.relative_to(K8S).as_posix()
    for p in [K8S / "base" / "kustomization.yaml", *K8S.glob("overlays/*/kustomization.yaml")]
    if p.is_file()
)
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import launcher  # noqa: E402

APP_SERVICES = sorted(launcher.services())
NAME = "app.kubernetes.io/name"
INBOX = "inbox"
ROLES = ("api", "worker")
# One setting is the company's, not a service's: every service reads the same.
COMPANY = {days.VARIABLE}

pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed: cannot render the kustomizations"
)

Doc = dict[str, Any]


@cache
def render(kustomization: str) -> tuple[Doc, ...]:
    assert KUBECTL is not None
    proc = subprocess.run(
        [KUBECTL, "kustomize", str(K8S / kustomization)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"kubectl kustomize deploy/k8s/{kustomization} failed:\n{proc.stderr}")
    try:
        docs = [d for d in yaml.safe_load_all(proc.stdout) if d is not None]
    except yaml.YAMLError as exc:
        pytest.fail(f"deploy/k8s/{kustomization} rendered invalid YAML:\n{exc}")
    return tuple(docs)


def of_kind(kustomization: str, kind: str) -> list[Doc]:
    return [d for d in render(kustomization) if d.get("kind") == kind]


def named(kustomization: str, kind: str, name: str) -> Doc | None:
    return next((d for d in of_kind(kustomization, kind) if d["metadata"]["name"] == name), None)


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def deployments(kustomization: str) -> list[Doc]:
    """The services' Deployments; the one inbox, which is no service, has its own test."""
    found = [d for d in of_kind(kustomization, "Deployment") if pod_labels(d).get(NAME) != INBOX]
    assert found, f"deploy/k8s/{kustomization} renders no Deployment"
    return found


def containers(deployment: Doc) -> list[Doc]:
    return deployment["spec"]["template"]["spec"]["containers"]


def pod_labels(deployment: Doc) -> dict[str, str]:
    return deployment["spec"]["template"]["metadata"].get("labels", {})


def container_port(container: Doc, port: int | str) -> int | None:
    """The containerPort a probe or Service targetPort (number or name) lands on, if any."""
    for p in container.get("ports", []):
        if port in (p["containerPort"], p.get("name")):
            return int(p["containerPort"])
    return None


def env_var(container: Doc, name: str) -> Doc | None:
    return next((e for e in container.get("env", []) if e["name"] == name), None)


def ids(deps: list[Doc]) -> str:
    return ", ".join(d["metadata"]["name"] for d in deps)


params = pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)


def test_there_is_a_base_and_an_overlay() -> None:
    assert "base" in KUSTOMIZATIONS
    assert any(k.startswith("overlays/") for k in KUSTOMIZATIONS), "no overlay under overlays/"


@params
def test_renders_into_the_bizdev_namespace(kustomization: str) -> None:
    docs = render(kustomization)
    assert docs
    for doc in docs:
        kind, meta = doc.get("kind"), doc.get("metadata", {})
        assert kind, f"document without kind: {meta}"
        assert doc.get("apiVersion"), f"document without apiVersion: {meta}"
        if kind != "Namespace":
            assert meta.get("namespace") == NAMESPACE, f"{kind}/{meta.get('name')} not in bizdev"
    assert not [d for d in docs if d["kind"] == "StatefulSet"], (
        "Kafka and PostgreSQL are brought by operators, not deployed here"
    )


def service_of(dep: Doc) -> str:
    return str(dep["metadata"]["labels"]["app.kubernetes.io/name"])


def role_of(dep: Doc) -> str:
    return str(dep["metadata"]["labels"]["app.kubernetes.io/component"])


@params
def test_every_service_runs_an_api_and_a_worker(kustomization: str) -> None:
    for name in APP_SERVICES:
        api = named(kustomization, "Deployment", f"{name}-api")
        worker = named(kustomization, "Deployment", f"{name}-worker")
        assert api, f"{kustomization}: no API Deployment for services/{name}"
        assert worker, f"{kustomization}: no worker Deployment for services/{name}"
        for dep, role in ((api, "api"), (worker, "worker")):
            assert [c["args"] for c in containers(dep)] == [[role]], f"{name}: not `{role}`"
            assert role_of(dep) == role
            pdbs = [
                p
                for p in of_kind(kustomization, "PodDisruptionBudget")
                if selects(p["spec"]["selector"].get("matchLabels", {}), pod_labels(dep))
            ]
            assert pdbs, f"{kustomization}: no PodDisruptionBudget covers {name}-{role}"
        svc = named(kustomization, "Service", name)
        assert svc, f"{kustomization}: no Service for services/{name}"
        assert selects(svc["spec"]["selector"], pod_labels(api))
        assert not selects(svc["spec"]["selector"], pod_labels(worker)), "HTTP reaches workers"
        # Rolled one surge pod at a time; the worker is recreated, so that two versions
        # never consume or publish at once.
        assert api["spec"]["strategy"]["type"] == "RollingUpdate"
        assert api["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        assert worker["spec"]["strategy"] == {"type": "Recreate"}
        [hpa] = [
            h
            for h in of_kind(kustomization, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]["name"] == f"{name}-api"
        ]
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert not [
        h
        for h in of_kind(kustomization, "HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"]["name"].endswith("-worker")
    ], "workers do not scale on CPU: partitions bound their parallelism"


@params
def test_postgresql_allows_what_the_services_may_hold(kustomization: str) -> None:
    """The connection budget: every API Deployment at its autoscaler's ceiling plus its
    surge, every worker replica, each process at its pool sizes, plus headroom, fit in the
    max_connections the manifests ask of the PostgreSQL the operator brings."""
    from bizdev_common.budget import service_connections, with_headroom

    [limit] = [
        c for c in of_kind(kustomization, "ConfigMap") if c["metadata"]["name"] == "bizdev-postgres"
    ]
    total = 0
    for name in APP_SERVICES:
        api = named(kustomization, "Deployment", f"{name}-api")
        worker = named(kustomization, "Deployment", f"{name}-worker")
        assert api
        assert worker
        [hpa] = [
            h
            for h in of_kind(kustomization, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]["name"] == f"{name}-api"
        ]
        surge = api["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        settings = settings_in(name, api)
        assert settings_in(name, worker).connections("worker") == settings.connections("worker")
        total += service_connections(
            settings,
            workers=worker["spec"]["replicas"],
            api_replicas=hpa["spec"]["maxReplicas"] + surge,
        )
    assert with_headroom(total) <= int(limit["data"]["max-connections"]), (
        f"{kustomization}: the services may hold {total} connections, plus headroom"
    )


def settings_in(name: str, dep: Doc) -> Any:
    """The service's settings as a Deployment's literal variables configure them."""
    from importlib import import_module

    literal = {e["name"]: e["value"] for c in containers(dep) for e in c["env"] if "value" in e}
    saved = dict(os.environ)
    os.environ.update(literal)
    try:
        return import_module(f"bizdev_{name}.main").parts().settings
    finally:
        os.environ.clear()
        os.environ.update(saved)


@params
def test_probes(kustomization: str) -> None:
    for dep in deployments(kustomization):
        for c in containers(dep):
            where = f"{kustomization}: {dep['metadata']['name']}/{c['name']}"
            expected = {"readinessProbe": "/readyz", "livenessProbe": "/healthz"}
            for probe, path in expected.items():
                http = (c.get(probe) or {}).get("httpGet")
                assert http, f"{where}: {probe} must be an httpGet probe"
                assert http["path"] == path, f"{where}: {probe} must probe {path}"
                assert container_port(c, http["port"]), f"{where}: {probe} port is not exposed"
            startup = (c.get("startupProbe") or {}).get("httpGet")
            assert startup, f"{where}: startupProbe missing"
            assert startup["path"] == "/healthz"


@params
def test_resources(kustomization: str) -> None:
    for dep in deployments(kustomization):
        for c in containers(dep):
            where = f"{kustomization}: {dep['metadata']['name']}/{c['name']}"
            resources = c.get("resources") or {}
            for bound in ("requests", "limits"):
                for res in ("cpu", "memory"):
                    assert res in (resources.get(bound) or {}), f"{where}: no {bound}.{res}"


@params
def test_security_context(kustomization: str) -> None:
    for dep in deployments(kustomization):
        pod = dep["spec"]["template"]["spec"]
        pod_sc = pod.get("securityContext") or {}
        for c in containers(dep):
            where = f"{kustomization}: {dep['metadata']['name']}/{c['name']}"
            sc = c.get("securityContext") or {}
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, (
                f"{where}: runAsNonRoot must be true"
            )
            assert sc.get("allowPrivilegeEscalation") is False, f"{where}: privilege escalation"
            assert sc.get("readOnlyRootFilesystem") is True, f"{where}: root filesystem writable"
            assert "ALL" in (sc.get("capabilities") or {}).get("drop", []), f"{where}: caps"
            tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            assert tmp, f"{where}: read-only root needs a writable /tmp"
            volume = next(v for v in pod.get("volumes", []) if v["name"] == tmp[0]["name"])
            assert "emptyDir" in volume, f"{where}: /tmp must be an emptyDir"


@params
def test_environment(kustomization: str) -> None:
    for dep in deployments(kustomization):
        name = service_of(dep)
        prefix = f"BIZDEV_{name.upper()}_"
        port_variable = "HTTP_PORT" if role_of(dep) == "api" else "WORKER_HTTP_PORT"
        for c in containers(dep):
            where = f"{kustomization}: {name}/{c['name']}"
            db = env_var(c, prefix + "DATABASE_URL")
            assert db, f"{where}: {prefix}DATABASE_URL missing"
            assert "value" not in db, f"{where}: the database URL must not be inline"
            ref = (db.get("valueFrom") or {}).get("secretKeyRef")
            assert ref, f"{where}: {prefix}DATABASE_URL must come from a Secret"
            assert not ref.get("optional"), f"{where}: the database URL cannot be optional"
            secret = named(kustomization, "Secret", ref["name"])
            if secret is not None:  # an overlay may take it from a secret manager instead
                keys = {**secret.get("data", {}), **secret.get("stringData", {})}
                assert ref["key"] in keys, f"{where}: Secret {ref['name']} lacks {ref['key']}"

            for var in ("KAFKA_BOOTSTRAP_SERVERS", port_variable, "LOG_LEVEL"):
                assert env_var(c, prefix + var), f"{where}: {prefix}{var} missing"
            otel = env_var(c, "OTEL_SERVICE_NAME")
            assert otel, f"{where}: OTEL_SERVICE_NAME missing"
            assert otel.get("value") == f"bizdev-{name}", f"{where}: OTEL_SERVICE_NAME"
            assert env_var(c, "OTEL_EXPORTER_OTLP_ENDPOINT"), f"{where}: no OTLP endpoint"
            port = env_var(c, prefix + port_variable)
            assert port, f"{where}: {prefix}{port_variable} missing"
            assert container_port(c, int(port["value"])), (
                f"{where}: {prefix}{port_variable} is not the container port"
            )

            assert env_var(c, days.VARIABLE), f"{where}: the company's time zone missing"
            foreign = [
                e["name"]
                for e in c.get("env", [])
                if e["name"].startswith("BIZDEV_")
                and not e["name"].startswith(prefix)
                and e["name"] not in COMPANY
            ]
            assert not foreign, f"{where}: variables with another service's prefix: {foreign}"


@params
def test_config_references_resolve(kustomization: str) -> None:
    """Every non-optional configMapKeyRef names a rendered ConfigMap key (hash suffixes too)."""
    for dep in deployments(kustomization):
        for c in containers(dep):
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
                if not ref or ref.get("optional"):
                    continue
                cm = named(kustomization, "ConfigMap", ref["name"])
                assert cm, f"{kustomization}: {e['name']} refers to missing ConfigMap {ref['name']}"
                assert ref["key"] in cm.get("data", {}), (
                    f"{kustomization}: ConfigMap {ref['name']} lacks {ref['key']} ({e['name']})"
                )


@params
def test_service_target_ports_match_containers(kustomization: str) -> None:
    for svc in of_kind(kustomization, "Service"):
        selector = svc["spec"].get("selector") or {}
        backing = [
            d for d in of_kind(kustomization, "Deployment") if selects(selector, pod_labels(d))
        ]
        assert backing, f"{kustomization}: Service {svc['metadata']['name']} selects no Deployment"
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for dep in backing:
                assert any(container_port(c, target) for c in containers(dep)), (
                    f"{kustomization}: Service {svc['metadata']['name']} targetPort {target!r} "
                    f"is not a container port of Deployment {dep['metadata']['name']}"
                )


@params
def test_prometheus_scrape_annotations(kustomization: str) -> None:
    for dep in deployments(kustomization):
        annotations = dep["spec"]["template"]["metadata"].get("annotations", {})
        where = f"{kustomization}: {dep['metadata']['name']}"
        assert annotations.get("prometheus.io/scrape") == "true", f"{where}: not scraped"
        assert annotations.get("prometheus.io/path") == "/metrics"
        port = int(annotations.get("prometheus.io/port", "0"))
        assert any(container_port(c, port) for c in containers(dep)), f"{where}: scrape port"


def test_base_runs_two_replicas_per_service() -> None:
    """Two replicas of each role: HTTP stays up during a restart, and a standby worker takes
    the relay and the scheduler over within a lease when the leading one goes."""
    for dep in deployments("base"):
        assert dep["spec"].get("replicas", 1) >= 2, f"{dep['metadata']['name']}: < 2 replicas"


def test_secret_template_is_marked_as_dev_values() -> None:
    for secret in of_kind("base", "Secret"):
        values = " ".join(str(v) for v in secret.get("stringData", {}).values())
        assert "CHANGE-ME" in values, f"Secret {secret['metadata']['name']}: mark dev values"


@params
def test_crm_reads_its_personal_data_kek_from_a_mounted_secret(kustomization: str) -> None:
    """Without a KEK crm refuses to start; with it in the database a dump would open
    everything, so it comes from a Secret, as a file only the service reads."""
    crm_deployments = [d for d in deployments(kustomization) if service_of(d) == "crm"]
    assert len(crm_deployments) == len(ROLES), "both roles open personal data"
    for crm in crm_deployments:
        check_kek_file(kustomization, crm)


def check_kek_file(kustomization: str, crm: Doc) -> None:
    pod = crm["spec"]["template"]["spec"]
    [c] = containers(crm)
    path = env_var(c, "BIZDEV_CRM_PERSONAL_DATA_KEK_FILE")
    assert path, "crm: BIZDEV_CRM_PERSONAL_DATA_KEK_FILE missing"
    assert "value" in path, "crm: BIZDEV_CRM_PERSONAL_DATA_KEK_FILE must be a path"
    assert env_var(c, "BIZDEV_CRM_PERSONAL_DATA_KEK") is None, "crm: the KEK must not be inline"
    mount = next(m for m in c["volumeMounts"] if path["value"].startswith(m["mountPath"] + "/"))
    assert mount.get("readOnly") is True
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    source = volume["secret"]
    assert source.get("defaultMode") & 0o007 == 0, "crm: the KEK file must not be world-readable"
    [item] = [i for i in source["items"] if mount["mountPath"] + "/" + i["path"] == path["value"]]
    secret = named(kustomization, "Secret", source["secretName"])
    if secret is not None:  # an overlay may take it from a secret manager instead
        assert item["key"] in {**secret.get("data", {}), **secret.get("stringData", {})}


@params
def test_topics_are_sized_by_settings_and_kept_for_good(kustomization: str) -> None:
    """The services create their topics (kept for good, see bizdev_common/topics.py) with
    the partitions and replicas of bizdev-config; a cluster keeps three replicas, a local
    single broker one."""
    config = next(
        cm
        for cm in of_kind(kustomization, "ConfigMap")
        if cm["metadata"]["name"].startswith("bizdev-config")
    )["data"]
    assert int(config["topic-partitions"]) >= 3
    expected = 1 if kustomization == "overlays/local" else 3
    assert int(config["topic-replication-factor"]) == expected
    for dep in deployments(kustomization):
        # <service>-api and <service>-worker both read their service's prefix.
        service_name = dep["metadata"]["name"].rsplit("-", 1)[0]
        prefix = f"BIZDEV_{service_name.upper()}_"
        for c in containers(dep):
            for var, key in (
                ("TOPIC_PARTITIONS", "topic-partitions"),
                ("TOPIC_REPLICATION_FACTOR", "topic-replication-factor"),
            ):
                ref = (env_var(c, prefix + var) or {}).get("valueFrom", {}).get("configMapKeyRef")
                assert ref, f"{kustomization}: {prefix}{var} not from bizdev-config"
                assert ref["key"] == key, f"{kustomization}: {prefix}{var} not from {key}"


@params
def test_the_one_inbox_asks_every_service_and_holds_no_database(kustomization: str) -> None:
    [dep] = [d for d in of_kind(kustomization, "Deployment") if pod_labels(d).get(NAME) == INBOX]
    [c] = containers(dep)
    assert c["command"] == ["bizdev-inbox"]
    names = {e["name"] for e in c["env"]}
    assert not any(n.endswith("DATABASE_URL") for n in names), "it owns no table"
    asked = json.loads(env_var(c, "BIZDEV_INBOX_SERVICES")["value"])  # type: ignore[index]
    assert asked == {n: f"http://{n}" for n in APP_SERVICES}
    for name in APP_SERVICES:
        service = named(kustomization, "Service", name)
        assert service is not None
        assert service["spec"]["ports"][0]["port"] == 80
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "JWT_ALGORITHM", "JWT_SECRET", "JWT_JWKS_URL"):
        assert f"BIZDEV_INBOX_{var}" in names, var
    port = int(env_var(c, "BIZDEV_INBOX_HTTP_PORT")["value"])  # type: ignore[index]
    assert container_port(c, port)
    inbox = named(kustomization, "Service", INBOX)
    assert inbox is not None
    assert selects(inbox["spec"]["selector"], pod_labels(dep))
    annotations = dep["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert container_port(c, int(annotations["prometheus.io/port"]))
