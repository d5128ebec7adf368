"""The event catalog: the committed contracts are what the code generates, and the
compatibility check tells a change readers can follow from one they cannot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal
from uuid import UUID, uuid4

import pytest
from bizdev_common import catalog
from bizdev_common.catalog import breaking_changes, event_schema, incompatibilities
from bizdev_common.consuming import record_of
from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from bizdev_common.deadletters import Handler, Letter
from bizdev_common.envelope import CE_HEADERS, Envelope, ce_id
from pydantic import Field, create_model

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def services() -> list[catalog.Service]:
    return [catalog.load(name) for name in catalog.service_names(ROOT)]


def test_committed_contracts_are_what_the_code_generates(
    services: list[catalog.Service], tmp_path: Path
) -> None:
    catalog.write(tmp_path, catalog.generate(services))
    fresh, committed = catalog.read(tmp_path), catalog.read(ROOT / "contracts")
    differing = sorted(
        k for k in fresh.keys() | committed.keys() if fresh.get(k) != committed.get(k)
    )
    assert not differing, (
        f"contracts/ is stale ({', '.join(differing)}): run `make contracts` and commit it"
    )


def test_every_public_event_of_every_service_has_its_schema(
    services: list[catalog.Service],
) -> None:
    files = catalog.read(ROOT / "contracts")
    assert {s.name for s in services} >= {"projects", "crm"}
    for service in services:
        assert f"{service.name}/asyncapi.json" in files
        for model in service.contract.models:
            schema = json.loads(files[catalog.schema_file(service.contract, model)])
            assert schema["x-ce-type"] == service.contract.ce_type(model)
            assert schema["x-topic"] == f"bizdev.{service.name}.events.v1"


def test_the_catalog_names_producers_consumers_and_the_dlq(
    services: list[catalog.Service],
) -> None:
    page = catalog.read(ROOT / "contracts")["CATALOG.md"]
    assert "## `bizdev.projects.events.v1`" in page
    assert "## `bizdev.projects.dlq.v1`" in page
    # crm's dealings reaction reads ProjectOpened from the projects topic: derived from code.
    assert (
        "| `bizdev.projects.ProjectOpened.v1` | [schema](projects/ProjectOpened.v1.schema.json) "
        "| crm reaction `dealings`" in page
    )
    assert "read by crm reaction `dealings`: `application_id`, `name`" in page


def test_the_consumers_read_only_what_is_published(services: list[catalog.Service]) -> None:
    assert catalog.unpublished_reads(services) == []


def test_a_consumer_asking_for_an_unpublished_field_is_found(
    services: list[catalog.Service],
) -> None:
    class ProjectOpened(PublicEvent):
        name: str
        budget_code: str = Field(description="not published by projects")

    class MilestoneMissed(PublicEvent):
        pass

    class Greedy:
        name = "greedy"
        upstream = (EventContract.reading("projects", ProjectOpened, MilestoneMissed),)

    reader = catalog.Consumer("finance", "reaction", "greedy", Greedy.upstream[0])
    found = catalog.unpublished_reads([*services, _with_consumer(services[0], reader)])
    assert any("ProjectOpened.v1.budget_code: required, but not published" in p for p in found)
    assert any("MilestoneMissed.v1, which nobody publishes" in p for p in found)


def _with_consumer(service: catalog.Service, consumer: catalog.Consumer) -> catalog.Service:
    return catalog.Service(service.name, service.parts, [*service.consumers, consumer])


def test_every_header_on_the_wire_is_documented() -> None:
    aggregate = uuid4()
    env = Envelope(ce_id(aggregate, 1), "/bizdev/x", "t", _now(), str(aggregate), 1, "c", "r")
    sent = {k for k, _ in env.headers({"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"})}
    assert sent <= set(CE_HEADERS)
    record = record_of("t", 0, 7, b"k", b"v", [("ce_id", b"x")])
    letter = Letter(Handler("projection", "views", "g"), record, "boom", 5)
    added = {k for k, _ in letter.dlq_headers()} - {"ce_id"}
    assert added == set(catalog.DLQ_HEADERS)


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


# --- the compatibility checker, fed pairs of schemas -----------------------------------------


class Approved(PublicEvent):
    """v1 as published."""

    comments: str = Field(description="Why")
    budget: MoneyModel = Field(description="Budget")
    channel: Literal["phone", "email", "visit"] = Field(description="How")
    reviewers: list[str] = Field(description="Who")
    lead_id: UUID | None = Field(default=None, description="The lead")


CONTRACT = EventContract("demo", {Approved: Approved})


def schema_of(model: type[PublicEvent]) -> dict[str, Any]:
    return event_schema(CONTRACT, model)


V1 = schema_of(Approved)


def changed(**fields: Any) -> dict[str, Any]:
    """The v1 schema with some fields redefined as (type, Field) (None removes one)."""
    definitions: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in Approved.model_fields.items()
        if name not in PublicEvent.model_fields
    }
    for name, spec in fields.items():
        if spec is None:
            del definitions[name]
        else:
            definitions[name] = spec
    return schema_of(create_model("Approved", __base__=PublicEvent, **definitions))


def test_the_same_schema_is_compatible() -> None:
    assert breaking_changes(V1, schema_of(Approved)) == []


def test_descriptions_and_a_new_optional_field_are_compatible() -> None:
    new = changed(
        comments=(str, Field(description="Why it was approved")),
        priority=(str, Field(default="normal", description="new, optional")),
    )
    assert breaking_changes(V1, new) == []


def test_a_widened_enum_is_compatible() -> None:
    new = changed(channel=(Literal["phone", "email", "visit", "chat"], Field(description="How")))
    assert breaking_changes(V1, new) == []


def test_a_removed_field_breaks() -> None:
    assert breaking_changes(V1, changed(comments=None), "Approved") == [
        "Approved.comments: field removed or renamed"
    ]


def test_a_renamed_field_breaks() -> None:
    found = breaking_changes(V1, changed(comments=None, remarks=(str, Field())), "Approved")
    assert "Approved.comments: field removed or renamed" in found
    assert "Approved.remarks: new required field" in found


def test_a_changed_type_breaks() -> None:
    found = breaking_changes(V1, changed(comments=(int, Field())), "Approved")
    assert found == ["Approved.comments: type changed from string to integer"]


def test_a_field_becoming_nullable_breaks_its_readers() -> None:
    found = breaking_changes(V1, changed(comments=(str | None, Field())), "Approved")
    assert found == ["Approved.comments: type changed from string to string | null"]


def test_a_type_changed_inside_a_nested_model_breaks() -> None:
    old = {**V1, "$defs": json.loads(json.dumps(V1["$defs"]))}
    new = json.loads(json.dumps(V1))
    new["$defs"]["MoneyModel"]["properties"]["amount"] = {"type": "number"}
    found = breaking_changes(old, new, "Approved")
    assert len(found) == 1
    # The old type is shown as documented, with its pattern if MoneyModel declares one.
    assert found[0].startswith("Approved.budget.amount: type changed from string")
    assert found[0].endswith(" to number")


def test_a_list_of_another_type_breaks() -> None:
    found = breaking_changes(V1, changed(reviewers=(list[int], Field())), "Approved")
    assert found == ["Approved.reviewers[]: type changed from string to integer"]


def test_a_new_required_field_breaks() -> None:
    found = breaking_changes(V1, changed(priority=(str, Field())), "Approved")
    assert found == ["Approved.priority: new required field"]


def test_an_optional_field_becoming_required_breaks() -> None:
    found = breaking_changes(V1, changed(lead_id=(UUID | None, Field())), "Approved")
    assert found == ["Approved.lead_id: new required field"]


def test_a_narrowed_enum_breaks() -> None:
    found = breaking_changes(V1, changed(channel=(Literal["phone", "email"], Field())), "Approved")
    assert found == ['Approved.channel: enum narrowed, "visit" removed']


# --- the check over a whole catalog: breaking is allowed as a new version --------------------


class ApprovedV2(PublicEvent):
    """v2: `comments` became a list of remarks."""

    event_name = "Approved"
    event_version = 2

    remarks: list[str] = Field(description="Why, point by point")


def test_a_breaking_change_in_place_fails_with_what_to_do() -> None:
    committed = {"demo/Approved.v1.schema.json": V1}
    generated = {"demo/Approved.v1.schema.json": changed(comments=None)}
    found = incompatibilities(committed, generated)
    assert "demo/Approved.v1.comments: field removed or renamed" in found
    assert any("without a new version" in p and "event_version" in p for p in found)


def test_a_removed_event_version_fails() -> None:
    found = incompatibilities({"demo/Approved.v1.schema.json": V1}, {})
    assert len(found) == 1
    assert "event version removed" in found[0]


def test_raising_the_version_and_keeping_v1_passes() -> None:
    contract = EventContract("demo", {object: ApprovedV2}, retired=[Approved])
    generated = {
        catalog.schema_file(contract, m): event_schema(contract, m) for m in contract.models
    }
    assert set(generated) == {"demo/Approved.v1.schema.json", "demo/Approved.v2.schema.json"}
    assert incompatibilities({"demo/Approved.v1.schema.json": V1}, generated) == []


def test_a_raised_version_is_its_own_ce_type_and_the_retired_one_stays_readable() -> None:
    contract = EventContract("demo", {object: ApprovedV2}, retired=[Approved])
    assert contract.ce_type(ApprovedV2) == "bizdev.demo.Approved.v2"
    assert contract.ce_type(Approved) == "bizdev.demo.Approved.v1"
    old = Approved(
        aggregate_id=uuid4(),
        version=1,
        occurred_at=_now(),
        comments="fine",
        budget=MoneyModel(amount=1, currency="CNY"),
        channel="phone",
        reviewers=[],
    )
    parsed = contract.parse("bizdev.demo.Approved.v1", old.model_dump_json().encode())
    assert isinstance(parsed, Approved)
    assert parsed.comments == "fine"
