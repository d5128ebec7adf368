"""Risk review meetings (REGULATIONS 5.3): when, who attended, the risks discussed, the
conclusions and the actions agreed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from bizdev_common.domain import Actor, RuleViolation, require_text
from eventsourcing.domain import Aggregate, event

from bizdev_risk.domain.values import require_risk_officer


class ReviewMeeting(Aggregate):
    class Recorded(Aggregate.Created):
        by: str
        held_on: date
        title: str
        attendees: list[str]
        risk_ids: list[UUID]
        conclusions: str
        actions: list[dict[str, Any]]

    @classmethod
    def record(
        cls,
        actor: Actor,
        *,
        held_on: date,
        title: str,
        attendees: Sequence[str],
        risk_ids: Sequence[UUID],
        conclusions: str,
        actions: Sequence[dict[str, Any]],
        today: date,
    ) -> ReviewMeeting:
        """The risk officer records a meeting held (today or before)."""
        require_risk_officer(actor)
        require_text("title", title)
        require_text("conclusions", conclusions)
        if held_on > today:
            raise RuleViolation("held_on", "a meeting is recorded once it was held")
        if not attendees:
            raise RuleViolation("attendees", "a meeting has attendees")
        return cls(
            by=actor.user_id,
            held_on=held_on,
            title=title,
            attendees=list(dict.fromkeys(attendees)),
            risk_ids=list(dict.fromkeys(risk_ids)),
            conclusions=conclusions,
            actions=list(actions),
        )

    @event(Recorded)
    def __init__(
        self,
        by: str,
        held_on: date,
        title: str,
        attendees: list[str],
        risk_ids: list[UUID],
        conclusions: str,
        actions: list[dict[str, Any]],
    ) -> None:
        self.held_on = held_on
        self.attendees = attendees
        self.risk_ids = risk_ids
