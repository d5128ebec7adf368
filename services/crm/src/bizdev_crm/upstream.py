"""The events crm reads from other services' topics, as a tolerant reader: its own model of
just the event and the fields it uses, named like the upstream event. Its reactions
(reactions.py) read them from here."""

from __future__ import annotations

from uuid import UUID

from bizdev_common.contract import EventContract, PublicEvent
from pydantic import Field


class ProjectOpened(PublicEvent):
    """bizdev.projects.ProjectOpened.v1, as far as crm uses it."""

    application_id: UUID = Field(description="The approved application")
    name: str = Field(description="Name of the project")
    department: str = Field(description="Department that runs the project")
    customer_id: UUID | None = Field(default=None, description="The crm customer, if any")


PROJECTS = EventContract.reading("projects", ProjectOpened)
