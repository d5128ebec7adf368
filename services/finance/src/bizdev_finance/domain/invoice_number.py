"""An invoice number, taken company-wide: the eventsourcing library's unique-key index, an
aggregate whose id derives from the key and is created in the same transaction as the
invoice. Two invoices with one number, even at the same moment on two contracts, make two
records with one id, and the event store keeps only the first."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NUMBERS = uuid5(NAMESPACE_URL, "urn:bizdev:finance:invoice-number")


def number_key(number: str) -> str:
    """What makes two numbers the same: case and surrounding spaces do not."""
    return number.strip().casefold()


class InvoiceNumber(Aggregate):
    @staticmethod
    def create_id(number: str) -> UUID:
        return uuid5(_NUMBERS, number_key(number))

    class Taken(Aggregate.Created):
        number: str
        receivable_id: UUID
        invoice_id: UUID

    @event(Taken)
    def __init__(self, number: str, receivable_id: UUID, invoice_id: UUID) -> None:
        self.number = number
        self.receivable_id = receivable_id
        self.invoice_id = invoice_id
