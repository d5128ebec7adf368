"""The worker's Kafka broker, and the projectors of other services' topics and the reactions
subscribed to it. (What the AsyncAPI document says of them is asyncapi.py's.)"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from bizdev_common.deadletters import DeadLetters
from bizdev_common.parts import AppT, ServiceParts
from bizdev_common.projector import Projector
from bizdev_common.reactions import ReactionRunner
from bizdev_common.settings import ServiceSettings


def kafka_broker(s: ServiceSettings, registry: CollectorRegistry) -> KafkaBroker:
    """The broker a worker's consumers run in."""
    return KafkaBroker(
        s.kafka_bootstrap_servers,
        client_id=s.service,
        middlewares=[KafkaTelemetryMiddleware(), KafkaPrometheusMiddleware(registry=registry)],
        logger=logging.getLogger(f"{s.service}.kafka"),
        # Its "Received" and "Processed" per message: at INFO they were nearly every line
        # logged; errors stay at ERROR.
        log_level=logging.DEBUG,
    )


def add_consumers(
    broker: KafkaBroker,
    parts: ServiceParts[AppT, Any],
    application: AppT,
    pool: asyncpg.Pool,
    dead_letters: DeadLetters,
) -> tuple[list[Projector], list[ReactionRunner]]:
    """Subscribes the service's projectors of other services' topics and its reactions to the
    broker (its own events reach its views from its event store: feed.py)."""
    s = parts.settings
    projections = [make(s.schema_name) for make in parts.projections] if s.projector_enabled else []
    projectors = [
        Projector(broker, pool, projection, s, dead_letters)
        for projection in projections
        if projection.foreign_topics
    ]
    reactions = [
        ReactionRunner(broker, application, make(), s, dead_letters) for make in parts.reactions
    ]
    return projectors, reactions
