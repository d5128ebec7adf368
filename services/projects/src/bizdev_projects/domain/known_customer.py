"""The crm customers the projects service knows of (REGULATIONS §1: services inform each other
through events, never by reaching into each other's data)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event


class KnownCustomer(Aggregate):
    """A customer crm announced (`CustomerRegistered` on its topic), under crm's own id: what
    a lead may name. Kept inside the service: its events are not published."""

    @staticmethod
    def create_id(customer_id: UUID) -> UUID:
        return customer_id

    class Announced(Aggregate.Created):
        customer_id: UUID
        name: str
        department: str

    @event(Announced)
    def __init__(self, customer_id: UUID, name: str, department: str) -> None:
        self.name = name
        self.department = department

    @classmethod
    def announce(cls, customer_id: UUID, name: str, department: str) -> KnownCustomer:
        return cls(customer_id=customer_id, name=name, department=department)
