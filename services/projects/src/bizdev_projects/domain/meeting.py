"""Project meetings with their minutes and action items (REGULATIONS §6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from bizdev_common.days import decided_in_utc, end_of, zone_name
from bizdev_common.domain import Actor, InvalidTransition, NotFound, require_acting, require_text
from eventsourcing.domain import Aggregate, event

from bizdev_projects.domain.values import (
    MeetingKind,
    MeetingState,
    choice,
    require_names,
)

ACTION_ITEM_OVERDUE = "action_item_overdue"
"""The kind of deadline an action item's due date arms (see application.ActionItemOverdueCheck)."""

if TYPE_CHECKING:
    from bizdev_projects.domain.project import Project


@dataclass(frozen=True)
class PlannedActionItem:
    description: str
    owner: str
    due_date: date


@dataclass
class ActionItem:
    id: UUID
    description: str
    owner: str
    due_date: date
    done_by: str | None = None
    overdue_since: datetime | None = None


class Meeting(Aggregate):
    """A project meeting (weekly, monthly, progress, other): who attends, then its minutes
    and the action items it gave, each with an owner and a due date."""

    class Scheduled(Aggregate.Created):
        by: str
        project_id: UUID
        project_name: str
        department: str
        kind: str
        title: str
        meeting_date: date
        attendees: list[str]
        agenda: str

    @event(Scheduled)
    def __init__(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        kind: str,
        title: str,
        meeting_date: date,
        attendees: list[str],
        agenda: str,
    ) -> None:
        self.organizer = by
        self.project_id = project_id
        self.project_name = project_name
        self.department = department
        self.kind = MeetingKind(kind)
        self.title = title
        self.meeting_date = meeting_date
        self.attendees = list(attendees)
        self.agenda = agenda
        self.state = MeetingState.SCHEDULED
        self.minutes: str | None = None
        self.action_items: dict[UUID, ActionItem] = {}

    @classmethod
    def schedule(
        cls,
        actor: Actor,
        project: Project,
        *,
        kind: str,
        title: str,
        meeting_date: date,
        attendees: Sequence[str],
        agenda: str = "",
    ) -> Meeting:
        require_acting(actor)
        project.require_team_lead_or_management(actor, "call a meeting")
        project.require_open("call a meeting")
        chosen = choice(MeetingKind, "kind", kind)
        require_text("title", title)
        return cls(
            by=actor.user_id,
            project_id=project.id,
            project_name=project.name,
            department=project.department,
            kind=chosen,
            title=title,
            meeting_date=meeting_date,
            attendees=require_names("attendees", attendees),
            agenda=agenda,
        )

    class MinutesRecorded(Aggregate.Event):
        by: str
        project_id: UUID
        attendees: list[str]
        minutes: str
        action_items: list[dict[str, Any]]

    def record_minutes(
        self,
        actor: Actor,
        project: Project,
        *,
        minutes: str,
        attendees: Sequence[str],
        action_items: Sequence[PlannedActionItem],
    ) -> None:
        """Who actually attended, what was said, and who does what by when."""
        require_acting(actor)
        project.require_team_lead_or_management(actor, "record minutes")
        project.require_open("record minutes")
        if self.state != MeetingState.SCHEDULED:
            raise InvalidTransition(f"the minutes of {self.title} are already recorded")
        require_text("minutes", minutes)
        present = require_names("attendees", attendees)
        for item in action_items:
            require_text("action_items.description", item.description)
            require_text("action_items.owner", item.owner)
        self._record_minutes(
            by=actor.user_id,
            project_id=self.project_id,
            attendees=present,
            minutes=minutes,
            action_items=[
                {
                    "id": uuid4(),
                    "description": i.description,
                    "owner": i.owner,
                    "due_date": i.due_date,
                }
                for i in action_items
            ],
        )

    @event(MinutesRecorded)
    def _record_minutes(
        self,
        by: str,
        project_id: UUID,
        attendees: list[str],
        minutes: str,
        action_items: list[dict[str, Any]],
    ) -> None:
        self.state = MeetingState.MINUTED
        self.attendees = list(attendees)
        self.minutes = minutes
        self.action_items = {
            i["id"]: ActionItem(i["id"], i["description"], i["owner"], i["due_date"])
            for i in action_items
        }

    class ActionItemDone(Aggregate.Event):
        by: str
        project_id: UUID
        item_id: UUID
        owner: str

    def _action_item(self, item_id: UUID) -> ActionItem:
        try:
            return self.action_items[item_id]
        except KeyError:
            raise NotFound(f"meeting {self.title} has no action item {item_id}") from None

    def complete_action_item(self, actor: Actor, project: Project, item_id: UUID) -> None:
        require_acting(actor)
        item = self._action_item(item_id)
        if actor.user_id != item.owner:
            project.require_team_lead_or_management(actor, "complete someone else's action item")
        project.require_open("complete an action item")
        if item.done_by is not None:
            raise InvalidTransition("the action item is already done")
        self._complete_action_item(
            by=actor.user_id, project_id=self.project_id, item_id=item_id, owner=item.owner
        )

    @event(ActionItemDone)
    def _complete_action_item(self, by: str, project_id: UUID, item_id: UUID, owner: str) -> None:
        self.action_items[item_id].done_by = by

    class ActionItemOverdue(Aggregate.Event):
        class_version = 2
        by: str | None
        project_id: UUID
        project_name: str
        department: str
        meeting_title: str
        item_id: UUID
        description: str
        owner: str
        due_date: date
        detected_at: datetime
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    def mark_action_item_overdue(self, project: Project, item_id: UUID, now: datetime) -> None:
        """The periodic check found the item's due date passed (REGULATIONS §6). Reported once:
        asked again (a restarted or repeated check) it refuses, so the event is emitted once."""
        project.require_open("report an overdue action item")
        item = self._action_item(item_id)
        if item.done_by is not None:
            raise InvalidTransition("the action item is done")
        if item.overdue_since is not None:
            raise InvalidTransition("the action item was already reported overdue")
        if now < end_of(item.due_date):
            raise InvalidTransition("the action item is not due yet")
        self._mark_action_item_overdue(
            by=None,
            project_id=self.project_id,
            project_name=self.project_name,
            department=self.department,
            meeting_title=self.title,
            item_id=item_id,
            description=item.description,
            owner=item.owner,
            due_date=item.due_date,
            detected_at=now,
            time_zone=zone_name(),
        )

    @event(ActionItemOverdue)
    def _mark_action_item_overdue(
        self,
        by: str | None,
        project_id: UUID,
        project_name: str,
        department: str,
        meeting_title: str,
        item_id: UUID,
        description: str,
        owner: str,
        due_date: date,
        detected_at: datetime,
        time_zone: str,
    ) -> None:
        self.action_items[item_id].overdue_since = detected_at
