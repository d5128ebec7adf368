"""What the projects service does on other services' events.

It reads crm's topic as a tolerant reader: its own model of just the event and fields it uses,
named like the upstream event, so it depends on the published JSON and not on crm's code."""

from __future__ import annotations

from collections.abc import Sequence

from bizdev_common.contract import PublicEvent
from bizdev_common.envelope import Envelope
from bizdev_common.eventstore import ServiceApplication
from bizdev_common.reactions import Reaction
from eventsourcing.domain import Aggregate

from bizdev_projects.domain import KnownCustomer
from bizdev_projects.upstream import (
    CRM,
    CustomerRegistered,
)


class CrmCustomersReaction(Reaction):
    """A customer crm registered becomes one a lead may name."""

    name = "crm_customers"
    upstream = (CRM,)

    def react(
        self, app: ServiceApplication, event: PublicEvent, envelope: Envelope
    ) -> Sequence[Aggregate]:
        if not isinstance(event, CustomerRegistered):
            return ()
        if app.find(KnownCustomer, event.aggregate_id) is not None:
            return ()
        return (KnownCustomer.announce(event.aggregate_id, event.name, event.department),)
