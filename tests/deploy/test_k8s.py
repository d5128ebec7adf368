"""deploy/k8s: every kustomization renders, and what it renders is safe to run.

Rendering uses `kubectl kustomize`, which needs no cluster. The base and every
deploy/k8s/overlays/<name>/ are checked the same way.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBECTL = shutil.which("kubectl")
NAMESPACE = "bizdev"

KUSTOMIZATIONS = sorted(
    p.parent.relative_to(K8S).as_posix()
    for p in [K8S / "base" / "kustomization.yaml", *K8S.glob("overlays/*/kustomization.yaml")]
    if p.is_file()
)
APP_SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/Dockerfile"))

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
    found = of_kind(kustomization, "Deployment")
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


@params
def test_every_dockerized_service_is_deployed(kustomization: str) -> None:
    for name in APP_SERVICES:
        dep = named(kustomization, "Deployment", name)
        assert dep, f"{kustomization}: no Deployment for services/{name}"
        svc = named(kustomization, "Service", name)
        assert svc, f"{kustomization}: no Service for services/{name}"
        assert selects(svc["spec"]["selector"], pod_labels(dep))
        pdbs = [
            p
            for p in of_kind(kustomization, "PodDisruptionBudget")
            if selects(p["spec"]["selector"].get("matchLabels", {}), pod_labels(dep))
        ]
        assert pdbs, f"{kustomization}: no PodDisruptionBudget covers {name}"


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
        name = dep["metadata"]["name"]
        prefix = f"BIZDEV_{name.upper()}_"
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

            for var in ("KAFKA_BOOTSTRAP_SERVERS", "HTTP_PORT", "LOG_LEVEL"):
                assert env_var(c, prefix + var), f"{where}: {prefix}{var} missing"
            otel = env_var(c, "OTEL_SERVICE_NAME")
            assert otel, f"{where}: OTEL_SERVICE_NAME missing"
            assert otel.get("value") == f"bizdev-{name}", f"{where}: OTEL_SERVICE_NAME"
            assert env_var(c, "OTEL_EXPORTER_OTLP_ENDPOINT"), f"{where}: no OTLP endpoint"
            port = env_var(c, prefix + "HTTP_PORT")
            assert port, f"{where}: {prefix}HTTP_PORT missing"
            assert container_port(c, int(port["value"])), (
                f"{where}: {prefix}HTTP_PORT is not the container port"
            )

            foreign = [
                e["name"]
                for e in c.get("env", [])
                if e["name"].startswith("BIZDEV_") and not e["name"].startswith(prefix)
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
        backing = [d for d in deployments(kustomization) if selects(selector, pod_labels(d))]
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
    """Two replicas: HTTP stays up during a restart; the relay's advisory lock keeps one writer."""
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
    [crm] = [d for d in deployments(kustomization) if d["metadata"]["name"] == "crm"]
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
        prefix = f"BIZDEV_{dep['metadata']['name'].upper()}_"
        for c in containers(dep):
            for var, key in (
                ("TOPIC_PARTITIONS", "topic-partitions"),
                ("TOPIC_REPLICATION_FACTOR", "topic-replication-factor"),
            ):
                ref = (env_var(c, prefix + var) or {}).get("valueFrom", {}).get("configMapKeyRef")
                assert ref, f"{kustomization}: {prefix}{var} not from bizdev-config"
                assert ref["key"] == key, f"{kustomization}: {prefix}{var} not from {key}"
