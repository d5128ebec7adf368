"""Prometheus' alerting rules and a Grafana dashboard of the same figures, for the prod
overlay (alerts.yaml, dashboard.json) and promtool (tests/deploy/test_alerts.py)."""

from __future__ import annotations

import json
from typing import Any

from launcher import Service

from . import dump
from .prod import HEADER

LAG_SECONDS = 300
"""A consumer whose oldest unread record is older than this: its views (or reactions) are late."""
STALL_MINUTES = 15
"""A consumer behind, or a relay with a backlog, that has not moved in this long is stuck."""
ERROR_RATIO = 0.05
"""Share of an API's answers that may be 5xx over five minutes."""

SERVICE_OF = "+ on (job, instance) group_left (service) (0 * bizdev_ready)"
"""Labels a series with the service of the process it was scraped from: every process exposes
bizdev_ready{service, role}, the metrics of libraries and of the dead letters do not."""


def alert_groups() -> list[dict[str, Any]]:
    """Prometheus' alerting rules, for the PrometheusRule of the prod overlay and for promtool
    (tests/deploy/test_alerts.py). Every worker replica measures the whole service, so the
    rules take the highest figure of the replicas."""
    consumer = "service, consumer_group, topic, partition"
    runbook = "docs/operations.md"
    rules = [
        {
            "alert": "BizdevConsumerLagging",
            "expr": f"max by ({consumer}) (bizdev_consumer_lag_seconds) > {LAG_SECONDS}",
            "for": "5m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "{{ $labels.consumer_group }} is {{ $value | humanizeDuration }} "
                "behind on {{ $labels.topic }}/{{ $labels.partition }}",
                "description": "Its oldest unread record is older than "
                f"{LAG_SECONDS} s: its views or reactions are late. `bizdev lag "
                "{{ $labels.service }}`; the worker's log says why. " + runbook,
            },
        },
        {
            "alert": "BizdevConsumerStalled",
            "expr": f"max by ({consumer}) (bizdev_consumer_lag) > 0 and max by ({consumer}) "
            f"(changes(bizdev_consumer_position[{STALL_MINUTES}m])) == 0",
            "for": "5m",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "{{ $labels.consumer_group }} has not moved on "
                "{{ $labels.topic }}/{{ $labels.partition }} for "
                f"{STALL_MINUTES} minutes with records to read",
                "description": "No worker consumes that partition, or every attempt fails "
                "before it parks the record. " + runbook,
            },
        },
        {
            "alert": "BizdevRelayBacklog",
            "expr": "max by (service) (bizdev_relay_backlog) > 0",
            "for": "10m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "{{ $labels.service }}: {{ $value }} stored event(s) not yet "
                "published, for 10 minutes",
                "description": "Commands succeed, but other services and the views do not "
                "see their events. Kafka reachable? The relay's leader alive? " + runbook,
            },
        },
        {
            "alert": "BizdevRelayStuck",
            "expr": "max by (service) (bizdev_relay_stuck_position) > 0 or "
            "(max by (service) (bizdev_relay_backlog) > 0 and max by (service) "
            f"(changes(bizdev_relay_position[{STALL_MINUTES}m])) == 0)",
            "for": "5m",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "{{ $labels.service }}: the outbox relay does not move",
                "description": "It stays at an event it cannot publish (its /readyz names "
                "it), or publishes nothing while events wait. " + runbook,
            },
        },
        {
            "alert": "BizdevDeadLetters",
            "expr": f"max by (service) (bizdev_dead_letters_waiting {SERVICE_OF}) > 0",
            "for": "5m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "{{ $labels.service }}: {{ $value }} message(s) parked",
                "description": "A consumer gave up on them; their views or reactions miss "
                "them until they are replayed: `bizdev dlq list {{ $labels.service }}`, "
                "fix, `bizdev dlq replay {{ $labels.service }}`. " + runbook,
            },
        },
        {
            "alert": "BizdevHttpErrors",
            "expr": 'sum by (service) (rate(http_requests_total{status=~"5.."}[5m]) '
            f"{SERVICE_OF}) / sum by (service) (rate(http_requests_total[5m]) {SERVICE_OF}) "
            f"> {ERROR_RATIO}",
            "for": "5m",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "{{ $labels.service }}: {{ $value | humanizePercentage }} of the "
                "API's answers are 5xx",
                "description": "The API logs each 500 with its trace id; 503s come from "
                "PostgreSQL unreachable or the pod stopping. " + runbook,
            },
        },
        {
            "alert": "BizdevNotReady",
            "expr": "max by (service, role) (bizdev_ready) == 0",
            "for": "5m",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "{{ $labels.service }} {{ $labels.role }}: no process ready",
                "description": "Their /readyz says why (`checks`): PostgreSQL unreachable, "
                "or the views not built. " + runbook,
            },
        },
        {
            "alert": "BizdevLagNotMeasured",
            "expr": "time() - max by (service) (bizdev_signals_measured_timestamp_seconds) > 300",
            "for": "5m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "{{ $labels.service }}: lag and backlog last measured "
                "{{ $value | humanizeDuration }} ago",
                "description": "The workers reach neither Kafka nor PostgreSQL, or fail to "
                "measure (their log says why): the lag and backlog alerts see old figures. "
                + runbook,
            },
        },
    ]
    return [{"name": "bizdev", "rules": rules}]


