"""The events projects reads from other services' topics, as a tolerant reader: its own model of
just the event and the fields it uses, named like the upstream event. Its reactions
(reactions.py) read them from here."""

from __future__ import annotations

from bizdev_common.contract import EventContract, PublicEvent
from pydantic import Field


class CustomerRegistered(PublicEvent):
    """bizdev.crm.CustomerRegistered.v1, as far as projects uses it."""

    name: str = Field(description="The customer's (company) name")
    department: str = Field(description="Department the customer belongs to")


CRM = EventContract.reading("crm", CustomerRegistered)
