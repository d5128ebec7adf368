"""CloudEvents 1.0 in Kafka binary mode: the event's attributes travel as `ce_*` headers, its
data (the public pydantic model, as JSON) is the record value, the aggregate id is the key.

Beyond the required attributes every record carries:
- `ce_sequence`: the event's position in its service's event log. It only grows within a
  partition, so a consumer that remembers the last one it applied drops re-published
  duplicates (the relay publishes at least once). Zero-padded to 20 digits, so that its
  values also order as text, as the CloudEvents sequence extension asks; consumers parse it
  as a number, which reads the unpadded values of envelope version 1 still on the topics;
- `ce_correlationid` / `ce_causationid`: the conversation and the event or request that caused
  this one, so that a reaction in another service traces back to the command that started it;
- `traceparent` / `tracestate`: W3C trace context of the command that stored the event (its
  creation context), read by OpenTelemetry on the consumer side;
- `correlation_id`: the correlation id again under FastStream's header name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
_SPECVERSION, _CONTENT_TYPE = SPECVERSION.encode(), CONTENT_TYPE.encode()
SEQUENCE_DIGITS = 20
"""Enough for any non-negative 64-bit position (the event log's ids are PostgreSQL bigints)."""

ENVELOPE_CHANGES = {
    1: "the CloudEvents attributes as `ce_*` headers; `ce_sequence` an unpadded integer",
    2: f"`ce_sequence` zero-padded to {SEQUENCE_DIGITS} digits, so that its values order as "
    "text (CloudEvents sequence extension); readers parse it as a number, which reads both",
}
"""The envelope's versions (the headers' form, whatever the events): the catalog's change log."""
ENVELOPE_VERSION = max(ENVELOPE_CHANGES)

CE_HEADERS = {
    "ce_specversion": "`1.0`",
    "ce_id": "`<aggregate id>/<version>`: the same on a re-publication",
    "ce_source": "`/bizdev/<service>`",
    "ce_type": "`bizdev.<service>.<EventName>.v<N>`: names the model of the value",
    "ce_time": "when it happened (ISO 8601, UTC)",
    "ce_subject": "the aggregate id (also the record key)",
    "ce_sequence": f"position in the service's event log, {SEQUENCE_DIGITS} digits zero-padded "
    "(unpadded before envelope version 2); grows within a partition",
    "ce_correlationid": "the conversation (optional)",
    "ce_causationid": "the request or event that caused this one (optional)",
    "traceparent": "W3C trace context (optional, with `tracestate`)",
    "correlation_id": "the correlation id under FastStream's header name (optional)",
    "content-type": f"`{CONTENT_TYPE}`",
}
"""The headers of every published record, with their meaning: the catalog and the AsyncAPI
page document them from here."""


def ce_id(aggregate_id: UUID | str, version: int) -> str:
    """Stable across re-publication: the same event always has the same id."""
    return f"{aggregate_id}/{version}"


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    time: datetime
    subject: str
    sequence: int
    correlation_id: str | None = None
    causation_id: str | None = None

    def headers(self, trace: dict[str, str]) -> list[tuple[str, bytes]]:
        # Built straight as the record's list: the relay builds one for every event.
        h = [
            ("ce_specversion", _SPECVERSION),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_time", self.time.isoformat().encode()),
            ("ce_subject", self.subject.encode()),
            ("ce_sequence", f"{self.sequence:0{SEQUENCE_DIGITS}d}".encode()),
            ("content-type", _CONTENT_TYPE),
        ]
        if self.correlation_id:
            correlation = self.correlation_id.encode()
            h.append(("ce_correlationid", correlation))
            # FastStream's own name for it: its batch consumers link their span to the trace
            # of each conversation in the batch by this header.
            h.append(("correlation_id", correlation))
        if self.causation_id:
            h.append(("ce_causationid", self.causation_id.encode()))
        h.extend(
            (key, trace[key].encode()) for key in ("traceparent", "tracestate") if key in trace
        )
        return h

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, bytes]]) -> Envelope:
        h = {k: v.decode() for k, v in headers}
        if h.get("ce_specversion") != SPECVERSION:
            raise ValueError(f"not a CloudEvents {SPECVERSION} record")
        return cls(
            id=h["ce_id"],
            source=h["ce_source"],
            type=h["ce_type"],
            time=datetime.fromisoformat(h["ce_time"]),
            subject=h["ce_subject"],
            sequence=int(h["ce_sequence"]),
            correlation_id=h.get("ce_correlationid"),
            causation_id=h.get("ce_causationid"),
        )


def source_for(service: str) -> str:
    return f"/bizdev/{service}"
