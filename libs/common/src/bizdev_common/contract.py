"""The published contract: pydantic models of the events a service puts on its Kafka topic.

Analytics engineers and other services read these, never a service's stored domain events:
a service maps each domain event it publishes to one public model, and any domain field the
model does not declare (personal data, internal detail) simply does not leave the service.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

from bizdev_common.domain import Money

TOPIC_SCHEME = "bizdev.{service}.events.v1"
"""One topic per service: every event of that service, keyed by aggregate id, so that the
events of one aggregate stay in order on one partition."""


def topic_for(service: str) -> str:
    return TOPIC_SCHEME.format(service=service)


AMOUNT_OUT = r"^-?[0-9]+(\.[0-9]+)?$"
"""An amount as published and served: plain decimal notation, never a float or an exponent."""


def _plain(v: Decimal) -> str:
    # Fixed-point always ("50000", never "5E+4"), whatever exponent the value carries.
    return format(v, "f")


class MoneyModel(BaseModel):
    """Money on the wire, in events and in views: the amount as a decimal string, never a
    float. What a client sends is `boundary.MoneyIn`, which also bounds it."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    amount: Annotated[
        Decimal,
        PlainSerializer(_plain, return_type=str),
        WithJsonSchema({"type": "string", "pattern": AMOUNT_OUT}),
    ] = Field(description='Exact decimal amount as a string, e.g. "1250000.00"')
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code")

    @field_validator("amount")
    @classmethod
    def _finite(cls, v: Decimal) -> Decimal:
        if not v.is_finite():
            raise ValueError("amount must be finite")
        return v

    def to_money(self) -> Money:
        return Money(self.amount, self.currency)


DecidingTimeZone = Annotated[
    str,
    Field(
        default="UTC",
        description="IANA time zone whose day decided this (BIZDEV_COMPANY_TIME_ZONE)",
        examples=["Asia/Shanghai"],
    ),
]
"""`time_zone` of an event that reports a company day as over: its instants are UTC, and a
reader in another zone learns whose midnight it was. UTC for events decided before the zone
was a setting, which is what decided them then."""


class PublicEvent(BaseModel):
    """Fields every published event carries; subclasses add their own."""

    model_config = ConfigDict(from_attributes=True, frozen=True, extra="ignore")

    aggregate_id: UUID = Field(description="Id of the record the event belongs to")
    version: int = Field(ge=1, description="Version of that record after this event")
    occurred_at: datetime = Field(description="When the event happened (UTC)")
    by: str | None = Field(
        default=None, description="User id of who caused it; null for the system's own checks"
    )

    event_name: ClassVar[str] = ""
    event_version: ClassVar[int] = 1
    """Raised when the event changes in a way its readers cannot follow (a field removed,
    renamed or retyped, a new required one): a new model with the same `event_name` and the
    next version, the old one kept readable as retired (see docs/events.md, evolving an event)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.event_name = cls.__dict__.get("event_name") or cls.__name__


class EventContract:
    """Maps a service's domain events to its public models, and names them on the wire."""

    def __init__(
        self,
        service: str,
        mapping: dict[type, type[PublicEvent]],
        *,
        tolerant: bool = False,
        retired: Iterable[type[PublicEvent]] = (),
    ) -> None:
        self.service = service
        self.tolerant = tolerant
        """True for a reader of another service's topic, which models only what it uses; on a
        service's own topic an event type its contract does not know is a defect."""
        self.topic = topic_for(service)
        self._by_domain = dict(mapping)
        self.retired = tuple(retired)
        """Earlier versions of events, no longer published but kept on the topic for good:
        still readable, so that a view rebuilt from the beginning reads them."""
        self._by_type = {self.ce_type(m): m for m in (*mapping.values(), *self.retired)}
        self.wire_types = frozenset(t.encode() for t in self._by_type)
        """The types it has models of, as their `ce_type` header's bytes: compared with a
        record's before anything of it is decoded."""

    @classmethod
    def reading(cls, service: str, *models: type[PublicEvent]) -> EventContract:
        """What a consumer reads of another service's topic: its own models of just the
        events and fields it uses (a tolerant reader), named like the upstream events, so it
        depends on the published JSON, not on the other service's code."""
        return cls(service, {m: m for m in models}, tolerant=True)

    @property
    def models(self) -> Iterable[type[PublicEvent]]:
        return self._by_type.values()

    def ce_type(self, model: type[PublicEvent]) -> str:
        return f"bizdev.{self.service}.{model.event_name}.v{model.event_version}"

    def to_public(self, domain_event: Any) -> PublicEvent | None:
        """The public form of a domain event, or None when the event stays inside."""
        model = self._by_domain.get(type(domain_event))
        if model is None:
            return None
        data = dict(vars(domain_event))
        data["aggregate_id"] = domain_event.originator_id
        data["version"] = domain_event.originator_version
        data["occurred_at"] = domain_event.timestamp
        return model.model_validate(data, from_attributes=True)

    def reads(self, ce_type: str) -> bool:
        """Whether this contract has a model of the type (a tolerant reader has only some)."""
        return ce_type in self._by_type

    def parse(self, ce_type: str, body: bytes) -> PublicEvent | None:
        model = self._by_type.get(ce_type)
        return None if model is None else model.model_validate_json(body)
