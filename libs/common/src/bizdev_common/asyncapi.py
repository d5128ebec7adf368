"""A service's AsyncAPI 3.0 document, as the AsyncAPI and CloudEvents specifications read it.

One message per `ce_type`: its payload is the event's JSON Schema as committed under
`contracts/` (its `$defs` moved to the document's components, the references pointing there,
since a `#` inside a message resolves against the whole document), its headers the `ce_*`
headers the relay sends (envelope.py), with `ce_type` and `ce_source` fixed to the message's.
Beside the service's own topic, each of its consumers (a projection of another service's
topic, a reaction) is a channel on the topic it reads, with the messages of the types it
reads as its own model describes them: what it asks of the producer.

The service's `/asyncapi.json` and the committed `contracts/<service>/asyncapi.json`
(catalog.py) are this document; nothing here needs a broker or a database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bizdev_common.contract import EventContract, PublicEvent
from bizdev_common.envelope import (
    CE_HEADERS,
    CONTENT_TYPE,
    ENVELOPE_VERSION,
    SEQUENCE_DIGITS,
    SPECVERSION,
    source_for,
)

if TYPE_CHECKING:
    from bizdev_common.parts import ServiceParts

VERSION = "3.0.0"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_PLACEHOLDER = "kafka:9092"
"""The host the document names, whatever Kafka the service really uses."""
KAFKA_BINDING = "0.5.0"
HEADERS = "CloudEventHeaders"
OPTIONAL_HEADERS = ("ce_correlationid", "ce_causationid", "traceparent", "correlation_id")
OPTIONAL_HEADERS = ("ce_correlationid", "ce_causationid", "traceparent", "correlation_id")


def event_schema(contract: EventContract, model: type[PublicEvent]) -> dict[str, Any]:
    """The JSON Schema of an event as its JSON is on the topic (pydantic's serialization
    schema): what `contracts/<service>/<Event>.v<N>.schema.json` holds."""
    schema = model.model_json_schema(mode="serialization")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:bizdev:event:{contract.ce_type(model)}",
        "x-ce-type": contract.ce_type(model),
        "x-topic": contract.topic,
        "x-key": "aggregate_id",
        **schema,
    }


@dataclass(frozen=True)
class Reader:
    """One of the service's consumers of a topic it reads from Kafka."""

    kind: str  # "view" or "reaction"
    name: str
    description: str
    contract: EventContract


def readers(parts: ServiceParts[Any, Any]) -> Iterator[Reader]:
    """What the service consumes from Kafka: its projections of other services' topics (its
    own events reach its views from its event store) and its reactions."""
    for make in parts.projections:
        projection = make(parts.settings.schema_name)
        for topic in projection.foreign_topics:
            yield Reader("view", projection.name, _doc(projection), projection.contracts[topic])
    for make_reaction in parts.reactions:
        reaction = make_reaction()
        for contract in reaction.upstream:
            yield Reader("reaction", reaction.name, _doc(reaction), contract)


def _doc(thing: object) -> str:
    return " ".join((type(thing).__doc__ or "").split())


def headers_schema() -> dict[str, Any]:
    """The `ce_*` headers (and the trace ones) every record carries, as strings."""
    described = {k: " ".join(v.replace("`", "").split()) for k, v in CE_HEADERS.items()}
    string = {"type": "string"}
    shapes: dict[str, dict[str, Any]] = {
        "ce_specversion": {"const": SPECVERSION},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "format": "uuid"},
        # Unpadded values (envelope version 1) stay on the topics for good.
        "ce_sequence": {"type": "string", "pattern": "^[0-9]+$"},
        "content-type": {"const": CONTENT_TYPE},
    }
    properties = {k: {**shapes.get(k, string), "description": described[k]} for k in CE_HEADERS}
    properties["tracestate"] = {"type": "string", "description": "W3C trace state (optional)"}
    return {
        "type": "object",
        "description": (
            f"CloudEvents {SPECVERSION} attributes in Kafka binary mode, envelope version "
            f"{ENVELOPE_VERSION}: `ce_sequence` has {SEQUENCE_DIGITS} digits, zero-padded, so "
            "that its values order as text (the CloudEvents sequence extension)."
        ),
        "properties": properties,
        "required": [k for k in CE_HEADERS if k not in OPTIONAL_HEADERS],
    }


