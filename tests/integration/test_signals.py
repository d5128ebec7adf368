"""What an operator watches, from the running processes: the worker's lag and backlog gauges
and its readiness on /metrics, OpenMetrics when asked, and log lines a shipper can parse."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .conftest import ServiceProcess, eventually
from .flows import People, draft


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


async def test_the_worker_measures_lag_backlog_and_readiness(
    http: httpx.AsyncClient, projects: ServiceProcess
) -> None:
    await draft(http, People())
    worker_metrics = f"{projects.worker.url}/metrics"

    async def measured() -> list[tuple[str, dict[str, str], float]]:
        found = samples((await http.get(worker_metrics)).text)
        relay = {n: v for n, labels, v in found if n.startswith("bizdev_relay")}
        lags = [v for n, labels, v in found if n == "bizdev_consumer_lag"]
        published = relay.get("bizdev_relay_position", 0) > 0
        caught_up = relay.get("bizdev_relay_backlog") == 0 and lags and not any(lags)
        return found if published and caught_up else []

    found = await eventually(measured)
    own_topic = [
        labels
        for n, labels, _ in found
        if n == "bizdev_consumer_position" and labels["kind"] == "projection"
    ]
    assert own_topic, "no projection's position"
    assert {labels["service"] for labels in own_topic} == {"projects"}
    assert {labels["topic"] for labels in own_topic} >= {"bizdev.projects.events.v1"}
    ages = [v for n, _, v in found if n == "bizdev_consumer_lag_seconds"]
    assert ages, "caught up, each partition is 0 s behind"
    assert not any(ages)
    assert ("bizdev_ready", {"service": "projects", "role": "worker"}, 1.0) in found

    openmetrics = await http.get(
        worker_metrics, headers={"Accept": "application/openmetrics-text;version=1.0.0"}
    )
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert "bizdev_relay_backlog" in openmetrics.text


def test_every_log_line_is_json_with_utc_time_service_and_role(projects: ServiceProcess) -> None:
    for role, process in projects.roles.items():
        lines = process.log_path.read_text().splitlines()
        assert lines, f"{role}: nothing logged"
        for line in lines:
            record = json.loads(line)  # a plain-text line fails here
            at = datetime.fromisoformat(record["time"])
            assert record["time"].endswith("Z"), record
            assert at.tzinfo == UTC, record
            assert (record["service"], record["role"]) == ("projects", role), record
            # At INFO, FastStream's per-message lines are not logged (they are DEBUG).
            assert record["message"] not in ("Received", "Processed"), record
