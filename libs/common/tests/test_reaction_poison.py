"""Every reaction of every service refuses an upstream event that does not cross the boundary
types (a NUL in any of its text fields) as undecodable, so it is parked at once, before the
reaction decides anything and before anything is stored. The reactions, their upstream
contracts and the models are those the services run (from each `main.parts()`), so a new
reaction or upstream event is covered without touching this test."""

from __future__ import annotations

import importlib
import json
import types
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID, uuid4

import annotated_types
import pytest
from aiokafka import ConsumerRecord
from bizdev_common import catalog
from bizdev_common.consuming import Undecodable, record_of
from bizdev_common.contract import EventContract, MoneyModel, PublicEvent
from bizdev_common.deadletters import DeadLetters
from bizdev_common.envelope import Envelope
from bizdev_common.reactions import Reaction, ReactionRunner
from bizdev_common.settings import ServiceSettings
from eventsourcing.domain import Aggregate
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ValidationError

ROOT = Path(__file__).resolve().parents[3]


def consumed() -> Iterator[Any]:
    for service in catalog.service_names(ROOT):
        parts = importlib.import_module(f"bizdev_{service}.main").parts()
        for make in parts.reactions:
            reaction = make()
            for contract in reaction.upstream:
                for model in contract.models:
                    yield pytest.param(
                        service,
                        make,
                        contract,
                        model,
                        id=f"{service}.{reaction.name}:{contract.ce_type(model)}",
                    )


CONSUMED = list(consumed())


def test_every_service_with_reactions_is_covered() -> None:
    services = {p.values[0] for p in CONSUMED}
    assert {"crm", "finance", "performance", "projects", "records", "risk"} <= services


# --- a valid example of any upstream model, from its annotations ----------------------------


def example(annotation: Any, metadata: Sequence[Any] = ()) -> Any:
    """A JSON value the annotation accepts; a new kind of field fails here, loudly."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return example(args[0], [*metadata, *annotation.__metadata__])
    if origin in (Union, types.UnionType):
        return example(next(a for a in args if a is not type(None)), metadata)
    if origin is Literal:
        return args[0]
    if origin in (list, tuple, set, frozenset):
        return [example(args[0])]
    if origin is dict:
        return {example(args[0]): example(args[1])}
    if not isinstance(annotation, type):
        raise LookupError(f"no example of {annotation!r}: teach example() this kind of field")
    if issubclass(annotation, MoneyModel):
        return {"amount": "1250000.00", "currency": "CNY"}
    if issubclass(annotation, BaseModel):
        return {
            name: example(field.annotation, field.metadata)
            for name, field in annotation.model_fields.items()
        }
    if issubclass(annotation, Enum):
        return next(iter(annotation)).value
    if annotation is bool:
        return True
    if annotation is int:
        return next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), 1)
    if annotation is str and not any(getattr(m, "pattern", None) for m in metadata):
        return "Shanghai Trading Co."
    simple = {
        UUID: lambda: str(uuid4()),
        datetime: lambda: datetime(2026, 3, 2, 9, tzinfo=UTC).isoformat(),
        date: lambda: date(2026, 3, 2).isoformat(),
        Decimal: lambda: "1250000.00",
    }
    if annotation in simple:
        return simple[annotation]()
    raise LookupError(f"no example of {annotation!r} {metadata}: teach example() this field")


def text_paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Where the event's free text sits (not enum members: those are not free text)."""
    if type(value) is str:
        yield path
    elif isinstance(value, BaseModel):
        for name, item in value.__dict__.items():
            yield from text_paths(item, (*path, name))
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            yield from text_paths(item, (*path, n))


def poisoned(data: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    *within, last = path
    holder: Any = data
    for step in within:
        holder = holder[step]
    holder[last] = f"{holder[last][:5]}\x00{holder[last][5:]}"
    return data


def shown(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).removeprefix(".")


# --- the reaction's runner, over an event store that records what it is asked to store ----


class Events:
    def __init__(self) -> None:
        self.put_calls: list[tuple[list[Any], Any]] = []

    def put(self, events: list[Any], tracking: Any) -> None:
        self.put_calls.append((events, tracking))


class Recorder:
    def max_tracking_id(self, name: str) -> int:
        return 0


class App:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.events = Events()


def record(contract: EventContract, model: type[PublicEvent], value: bytes) -> ConsumerRecord:  # type: ignore[type-arg]
    envelope = Envelope(
        id=f"{uuid4()}/1",
        source=f"/bizdev/{contract.service}",
        type=contract.ce_type(model),
        time=datetime.now(UTC),
        subject=str(uuid4()),
        sequence=1,
    )
    return record_of(contract.topic, 0, 1, b"k", value, envelope.headers({}))


@pytest.mark.parametrize(("service", "make", "contract", "model"), CONSUMED)
def test_a_nul_in_any_text_of_an_upstream_event_is_a_dead_letter_and_nothing_is_stored(
    service: str,
    make: Any,
    contract: EventContract,
    model: type[PublicEvent],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    valid = model.model_validate(example(model))
    data = valid.model_dump(mode="json")
    settings = ServiceSettings(service=service)
    app = App()
    reaction: Reaction = make()
    decided: list[PublicEvent] = []

    def react(app: Any, event: PublicEvent, envelope: Envelope) -> Sequence[Aggregate]:
        decided.append(event)
        return ()

    monkeypatch.setattr(reaction, "react", react)
    runner = ReactionRunner(
        KafkaBroker(),
        app,  # type: ignore[arg-type]
        reaction,
        settings,
        DeadLetters(settings, CollectorRegistry()),
    )

    # The valid event reaches the reaction and its decision is stored: the runner is live.
    assert runner.process(record(contract, model, json.dumps(data).encode()))
    assert decided == [valid]
    assert len(app.events.put_calls) == 1

    paths = list(text_paths(valid))
    assert paths, f"{model.__name__} has no text to poison"
    for path in paths:
        rec = record(contract, model, json.dumps(poisoned(data, path)).encode())
        with pytest.raises(Undecodable) as refused:
            runner.process(rec)
        if "does not match its model" in str(refused.value):
            # The model itself refuses the value (a literal, a pattern): parked all the same.
            with pytest.raises(ValidationError):
                model.model_validate_json(rec.value)
        else:
            assert f"refused at the boundary: Refused: {shown(path)}: " in str(refused.value)
            assert "U+0000" in str(refused.value)
    assert decided == [valid]  # nothing else was decided
    assert len(app.events.put_calls) == 1  # nor stored
