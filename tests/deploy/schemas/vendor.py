"""Writes the schemas tests/deploy/test_k8s_schemas.py validates the rendered manifests
against, for the kinds the manifests use only, without descriptions (SOURCES.md says where
they come from and which versions). Run it again after adding a kind or moving a version:

    python tests/deploy/schemas/vendor.py \\
        --kubernetes DIR  # kubernetes-json-schema/v<version>-local-strict of the PyPI package
                          # kubernetes-validate (its wheel, unzipped)
        --crd FILE ...    # the operators' CustomResourceDefinition YAML files

CRD schemas are made strict as `kubectl apply` (field validation Strict) is: an object with
`properties` takes no other field unless it says x-kubernetes-preserve-unknown-fields."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent

KUBERNETES_KINDS = {
    ("v1", "ConfigMap"),
    ("v1", "Namespace"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "Ingress"),
}


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def kubernetes(directory: Path) -> dict[str, Any]:
    """One document: `$defs` holding every definition the kinds need, `kinds` mapping
    "apiVersion/kind" to its definition's name."""
    defs: dict[str, Any] = json.loads((directory / "_definitions.json").read_text())["$defs"]
    kinds: dict[str, str] = {}
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            if (api, gvk["kind"]) in KUBERNETES_KINDS:
                kinds[f"{api}/{gvk['kind']}"] = name
    missing = {f"{a}/{k}" for a, k in KUBERNETES_KINDS} - set(kinds)
    assert not missing, f"not in {directory}: {missing}"
    needed: dict[str, Any] = {}
    todo = list(kinds.values())
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed[name] = _strip(defs[name])
        todo += _refs(needed[name])
    prefix = "/api/_definitions.json#/$defs/"
    text = json.dumps(needed, sort_keys=True).replace(f'"{prefix}', '"#/$defs/')
    return {"kinds": dict(sorted(kinds.items())), "$defs": json.loads(text)}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _strict(node: Any) -> Any:
    """An OpenAPI v3 structural schema as a strict JSON schema."""
    if isinstance(node, list):
        return [_strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items() if k != "description"}
    known = "properties" in out and "additionalProperties" not in out
    if known and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def crd(path: Path) -> tuple[str, dict[str, Any]]:
    doc = yaml.safe_load(path.read_text())
    spec = doc["spec"]
    [version] = [v for v in spec["versions"] if v.get("storage")]
    api = f"{spec['group']}/{version['name']}"
    schema = _strict(version["schema"]["openAPIV3Schema"])
    # The API server, not the schema, knows these: make them part of it.
    schema["properties"]["apiVersion"] = {"const": api}
    schema["properties"]["kind"] = {"const": spec["names"]["kind"]}
    schema["properties"]["metadata"] = {"type": "object"}
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    return f"{api}/{spec['names']['kind']}", schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubernetes", type=Path, required=True)
    parser.add_argument("--crd", type=Path, nargs="+", required=True)
    args = parser.parse_args()
    out = kubernetes(args.kubernetes)
    (HERE / "kubernetes.json").write_text(json.dumps(out, sort_keys=True) + "\n")
    crds = dict(crd(p) for p in args.crd)
    (HERE / "crds.json").write_text(json.dumps(crds, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
