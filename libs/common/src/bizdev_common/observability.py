"""Traces, metrics and logs.

- Traces: OpenTelemetry from the HTTP request (FastAPI's own server span) through the event
  store (one span per save, eventstore.py) to the relay's Kafka publish (trace context saved
  with each event) and into consumers (FastStream's telemetry middleware). Configured by the
  SDK's standard variables (`tracing_exporters`); with no exporter, no span is made.
- Metrics: Prometheus on /metrics, text or OpenMetrics as the scraper asks (`metrics_response`);
  the worker's consumer, relay and projection figures in signals.py.
- Logs: one JSON object per line on stdout: RFC 3339 UTC `time`, `service`, `role`, and the
  trace and span ids of the span the line was written in.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.exposition import choose_encoder
from pythonjsonlogger.json import JsonFormatter
from starlette.responses import Response

from bizdev_common import context

QUIET_LOGGERS = ("aiokafka", "kafka", "uvicorn.access")
"""Libraries whose INFO lines say what every request or reconnect does: WARNING and up only."""


class _ContextFilter(logging.Filter):
    """The ids of the span the line is written in (OpenTelemetry's current context) and of
    the conversation it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else None
        record.span_id = format(span.span_id, "016x") if span.is_valid else None
        record.correlation_id = context.correlation_id()
        return True


class _Formatter(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """RFC 3339 in UTC with milliseconds: 2026-12-07T04:27:23.889Z."""
        at = datetime.fromtimestamp(record.created, UTC)
        return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def setup_logging(service: str, role: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        _Formatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service, "role": role},
        )
    )
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def setup_tracing(
    service: str,
    role: str,
    exporter: SpanExporter | None = None,
) -> TracerProvider | None:
    """Installs the global tracer provider once per process; tests pass an in-memory exporter.

    None with OTEL_SDK_DISABLED=true, or when no exporter is configured and none was installed
    before: OpenTelemetry's no-op API stays, and no request, save or publish pays for a span
    that nothing would export. Otherwise the SDK reads its own variables: OTEL_SERVICE_NAME
    and OTEL_RESOURCE_ATTRIBUTES (the service's name when neither names it),
    OTEL_TRACES_SAMPLER, OTEL_BSP_*, and the exporters' (`tracing_exporters`)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    exporters = [exporter] if exporter is not None else tracing_exporters()
    current = trace.get_tracer_provider()
    if not exporters:
        return current if isinstance(current, TracerProvider) else None
    if isinstance(current, TracerProvider):
        provider = current
    else:
        resource = Resource.create({"bizdev.role": role})
        if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
            resource = resource.merge(Resource({SERVICE_NAME: service}))
        provider = TracerProvider(resource=resource)
        trace.set_tracer_provider(provider)
    for each in exporters:
        provider.add_span_processor(BatchSpanProcessor(each))
    return provider


def tracing_exporters() -> list[SpanExporter]:
    """The exporters OTEL_TRACES_EXPORTER names (`otlp`, `console`, `none`, or any other a
    package registers under the SDK's entry points); unset, OTLP when an endpoint is given
    (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT), else none. The
    specification's default is OTLP to localhost; a developer's machine has no collector, so
    here it takes a variable to send spans anywhere. OTLP is over HTTP (http/protobuf): the
    gRPC exporter is not installed, and asking for it is an error, not silence."""
    environ = os.environ
    names = [n.strip() for n in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names:
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        names = ["otlp"] if endpoint else []
    exporters: list[SpanExporter] = []
    for name in names:
        if name == "none":
            continue
        if name == "otlp":
            protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get(
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
            )
            if protocol != "http/protobuf":
                raise ValueError(
                    f"OTLP protocol {protocol!r} is not supported here: use http/protobuf"
                )
            name = "otlp_proto_http"
        if name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            # stderr: stdout carries the JSON log lines.
            exporters.append(ConsoleSpanExporter(out=sys.stderr))
            continue
        exporters.append(_registered_exporter(name)())
    return exporters


def _registered_exporter(name: str) -> type[SpanExporter]:
    from importlib.metadata import entry_points

    found = entry_points(group="opentelemetry_traces_exporter", name=name)
    if not found:
        raise ValueError(f"OTEL_TRACES_EXPORTER: no exporter {name!r} installed")
    exporter: type[SpanExporter] = next(iter(found)).load()
    return exporter


def metrics_response(registry: CollectorRegistry, accept: str | None) -> Response:
    """The registry in the format the scraper asks for: OpenMetrics when its Accept header
    offers it (Prometheus does), else Prometheus' text format."""
    encoder, content_type = choose_encoder(accept or "")
    return Response(encoder(registry), media_type=content_type)


def ready_gauge(registry: CollectorRegistry, service: str, role: str) -> Gauge:
    """`bizdev_ready`: what the process's /readyz says (1 ready, 0 not), for the alert on a
    service that stays not ready."""
    gauge = Gauge(
        "bizdev_ready",
        "1 when the process's /readyz says ready, 0 when not",
        ["service", "role"],
        registry=registry,
    )
    return gauge.labels(service, role)


def add_probes(
    app: FastAPI,
    registry: CollectorRegistry,
    gauge: Gauge,
    readiness: Callable[[], Awaitable[dict[str, Any]]],
    *,
    ready_summary: str,
) -> None:
    """/healthz, /readyz (`readiness`: its body, with `ready`; 503 when not) and /metrics,
    where `bizdev_ready` is what /readyz would say now, dead letters waiting included."""

    @app.get("/healthz", tags=["operations"], summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary=ready_summary,
        responses={
            503: {
                "description": "Not ready: `checks` says what is not",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    async def readyz() -> JSONResponse:
        body = await readiness()
        gauge.set(body["ready"])
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        description="Prometheus' text format, or OpenMetrics when the Accept header asks.",
        response_class=PlainTextResponse,
        responses={
            200: {
                "content": {
                    "text/plain": {"schema": {"type": "string"}},
                    "application/openmetrics-text": {"schema": {"type": "string"}},
                }
            }
        },
    )
    async def metrics(request: Request) -> Response:
        gauge.set((await readiness())["ready"])
        return metrics_response(registry, request.headers.get("accept"))
