"""Logs, traces and the metrics' format: what a log shipper, a collector and a scraper read."""

from __future__ import annotations

import io
import json
import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bizdev_common import middleware
from bizdev_common.observability import (
    metrics_response,
    setup_logging,
    setup_tracing,
    tracing_exporters,
)
from bizdev_common.settings import ServiceSettings
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from prometheus_client import CollectorRegistry, Counter


def logged(level: str = "INFO") -> io.StringIO:
    out = io.StringIO()
    setup_logging("projects", "worker", level)
    logging.getLogger().handlers[0].setStream(out)  # type: ignore[attr-defined]
    return out


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_line_has_an_rfc3339_utc_time_its_service_and_role() -> None:
    out = logged()
    before = datetime.now(UTC)
    logging.getLogger("bizdev_projects.x").warning("stored %d", 3)
    [line] = lines(out)
    assert line["message"] == "stored 3"
    assert (line["level"], line["logger"]) == ("WARNING", "bizdev_projects.x")
    assert (line["service"], line["role"]) == ("projects", "worker")
    assert line["time"].endswith("Z")
    at = datetime.fromisoformat(line["time"])
    assert at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) < at <= datetime.now(UTC)
    assert line["trace_id"] is None
    assert line["span_id"] is None


def test_a_line_written_in_a_span_carries_its_trace_and_span_ids() -> None:
    out = logged()
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("outer"), tracer.start_as_current_span("inner") as span:
        logging.getLogger("x").info("inside")
    logging.getLogger("x").info("after")
    inside, after = lines(out)
    ids = span.get_span_context()
    assert inside["trace_id"] == format(ids.trace_id, "032x")
    assert inside["span_id"] == format(ids.span_id, "016x")
    assert after["trace_id"] is None


@pytest.mark.parametrize(
    ("environ", "kinds"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, [OTLPSpanExporter]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, [OTLPSpanExporter]),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, [OTLPSpanExporter]),
        ({"OTEL_TRACES_EXPORTER": "console"}, [ConsoleSpanExporter]),
        ({"OTEL_TRACES_EXPORTER": "otlp,console"}, [OTLPSpanExporter, ConsoleSpanExporter]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, []),
    ],
)
def test_the_sdk_variables_choose_the_exporters(
    environ: dict[str, str], kinds: list[type], monkeypatch: pytest.MonkeyPatch
) -> None:
    otel(monkeypatch, environ)
    assert [type(e) for e in tracing_exporters()] == kinds


def test_the_traces_endpoint_is_where_spans_go(monkeypatch: pytest.MonkeyPatch) -> None:
    otel(monkeypatch, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:9/v1/t"})
    [exporter] = tracing_exporters()
    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "http://c:9/v1/t"


def test_an_exporter_that_cannot_be_had_is_an_error_not_silence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    otel(monkeypatch, {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    with pytest.raises(ValueError, match="grpc"):
        tracing_exporters()
    otel(monkeypatch, {"OTEL_TRACES_EXPORTER": "zipkin"})
    with pytest.raises(ValueError, match="zipkin"):
        tracing_exporters()


def test_the_sdk_switched_off_records_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    otel(monkeypatch, {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"})
    assert setup_tracing("projects", "api") is None


def otel(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    """Exactly these OpenTelemetry variables, whatever the shell running the tests has."""
    for name in [n for n in os.environ if n.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)


def test_openmetrics_when_the_scraper_asks_for_it() -> None:
    registry = CollectorRegistry()
    Counter("things", "Things", registry=registry).inc()
    text = metrics_response(registry, "text/plain")
    assert text.media_type is not None
    assert text.media_type.startswith("text/plain")
    assert b"things_total 1.0" in text.body
    prometheus = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    open_metrics = metrics_response(registry, prometheus)
    assert open_metrics.media_type is not None
    assert open_metrics.media_type.startswith("application/openmetrics-text")
    assert open_metrics.body.endswith(b"# EOF\n")


def test_static_files_are_counted_under_their_mount(tmp_path: Any) -> None:
    (tmp_path / "app.js").write_text("//")
    app = FastAPI()
    registry = CollectorRegistry()
    middleware.install(app, ServiceSettings(service="edge"), registry)
    app.mount("/docs-static/swagger", StaticFiles(directory=tmp_path), name="swagger")
    client = TestClient(app)
    assert client.get("/docs-static/swagger/app.js").status_code == 200
    assert client.get("/nowhere").status_code == 404
    counted = metrics_response(registry, None).body.decode()
    assert 'http_requests_total{method="GET",route="/docs-static/swagger",status="200"}' in counted
    assert 'http_requests_total{method="GET",route="unmatched",status="404"}' in counted
