"""Contacts with customers, partners and suppliers (REGULATIONS §6)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from bizdev_common.domain import Actor, require_acting, require_text
from eventsourcing.domain import Aggregate, event

from bizdev_projects.domain.values import PartyKind, choice

if TYPE_CHECKING:
    from bizdev_projects.domain.project import Project


class ExternalContact(Aggregate):
    """A contact with a customer, partner or supplier, logged against the project (§6)."""

    class Logged(Aggregate.Created):
        by: str
        project_id: UUID
        project_name: str
        department: str
        party_kind: str
        party: str
        contact_date: date
        summary: str
        customer_id: UUID | None

    @event(Logged)
    def __init__(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        party_kind: str,
        party: str,
        contact_date: date,
        summary: str,
        customer_id: UUID | None,
    ) -> None:
        self.logged_by = by
        self.project_id = project_id
        self.project_name = project_name
        self.department = department
        self.party_kind = PartyKind(party_kind)
        self.party = party
        self.contact_date = contact_date
        self.summary = summary
        self.customer_id = customer_id

    @classmethod
    def log(
        cls,
        actor: Actor,
        project: Project,
        *,
        party_kind: str,
        party: str,
        contact_date: date,
        summary: str,
        customer_id: UUID | None = None,
    ) -> ExternalContact:
        require_acting(actor)
        project.require_member_or_management(actor, "log a contact")
        project.require_open("log a contact")
        chosen = choice(PartyKind, "party_kind", party_kind)
        require_text("party", party)
        require_text("summary", summary)
        return cls(
            by=actor.user_id,
            project_id=project.id,
            project_name=project.name,
            department=project.department,
            party_kind=chosen,
            party=party,
            contact_date=contact_date,
            summary=summary,
            customer_id=customer_id,
        )
