"""Deviation reports (REGULATIONS 3.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from bizdev_common.domain import (
    Actor,
    InvalidTransition,
    Role,
    RuleViolation,
    require_acting,
    require_not_self,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_projects.domain.values import DeviationState

if TYPE_CHECKING:
    from bizdev_projects.domain.business_plan import BusinessPlan
    from bizdev_projects.domain.project import Project


class DeviationReport(Aggregate):
    """A deviation from the plan (偏差), reported by the team lead with its cause and the
    adjusted strategy, escalated to management as it is reported (REGULATIONS 3.3)."""

    class Reported(Aggregate.Created):
        by: str
        project_id: UUID
        project_name: str
        department: str
        milestone_id: UUID | None
        deviation: str
        cause: str
        adjusted_strategy: str

    @event(Reported)
    def __init__(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        milestone_id: UUID | None,
        deviation: str,
        cause: str,
        adjusted_strategy: str,
    ) -> None:
        self.reporter = by
        self.project_id = project_id
        self.project_name = project_name
        self.department = department
        self.milestone_id = milestone_id
        self.deviation = deviation
        self.cause = cause
        self.adjusted_strategy = adjusted_strategy
        self.state = DeviationState.ESCALATED
        self.decision: str | None = None
        self.acknowledged_by: str | None = None
        self.replan_required = False

    @classmethod
    def report(
        cls,
        actor: Actor,
        project: Project,
        *,
        deviation: str,
        cause: str,
        adjusted_strategy: str,
        milestone_id: UUID | None = None,
    ) -> DeviationReport:
        require_acting(actor)
        project.require_team_lead(actor, "report a deviation")
        project.require_open("report a deviation")
        require_text("deviation", deviation)
        require_text("cause", cause)
        require_text("adjusted_strategy", adjusted_strategy)
        if milestone_id is not None and milestone_id not in project.milestones:
            raise RuleViolation("milestone_id", f"project {project.name} has no such milestone")
        return cls(
            by=actor.user_id,
            project_id=project.id,
            project_name=project.name,
            department=project.department,
            milestone_id=milestone_id,
            deviation=deviation,
            cause=cause,
            adjusted_strategy=adjusted_strategy,
        )

    class Acknowledged(Aggregate.Event):
        class_version = 2
        by: str
        project_id: UUID
        reporter: str
        decision: str
        replan_required: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["replan_required"] = False

    def acknowledge(
        self,
        actor: Actor,
        project: Project,
        decision: str,
        *,
        replan: bool = False,
        plan: BusinessPlan | None = None,
    ) -> None:
        """Management takes note of the deviation with its decision; `replan` requires a new
        revision of the project's approved plan (`plan`), which then re-plans it."""
        require_acting(actor)
        require_role(actor, Role.MANAGEMENT)
        require_not_self(actor, self.reporter, "acknowledge")
        project.require_open("acknowledge a deviation")
        if self.state != DeviationState.ESCALATED:
            raise InvalidTransition(f"the deviation report is already {self.state}")
        if replan and (plan is None or plan.approved_revision is None):
            raise InvalidTransition(f"project {self.project_name} has no approved plan to re-plan")
        require_text("decision", decision)
        self._acknowledge(
            by=actor.user_id,
            project_id=self.project_id,
            reporter=self.reporter,
            decision=decision,
            replan_required=replan,
        )

    @event(Acknowledged)
    def _acknowledge(
        self, by: str, project_id: UUID, reporter: str, decision: str, replan_required: bool
    ) -> None:
        self.state = DeviationState.ACKNOWLEDGED
        self.decision = decision
        self.acknowledged_by = by
        self.replan_required = replan_required