class _Components:
    """Schemas gathered from the events' `$defs`: one name each, qualified by the event when
    two events define the same name differently."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {HEADERS: headers_schema()}
        self._defined: dict[str, Any] = {}

    def payload(self, key: str, schema: Mapping[str, Any]) -> dict[str, str]:
        """The schema under `key` (its model's name where free), its definitions beside."""
        key = key if key not in self.schemas else str(schema["x-ce-type"])
        definitions: dict[str, Any] = dict(schema.get("$defs", {}))
        # All of an event's or none: its definitions refer to each other by name.
        clash = any(self._defined.get(n, d) != d for n, d in definitions.items())
        names = {name: f"{key}.{name}" if clash else name for name in definitions}
        if not clash:
            self._defined.update(definitions)

        def moved(node: Any) -> Any:
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    return {**node, "$ref": f"#/components/schemas/{names[ref[8:]]}"}
                return {k: moved(v) for k, v in node.items()}
            if isinstance(node, list):
                return [moved(v) for v in node]
            return node

        for name, definition in definitions.items():
            self.schemas[names[name]] = moved(definition)
        # `$schema` and `$id` would make validators resolve its references against the
        # committed file's URN, not this document.
        body = {k: v for k, v in schema.items() if k not in ("$defs", "$schema", "$id")}
        self.schemas[key] = moved(body)
        return {"$ref": f"#/components/schemas/{key}"}


def _message(
    components: _Components, schema_key: str, contract: EventContract, model: type[PublicEvent]
) -> dict[str, Any]:
    ce_type = contract.ce_type(model)
    message: dict[str, Any] = {
        "name": ce_type,
        "title": f"{model.event_name} v{model.event_version}",
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "allOf": [
                {"$ref": f"#/components/schemas/{HEADERS}"},
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {"const": ce_type},
                        "ce_source": {"const": source_for(contract.service)},
                    },
                },
            ],
        },
        "payload": components.payload(schema_key, event_schema(contract, model)),
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "format": "uuid"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }
    doc = " ".join((model.__doc__ or "").split())
    if doc:
        message["summary"] = doc
    return message


def _channel_messages(contract: EventContract, keys: Mapping[str, str]) -> dict[str, Any]:
    return {
        f"{m.event_name}.v{m.event_version}": {
            "$ref": f"#/components/messages/{keys[contract.ce_type(m)]}"
        }
        for m in contract.models
    }


def document(parts: ServiceParts[Any, Any]) -> dict[str, Any]:
    contract = parts.contract
    components = _Components()
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    server = {"$ref": "#/servers/kafka"}

    own = {contract.ce_type(m): contract.ce_type(m) for m in contract.models}
    for model in contract.models:
        key = contract.ce_type(model)
        messages[key] = _message(components, model.__name__, contract, model)
    channels[contract.topic] = {
        "address": contract.topic,
        "title": contract.topic,
        "description": (
            f"Every public event of {contract.service}, keyed by aggregate id: one message "
            "per `ce_type`. Retired versions stay on the topic for good."
        ),
        "messages": _channel_messages(contract, own),
        "servers": [server],
        "bindings": {"kafka": {"topic": contract.topic, "bindingVersion": KAFKA_BINDING}},
    }
    operations["publish"] = {
        "action": "send",
        "title": f"{contract.service} publishes",
        "description": (
            "The outbox relay publishes each stored public event at least once, in the order "
            "of its aggregate's versions within a partition."
        ),
        "channel": {"$ref": f"#/channels/{contract.topic}"},
        "messages": [
            {"$ref": f"#/channels/{contract.topic}/messages/{name}"}
            for name in channels[contract.topic]["messages"]
        ],
    }

    for reader in readers(parts):
        read = reader.contract
        channel = f"{reader.kind}.{reader.name}.{read.service}"
        keys = {read.ce_type(m): f"{channel}.{read.ce_type(m)}" for m in read.models}
        for model in read.models:
            key = keys[read.ce_type(model)]
            messages[key] = _message(components, f"{channel}.{model.__name__}", read, model)
        what = "view" if reader.kind == "view" else "reaction"
        channels[channel] = {
            "address": read.topic,
            "title": f"{parts.settings.service} {what} {reader.name} reads {read.topic}",
            "description": reader.description or f"{what} {reader.name}",
            "messages": _channel_messages(read, keys),
            "servers": [server],
            "bindings": {"kafka": {"topic": read.topic, "bindingVersion": KAFKA_BINDING}},
        }
        operations[channel] = {
            "action": "receive",
            "title": f"{reader.name} consumes",
            "description": (
                f"Consumer group {parts.settings.schema_name}.{reader.name}: the types below, "
                "as this service's own models read them (the rest of the topic is skipped)."
            ),
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [
                {"$ref": f"#/channels/{channel}/messages/{name}"}
                for name in channels[channel]["messages"]
            ],
        }

    return {
        "asyncapi": VERSION,
        "info": {
            "title": f"{parts.title} events",
            "version": parts.version,
            "description": parts.description,
            "tags": [{"name": parts.settings.service}],
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": KAFKA_PLACEHOLDER,
                "protocol": "kafka",
                "description": "the deployment's Kafka bootstrap servers",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": components.schemas},
    }


def to_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)
