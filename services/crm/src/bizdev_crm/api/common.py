"""What the API's modules share."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from bizdev_common.api import Command, HistoryEvent, application, change, create, history_of
from bizdev_common.boundary import Text
from bizdev_common.service import Runtime
from eventsourcing.domain import Aggregate
from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field

from bizdev_crm.application import CrmApplication
from bizdev_crm.domain import Sealed

Score = Annotated[int, Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied)")]


App = Annotated[CrmApplication, Depends(application)]
"""The API process's application, as a route's parameter."""
Change = Annotated[Command[CrmApplication], Depends(change)]
Create = Annotated[Command[CrmApplication], Depends(create)]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


SEALED = "(sealed personal data)"


async def sealed_history(rt: Runtime, cls: type[Aggregate], record_id: UUID) -> list[HistoryEvent]:
    """Every event of a record; sealed values are ciphertext, harmless but meaningless, so
    the history says what they are instead."""
    return [
        h.model_copy(
            update={"data": {k: SEALED if isinstance(v, Sealed) else v for k, v in h.data.items()}}
        )
        for h in await history_of(rt, cls, record_id)
    ]
