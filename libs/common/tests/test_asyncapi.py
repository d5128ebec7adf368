"""The AsyncAPI documents as the specifications read them: one message per `ce_type` whose
payload is the committed JSON Schema, the `ce_*` headers described, the consumers' channels
with what they read; and `ce_sequence` values that order as text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bizdev_common import asyncapi, catalog
from bizdev_common.envelope import SEQUENCE_DIGITS, Envelope

ROOT = Path(__file__).resolve().parents[3]
NOT_COMPARED = ("$schema", "$id", "$defs")


@pytest.fixture(scope="module")
def services() -> list[catalog.Service]:
    return [catalog.load(name) for name in catalog.service_names(ROOT)]


def inlined(node: Any, root: dict[str, Any], prefix: str, depth: int = 0) -> Any:
    """The schema with every local reference replaced by what it names."""
    assert depth < 40, "a reference cycle"
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith(prefix), ref
            target: Any = root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return inlined({**target, **rest}, root, prefix, depth + 1)
        return {
            k: inlined(v, root, prefix, depth) for k, v in node.items() if k not in NOT_COMPARED
        }
    if isinstance(node, list):
        return [inlined(v, root, prefix, depth) for v in node]
    return node


def test_each_published_type_is_a_message_whose_payload_is_its_committed_schema(
    services: list[catalog.Service],
) -> None:
    files = catalog.read(ROOT / "contracts")
    for service in services:
        document = json.loads(files[f"{service.name}/asyncapi.json"])
        contract = service.contract
        channel = document["channels"][contract.topic]
        assert channel["address"] == contract.topic
        messages = document["components"]["messages"]
        listed = {ref["$ref"].rsplit("/", 1)[-1] for ref in channel["messages"].values()}
        assert listed == {contract.ce_type(m) for m in contract.models}
        for model in contract.models:
            ce_type = contract.ce_type(model)
            committed = json.loads(files[catalog.schema_file(contract, model)])
            message = messages[ce_type]
            assert message["name"] == ce_type
            payload = inlined(message["payload"], document, "#/components/schemas/")
            assert payload == inlined(committed, committed, "#/$defs/"), ce_type
            fixed = message["headers"]["allOf"][1]["properties"]
            assert fixed["ce_type"] == {"const": ce_type}
            assert fixed["ce_source"] == {"const": f"/bizdev/{service.name}"}


def test_the_headers_schema_names_every_header_the_relay_sends(
    services: list[catalog.Service],
) -> None:
    envelope = Envelope(
        id="a/1", source="/bizdev/x", type="bizdev.x.E.v1", time=catalog_time(), subject="a",
        sequence=7, correlation_id="c", causation_id="d",
    )  # fmt: skip
    sent = {k for k, _ in envelope.headers({"traceparent": "t", "tracestate": "s"})}
    document = asyncapi.document(services[0].parts)
    headers = document["components"]["schemas"][asyncapi.HEADERS]
    assert sent == set(headers["properties"])
    assert set(headers["required"]) <= sent


def catalog_time() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 1, 2, tzinfo=UTC)


def test_each_consumer_is_a_channel_on_the_topic_it_reads_with_the_types_it_reads(
    services: list[catalog.Service],
) -> None:
    for service in services:
        document = asyncapi.document(service.parts)
        readers = list(asyncapi.readers(service.parts))
        assert readers or service.name == "projects"
        for reader in readers:
            channel = document["channels"][f"{reader.kind}.{reader.name}.{reader.contract.service}"]
            assert channel["address"] == reader.contract.topic
            names = {
                document["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]["name"]
                for ref in channel["messages"].values()
            }
            assert names == {reader.contract.ce_type(m) for m in reader.contract.models}
        receiving = [o for o in document["operations"].values() if o["action"] == "receive"]
        assert len(receiving) == len(readers)


def test_finance_percentages_and_amounts_are_strings_as_on_the_wire(
    services: list[catalog.Service],
) -> None:
    finance = next(s for s in services if s.name == "finance")
    text = catalog.asyncapi_document(finance)
    document = json.loads(text)
    seen = 0
    for name, schema in document["components"]["schemas"].items():
        for field in ("contingency_percent", "ceiling", "threshold_percent"):
            prop = schema.get("properties", {}).get(field)
            if prop is None:
                continue
            seen += 1
            kinds = [s.get("type") for s in prop.get("anyOf", [prop])]
            assert "number" not in kinds, f"{name}.{field}: {prop}"
            assert "string" in kinds, f"{name}.{field}: {prop}"
    assert seen >= 3


def test_sequences_order_as_text_and_unpadded_ones_still_parse() -> None:
    def sent(sequence: int) -> bytes:
        envelope = Envelope("a/1", "/bizdev/x", "bizdev.x.E.v1", catalog_time(), "a", sequence)
        return dict(envelope.headers({}))["ce_sequence"]

    values = [9, 10, 99, 100, 2**63 - 1]
    texts = [sent(v) for v in values]
    assert all(len(t) == SEQUENCE_DIGITS for t in texts)
    assert sorted(texts) == texts
    old = [
        (k, v)
        for k, v in Envelope("a/1", "/bizdev/x", "bizdev.x.E.v1", catalog_time(), "a", 1).headers(
            {}
        )
    ]
    for raw, expected in ((b"12", 12), (sent(12), 12), (sent(10**18), 10**18)):
        headers = [(k, raw if k == "ce_sequence" else v) for k, v in old]
        assert Envelope.from_headers(headers).sequence == expected