def alerts(services: dict[str, Service]) -> str:
    """The alerting rules as a PrometheusRule (prometheus-operator); Prometheus selects it by
    its labels (REPLACE them with your Prometheus' ruleSelector)."""
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "bizdev", "labels": {"app.kubernetes.io/part-of": "bizdev"}},
        "spec": {"groups": alert_groups()},
    }
    return dump(HEADER, [("", rule)])


def dashboard(services: dict[str, Service]) -> str:
    """A Grafana dashboard of the same figures as the alerts, per service (a variable), for
    Grafana's dashboard sidecar (the overlay's ConfigMap bizdev-dashboard)."""
    chosen = '{service=~"$service"}'
    service_of = SERVICE_OF.replace("bizdev_ready", f"bizdev_ready{chosen}")
    consumer = "consumer_group, topic, partition"
    panels = [
        (
            "API requests per second",
            "reqps",
            [
                (
                    "{{service}} {{status}}",
                    f"sum by (service, status) (rate(http_requests_total[5m]) {service_of})",
                ),
            ],
        ),
        (
            "API 5xx share",
            "percentunit",
            [
                (
                    "{{service}}",
                    'sum by (service) (rate(http_requests_total{status=~"5.."}[5m]) '
                    f"{service_of}) / sum by (service) "
                    f"(rate(http_requests_total[5m]) {service_of})",
                ),
            ],
        ),
        (
            "API latency, 95th percentile",
            "s",
            [
                (
                    "{{service}}",
                    "histogram_quantile(0.95, sum by (service, le) "
                    f"(rate(http_request_duration_seconds_bucket[5m]) {service_of}))",
                ),
            ],
        ),
        (
            "Consumer lag (records)",
            "short",
            [
                (
                    "{{consumer_group}} {{topic}}/{{partition}}",
                    f"max by ({consumer}) (bizdev_consumer_lag{chosen})",
                ),
            ],
        ),
        (
            "Oldest unread record (how far behind)",
            "s",
            [
                (
                    "{{consumer_group}} {{topic}}/{{partition}}",
                    f"max by ({consumer}) (bizdev_consumer_lag_seconds{chosen})",
                ),
            ],
        ),
        (
            "Outbox relay: events not yet published",
            "short",
            [
                ("{{service}}", f"max by (service) (bizdev_relay_backlog{chosen})"),
            ],
        ),
        (
            "Outbox relay: stuck at (notification id, 0 = not stuck)",
            "short",
            [
                ("{{service}}", f"max by (service) (bizdev_relay_stuck_position{chosen})"),
            ],
        ),
        (
            "Dead letters waiting",
            "short",
            [
                ("{{service}}", f"max by (service) (bizdev_dead_letters_waiting {service_of})"),
            ],
        ),
        (
            "Processes ready",
            "short",
            [
                ("{{service}} {{role}}", f"sum by (service, role) (bizdev_ready{chosen})"),
            ],
        ),
    ]
    datasource = {"type": "prometheus", "uid": "${datasource}"}
    dashboard = {
        "uid": "bizdev-signals",
        "title": "bizdev: services",
        "tags": ["bizdev"],
        "timezone": "utc",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus"},
                {
                    "name": "service",
                    "type": "query",
                    "datasource": datasource,
                    "query": "label_values(bizdev_ready, service)",
                    "includeAll": True,
                    "multi": True,
                    "current": {"text": "All", "value": "$__all"},
                },
            ]
        },
        "panels": [
            {
                "id": i + 1,
                "type": "timeseries",
                "title": title,
                "datasource": datasource,
                "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [
                    {"refId": chr(ord("A") + j), "expr": expr, "legendFormat": legend}
                    for j, (legend, expr) in enumerate(targets)
                ],
            }
            for i, (title, unit, targets) in enumerate(panels)
        ],
    }
    return json.dumps(dashboard, indent=2) + "\n"
