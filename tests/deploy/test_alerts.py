"""The prod overlay's alert rules and Grafana dashboard: promtool checks the rules and runs
them over synthetic series (alerts-test.yaml: lag, backlog, a stuck relay, dead letters, 5xx,
not ready), and every metric they name is one the processes expose."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from bizdev_common import middleware
from bizdev_common.settings import ServiceSettings
from bizdev_common.worker import create_worker_app
from bizdev_projects.main import parts
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

HERE = Path(__file__).resolve().parent
PROD = HERE.parents[1] / "deploy" / "k8s" / "overlays" / "prod"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool (Debian package prometheus; `make install` adds it)"
)


def rule_groups() -> list[dict[str, Any]]:
    rule = yaml.safe_load((PROD / "alerts.yaml").read_text())
    assert rule["kind"] == "PrometheusRule"
    groups: list[dict[str, Any]] = rule["spec"]["groups"]
    return groups


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@needs_promtool
def test_the_rules_are_valid(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups()}))
    checked = promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs_promtool
def test_the_alerts_fire_on_lag_backlog_dead_letters_errors_and_not_ready(
    tmp_path: Path,
) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups()}))
    shutil.copy(HERE / "alerts-test.yaml", tmp_path / "alerts-test.yaml")
    tested = promtool("test", "rules", "alerts-test.yaml", cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {r["alert"] for g in rule_groups() for r in g["rules"]}
    assert {
        "BizdevConsumerLagging",
        "BizdevRelayBacklog",
        "BizdevRelayStuck",
        "BizdevDeadLetters",
        "BizdevHttpErrors",
        "BizdevNotReady",
    } <= alerts


@cache
def exposed() -> frozenset[str]:
    """The series names the worker's /metrics and the API's HTTP middleware expose."""
    worker = TestClient(create_worker_app(parts()))  # no lifespan: nothing to connect to
    text = worker.get("/metrics").text
    registry = CollectorRegistry()
    api = FastAPI()
    middleware.install(api, ServiceSettings(service="projects"), registry)
    TestClient(api).get("/")  # Starlette builds its middleware at the first request
    text += generate_latest(registry).decode()
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "gauge": ("",),
    }
    return frozenset(
        f.name + suffix
        for f in text_string_to_metric_families(text)
        for suffix in suffixes.get(f.type, ("",))
    )


def named(expr: str) -> set[str]:
    return set(re.findall(r"\b(?:bizdev|http)_[a-z_]+\b", expr))


def test_every_metric_the_rules_name_is_exposed() -> None:
    exprs = [r["expr"] for g in rule_groups() for r in g["rules"]]
    used = set().union(*map(named, exprs))
    assert used, exprs
    assert used <= exposed(), used - exposed()


def test_the_dashboard_charts_exposed_metrics() -> None:
    dashboard = json.loads((PROD / "dashboard.json").read_text())
    panels = dashboard["panels"]
    assert dashboard["uid"]
    assert len({p["id"] for p in panels}) == len(panels)
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    assert all(exprs)
    used = set().union(*map(named, exprs))
    assert {"bizdev_consumer_lag", "bizdev_relay_backlog", "http_requests_total"} <= used
    assert used <= exposed(), used - exposed()


def test_the_dashboard_ships_in_the_prod_overlay() -> None:
    kustomization = yaml.safe_load((PROD / "kustomization.yaml").read_text())
    [generator] = [
        g for g in kustomization["configMapGenerator"] if g["name"] == "bizdev-dashboard"
    ]
    assert generator["files"] == ["dashboard.json"]
    assert generator["options"]["labels"] == {"grafana_dashboard": "1"}
    assert "alerts.yaml" in kustomization["resources"]
