"""Corrective actions of a complaint (REGULATIONS 4.3): what is done so that its cause does
not recur, by whom and by when, followed up until done. They are parts of their complaint:
its version moves with them, and its detail lists them."""

from __future__ import annotations

from uuid import UUID

from bizdev_common.api import Accepted, ExpectedVersion
from bizdev_common.auth import CurrentActor
from bizdev_common.boundary import Day, Name, Text
from bizdev_common.commands import CommandRoute
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from bizdev_crm.api.common import App, Change

router = APIRouter(route_class=CommandRoute)


class CorrectiveActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: Text = Field(description="What is to be done so that the cause does not recur")
    owner: Name = Field(description="User id of who does it")
    due_on: Day = Field(description="The day it is due by (today or later)")


class CompletionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Text = Field(description="What was done and achieved")


class ActionAccepted(Accepted):
    action_id: UUID = Field(description="The corrective action added")


@router.post(
    "/complaints/{complaint_id}/corrective-actions",
    status_code=201,
    response_model=ActionAccepted,
    tags=["complaints"],
    summary="Set a corrective action with its owner and due date (owner, head or management)",
    description="Once the customer accepted a solution; followed up until done: overdue ones "
    "are reported once (CorrectiveActionOverdue) and wait in their owner's inbox.",
)
def add_corrective_action(
    complaint_id: UUID,
    body: CorrectiveActionIn,
    actor: CurrentActor,
    app: App,
    version: ExpectedVersion,
    response: Response,
) -> ActionAccepted:
    result, action_id = app.add_corrective_action(
        actor,
        complaint_id,
        version,
        description=body.description,
        owner=body.owner,
        due_on=body.due_on,
    )
    response.headers["ETag"] = f'"{result.version}"'
    return ActionAccepted(id=result.id, version=result.version, action_id=action_id)


@router.post(
    "/complaints/{complaint_id}/corrective-actions/{action_id}/complete",
    response_model=Accepted,
    tags=["complaints"],
    summary="Record a corrective action done (its owner, the head or management)",
)
def complete_corrective_action(
    complaint_id: UUID, action_id: UUID, body: CompletionIn, actor: CurrentActor, cmd: Change
) -> Accepted:
    result = cmd.app.complete_corrective_action(
        actor, complaint_id, cmd.version, action_id, body.outcome
    )
    return cmd.accepted(result)
