"""Market insights (REGULATIONS 2.1)."""

from __future__ import annotations

from bizdev_common.domain import (
    Actor,
    Forbidden,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_projects.domain.values import InsightKind

MARKET_DEPARTMENT = "market"


class MarketInsight(Aggregate):
    """Market information recorded by the market department (REGULATIONS 2.1)."""

    class Recorded(Aggregate.Created):
        by: str
        department: str
        kind: str
        title: str
        content: str

    @event(Recorded)
    def __init__(self, by: str, department: str, kind: str, title: str, content: str) -> None:
        self.recorded_by = by
        self.department = department
        self.kind = kind
        self.title = title
        self.content = content

    @classmethod
    def record(cls, actor: Actor, kind: str, title: str, content: str) -> MarketInsight:
        require_acting(actor)
        require_role(actor, Role.EMPLOYEE, Role.DEPARTMENT_HEAD)
        if actor.department != MARKET_DEPARTMENT:
            raise Forbidden(f"only the {MARKET_DEPARTMENT} department records market insights")
        try:
            insight_kind = InsightKind(kind)
        except ValueError:
            allowed = ", ".join(InsightKind)
            raise RuleViolation("kind", f"kind must be one of {allowed}") from None
        require_text("title", title)
        require_text("content", content)
        return cls(
            by=actor.user_id,
            department=actor.department,
            kind=insight_kind.value,
            title=title,
            content=content,
        )
