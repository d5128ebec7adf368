"""deploy/k8s: every object of every overlay validates against the schemas of its kind
(Kubernetes', Strimzi's and CloudNativePG's, vendored in schemas/, see SOURCES.md), and the
prod overlay runs Kafka and PostgreSQL through their operators, fenced by NetworkPolicies,
behind an Ingress, with no secret in it."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from bizdev_common.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
KUBECTL = shutil.which("kubectl")
KUSTOMIZATIONS = sorted(
    p.parent.relative_to(K8S).as_posix()
    for p in [K8S / "base" / "kustomization.yaml", *K8S.glob("overlays/*/kustomization.yaml")]
)
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import launcher  # noqa: E402

SERVICES = sorted(launcher.services())

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl renders the kustomizations")

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
    assert proc.returncode == 0, f"kubectl kustomize deploy/k8s/{kustomization}:\n{proc.stderr}"
    return tuple(d for d in yaml.safe_load_all(proc.stdout) if d is not None)


def of_kind(kustomization: str, kind: str) -> list[Doc]:
    return [d for d in render(kustomization) if d["kind"] == kind]


@cache
def validators() -> dict[str, jsonschema.protocols.Validator]:
    """A validator per "apiVersion/kind"."""
    kube = json.loads((SCHEMAS / "kubernetes.json").read_text())
    out: dict[str, Any] = {}
    for kind, name in kube["kinds"].items():
        schema = {"$ref": f"#/$defs/{name}", "$defs": kube["$defs"]}
        out[kind] = jsonschema.Draft202012Validator(schema)
    for kind, schema in json.loads((SCHEMAS / "crds.json").read_text()).items():
        out[kind] = jsonschema.Draft202012Validator(schema)
    return out


def errors_of(doc: Doc) -> list[str]:
    key = f"{doc['apiVersion']}/{doc['kind']}"
    validator = validators().get(key)
    if validator is None:
        return [f"no schema for {key}: vendor it (tests/deploy/schemas/vendor.py)"]
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
        for e in validator.iter_errors(doc)
    ]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_validates_against_its_kinds_schema(kustomization: str) -> None:
    found = {
        f"{d['kind']}/{d['metadata']['name']}": errs
        for d in render(kustomization)
        if (errs := errors_of(d))
    }
    assert not found, f"{kustomization}: {json.dumps(found, indent=1)}"


def _with(doc: Doc, path: list[str | int], value: Any) -> Doc:
    broken = copy.deepcopy(doc)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("Deployment", ["spec", "template", "spec", "containers", 0, "imagePullPolice"], "x"),
        ("Deployment", ["spec", "replicas"], "three"),
        ("NetworkPolicy", ["spec", "podSelectr"], {}),
        ("Ingress", ["spec", "rules", 0, "http", "paths", 0, "pathType"], 7),
        ("Kafka", ["spec", "kafka", "listners"], []),
        ("KafkaNodePool", ["spec", "roles"], ["leader"]),
        ("KafkaTopic", ["spec", "partitions"], "6"),
        ("Cluster", ["spec", "instancs"], 3),
    ],
)
def test_a_wrong_field_fails_validation(kind: str, path: list[str | int], value: Any) -> None:
    """The check is live: the first object of the kind, valid as rendered, is refused with
    a misspelt field or a value of the wrong type."""
    doc = of_kind("overlays/prod", kind)[0]
    assert not errors_of(doc)
    assert errors_of(_with(doc, path, value)), f"{kind}: {path} = {value!r} passed"


# --- prod -----------------------------------------------------------------------------------


PROD = "overlays/prod"


def test_prod_has_no_hand_made_statefulset_and_no_secret_values() -> None:
    kinds = {d["kind"] for d in render(PROD)}
    assert "StatefulSet" not in kinds
    assert "Secret" not in kinds, "secrets come from the operators and a secret manager"
    for dep in of_kind(PROD, "Deployment"):
        for c in dep["spec"]["template"]["spec"]["containers"]:
            for e in c["env"]:
                secretish = any(w in e["name"] for w in ("DATABASE_URL", "SECRET", "KEK"))
                if secretish and not e["name"].endswith("_FILE"):
                    assert "value" not in e, f"{dep['metadata']['name']}: {e['name']} inline"


def test_kafka_is_strimzi_in_kraft_with_node_pools() -> None:
    [kafka] = of_kind(PROD, "Kafka")
    name = kafka["metadata"]["name"]
    pools = of_kind(PROD, "KafkaNodePool")
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == name for p in pools)
    for role in ("controller", "broker"):
        assert sum(p["spec"]["replicas"] for p in pools if role in p["spec"]["roles"]) >= 3
    assert "zookeeper" not in kafka["spec"]
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    [config] = [
        c for c in of_kind(PROD, "ConfigMap") if c["metadata"]["name"].startswith("bizdev-config")
    ]
    assert config["data"]["kafka-bootstrap-servers"].startswith(f"{name}-kafka-bootstrap.")
    assert "topicOperator" in kafka["spec"]["entityOperator"]


def test_every_service_has_its_event_and_dead_letter_topics() -> None:
    from bizdev_common.contract import topic_for
    from bizdev_common.deadletters import dlq_topic

    [kafka] = of_kind(PROD, "Kafka")
    [config] = [
        c for c in of_kind(PROD, "ConfigMap") if c["metadata"]["name"].startswith("bizdev-config")
    ]
    topics = {t["spec"]["topicName"]: t for t in of_kind(PROD, "KafkaTopic")}
    for name in SERVICES:
        for topic in (topic_for(name), dlq_topic(name)):
            t = topics.get(topic)
            assert t, f"no KafkaTopic {topic}"
            assert t["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
            assert t["spec"]["replicas"] == 3
            assert t["spec"]["partitions"] == int(config["data"]["topic-partitions"])
            assert t["spec"]["config"]["min.insync.replicas"] == 2
            assert t["spec"]["config"]["retention.ms"] == -1, f"{topic} not kept for good"
            assert t["spec"]["config"]["retention.bytes"] == -1


def test_postgresql_is_a_cloudnativepg_cluster_the_services_use() -> None:
    [cluster] = of_kind(PROD, "Cluster")
    assert cluster["spec"]["instances"] == 3
    [budget] = [c for c in of_kind(PROD, "ConfigMap") if c["metadata"]["name"] == "bizdev-postgres"]
    allowed = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    assert allowed == int(budget["data"]["max-connections"])
    secret = f"{cluster['metadata']['name']}-app"  # what the operator generates
    for dep in of_kind(PROD, "Deployment"):
        if dep["metadata"]["name"] == "inbox":  # owns no table: given no database
            continue
        [c] = dep["spec"]["template"]["spec"]["containers"]
        [db] = [e for e in c["env"] if e["name"].endswith("_DATABASE_URL")]
        assert db["valueFrom"]["secretKeyRef"] == {"name": secret, "key": "uri"}


def _selects(selector: Doc, labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _policies_for(labels: dict[str, str]) -> list[Doc]:
    return [p for p in of_kind(PROD, "NetworkPolicy") if _selects(p["spec"]["podSelector"], labels)]


def _peers(policies: list[Doc], direction: str) -> list[tuple[str, int | None]]:
    """(namespace or pod labels, port) each policy lets through in `direction`."""
    out = []
    for p in policies:
        for rule in p["spec"].get(direction, []):
            peers = rule.get("to" if direction == "egress" else "from", [{}])
            for peer in peers:
                ns = peer.get("namespaceSelector", {}).get("matchLabels", {})
                pods = peer.get("podSelector", {}).get("matchLabels", {})
                where = ns.get("kubernetes.io/metadata.name") or ",".join(sorted(pods)) or "any"
                for port in rule.get("ports", [{}]):
                    out.append((where, port.get("port")))
    return out


def test_network_policies_deny_by_default_and_fence_the_services() -> None:
    [deny] = [p for p in of_kind(PROD, "NetworkPolicy") if p["metadata"]["name"] == "default-deny"]
    assert deny["spec"]["podSelector"] == {}
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]
    for dep in of_kind(PROD, "Deployment"):
        labels = dep["spec"]["template"]["metadata"]["labels"]
        policies = _policies_for(labels)
        egress = set(_peers(policies, "egress"))
        reach = {
            ("kube-system", 53),  # DNS
            ("cnpg.io/cluster", 5432),
            ("strimzi.io/broker-role,strimzi.io/cluster", 9092),
            ("observability", 4318),
        }
        if labels["app.kubernetes.io/name"] == "inbox":  # it asks every API
            reach.add(("app.kubernetes.io/component,app.kubernetes.io/part-of", 8000))
        assert egress == reach, f"{dep['metadata']['name']} may reach {egress}"
        ingress = set(_peers(policies, "ingress"))
        expected = {("monitoring", 8000)}
        if labels["app.kubernetes.io/component"] == "api":
            expected |= {("ingress-nginx", 8000), ("app.kubernetes.io/name", 8000)}
        assert ingress == expected, f"{dep['metadata']['name']} may be reached from {ingress}"


def test_ingress_routes_api_service_to_each_api_under_its_prefix() -> None:
    [ingress] = of_kind(PROD, "Ingress")
    paths = {
        p["path"]: p["backend"]["service"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    for name in SERVICES:
        assert paths.get(f"/api/{name}/") == {"name": name, "port": {"name": "http"}}
        [api] = [d for d in of_kind(PROD, "Deployment") if d["metadata"]["name"] == f"{name}-api"]
        [c] = api["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in c["env"]}
        # The API knows the prefix the Ingress keeps: its docs link to it.
        assert env[f"BIZDEV_{name.upper()}_ROOT_PATH"] == f"/api/{name}"


def test_ingress_lets_through_every_upload_an_api_accepts() -> None:
    """ingress-nginx refuses a body over 1 MB unless told: a too-large upload must meet the
    service's own 413 (a problem naming the limit), not the controller's HTML page."""
    [ingress] = of_kind(PROD, "Ingress")
    annotations = ingress["metadata"].get("annotations", {})
    allowed = int(annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
    for name in SERVICES:
        [api] = [d for d in of_kind(PROD, "Deployment") if d["metadata"]["name"] == f"{name}-api"]
        [c] = api["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in c["env"]}
        default = ServiceSettings.model_fields["max_upload_bytes"].default
        assert allowed >= int(env.get(f"BIZDEV_{name.upper()}_MAX_UPLOAD_BYTES") or default)


def test_prod_replicas_and_disruption_budgets() -> None:
    for dep in of_kind(PROD, "Deployment"):
        name = dep["metadata"]["name"]
        assert dep["spec"]["replicas"] >= (3 if name.endswith("-api") else 2), name
        labels = dep["spec"]["template"]["metadata"]["labels"]
        assert [
            p
            for p in of_kind(PROD, "PodDisruptionBudget")
            if _selects(p["spec"]["selector"], labels)
        ]
        [c] = dep["spec"]["template"]["spec"]["containers"]
        assert c["resources"]["requests"]["memory"] == c["resources"]["limits"]["memory"]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_sigterm_drain_fits_in_the_grace_period(kustomization: str) -> None:
    """Readiness fails for DRAIN_SECONDS, then requests in flight get SHUTDOWN_TIMEOUT_SECONDS:
    both before the kubelet's SIGKILL."""
    for dep in of_kind(kustomization, "Deployment"):
        if not dep["metadata"]["name"].endswith("-api"):
            continue
        pod = dep["spec"]["template"]["spec"]
        [c] = pod["containers"]
        env = {e["name"]: e.get("value") for e in c["env"]}
        drain = next(float(v) for k, v in env.items() if k.endswith("_DRAIN_SECONDS"))
        timeout = next(float(v) for k, v in env.items() if k.endswith("_SHUTDOWN_TIMEOUT_SECONDS"))
        assert drain > 0
        assert drain + timeout < pod["terminationGracePeriodSeconds"]
