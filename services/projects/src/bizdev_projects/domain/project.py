"""The project an approval opens (REGULATIONS 2.3): its team (3.2), milestones, health
and closing (3.3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from bizdev_common.days import decided_in_utc, zone_name
from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    NotFound,
    Role,
    RuleViolation,
    require_acting,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

from bizdev_projects.domain.milestone import Milestone, milestone_due_at
from bizdev_projects.domain.values import (
    ApplicationState,
    HealthStatus,
    PlanState,
    ProjectOutcome,
    ProjectState,
    choice,
)

if TYPE_CHECKING:
    from bizdev_projects.domain.business_plan import BusinessPlan
    from bizdev_projects.domain.project_application import ProjectApplication


class Project(Aggregate):
    """The project an approved application opens (REGULATIONS 2.3), run by its team against
    the milestones of its approved business plan until management closes it (§3)."""

    @staticmethod
    def project_id_for(application_id: UUID) -> UUID:
        return uuid5(application_id, "project")

    # Derived from the application so that opening the same approval twice (a redelivered
    # event, a retried request) collides on the id instead of opening a second project.
    @staticmethod
    def create_id(application_id: UUID) -> UUID:
        return Project.project_id_for(application_id)

    class Opened(Aggregate.Created):
        by: str
        application_id: UUID
        name: str
        department: str
        applicant: str
        expected_revenue: Money
        lead_id: UUID | None
        customer_id: UUID | None

    @event(Opened)
    def __init__(
        self,
        by: str,
        application_id: UUID,
        name: str,
        department: str,
        applicant: str,
        expected_revenue: Money,
        lead_id: UUID | None,
        customer_id: UUID | None,
    ) -> None:
        self.approved_by = by
        self.application_id = application_id
        self.name = name
        self.department = department
        self.applicant = applicant
        self.expected_revenue = expected_revenue
        self.lead_id = lead_id
        self.customer_id = customer_id
        self.state = ProjectState.OPEN
        self.team_lead: str | None = None
        self.members: dict[str, str] = {}
        """User id → responsibilities; the team lead is a member too."""
        self.milestones: dict[UUID, Milestone] = {}
        self.scheduled_revision: int | None = None
        """The plan revision the milestones follow."""
        self.health = HealthStatus.ON_TRACK
        self.health_note = ""
        self.outcome: ProjectOutcome | None = None

    @classmethod
    def open(cls, application: ProjectApplication) -> Project:
        # approved_by is set together with the approved state; testing both narrows its type.
        approver = application.approved_by
        if application.state != ApplicationState.APPROVED or approver is None:
            raise InvalidTransition(
                f"only an approved application opens a project; this one is {application.state}"
            )
        return cls(
            by=approver,
            application_id=application.id,
            name=application.title,
            department=application.department,
            applicant=application.applicant,
            expected_revenue=application.expected_revenue,
            lead_id=application.lead_id,
            customer_id=application.customer_id,
        )

    # --- who acts for the project; used by the project's other records too ----------------

    def is_team_lead(self, actor: Actor) -> bool:
        """The appointed lead of this team, acting in the team lead role (REGULATIONS, Roles)."""
        return actor.user_id == self.team_lead and actor.has(Role.TEAM_LEAD)

    def require_team_lead(self, actor: Actor, what: str) -> None:
        if not self.is_team_lead(actor):
            raise Forbidden(f"only the team lead of project {self.name} may {what}")

    def require_team_lead_or_management(self, actor: Actor, what: str) -> None:
        if not (self.is_team_lead(actor) or actor.has(Role.MANAGEMENT)):
            raise Forbidden(f"only the team lead of project {self.name} or management may {what}")

    def require_member_or_management(self, actor: Actor, what: str) -> None:
        is_member = actor.user_id in self.members and (
            actor.has(Role.EMPLOYEE) or actor.has(Role.TEAM_LEAD)
        )
        if not (is_member or actor.has(Role.MANAGEMENT)):
            raise Forbidden(f"only members of project {self.name}'s team or management may {what}")

    def require_planner(self, actor: Actor) -> None:
        """The team lead, or an employee of the department that runs the project, drafts its
        plan: the department knows the business before a lead is appointed."""
        in_department = actor.has(Role.EMPLOYEE) and actor.department == self.department
        if not (self.is_team_lead(actor) or in_department):
            raise Forbidden(
                f"only the team lead or an employee of department {self.department} may "
                "draft this project's plan"
            )

    def require_open(self, what: str) -> None:
        if self.state == ProjectState.CLOSED:
            raise InvalidTransition(f"project {self.name} is closed: cannot {what}")

    def milestone(self, milestone_id: UUID) -> Milestone:
        try:
            return self.milestones[milestone_id]
        except KeyError:
            raise NotFound(f"project {self.name} has no milestone {milestone_id}") from None

    # --- team (REGULATIONS 3.2) -----------------------------------------------------------

    class TeamLeadAppointed(Aggregate.Event):
        by: str
        team_lead: str
        previous_team_lead: str | None
        responsibilities: str
        project_name: str
        department: str

    def appoint_team_lead(self, actor: Actor, user_id: str, responsibilities: str) -> None:
        """The appointee replaces the current lead, who stays on the team as a member: there is
        exactly one lead at any time, and who led when stays in the history."""
        require_acting(actor)
        require_role(actor, Role.MANAGEMENT)
        self.require_open("appoint a team lead")
        if user_id == self.team_lead:
            raise InvalidTransition(f"{user_id} already leads the team")
        require_text("user_id", user_id)
        require_text("responsibilities", responsibilities)
        self._appoint_team_lead(
            by=actor.user_id,
            team_lead=user_id,
            previous_team_lead=self.team_lead,
            responsibilities=responsibilities,
            project_name=self.name,
            department=self.department,
        )

    @event(TeamLeadAppointed)
    def _appoint_team_lead(
        self,
        by: str,
        team_lead: str,
        previous_team_lead: str | None,
        responsibilities: str,
        project_name: str,
        department: str,
    ) -> None:
        self.team_lead = team_lead
        self.members[team_lead] = responsibilities

    class MemberAdded(Aggregate.Event):
        by: str
        member: str
        responsibilities: str

    def add_member(self, actor: Actor, user_id: str, responsibilities: str) -> None:
        require_acting(actor)
        self.require_team_lead_or_management(actor, "change the team")
        self.require_open("change the team")
        if user_id in self.members:
            raise InvalidTransition(f"{user_id} is already on the team")
        require_text("user_id", user_id)
        require_text("responsibilities", responsibilities)
        self._add_member(by=actor.user_id, member=user_id, responsibilities=responsibilities)

    @event(MemberAdded)
    def _add_member(self, by: str, member: str, responsibilities: str) -> None:
        self.members[member] = responsibilities

    class ResponsibilitiesChanged(Aggregate.Event):
        by: str
        member: str
        responsibilities: str

    def change_responsibilities(self, actor: Actor, user_id: str, responsibilities: str) -> None:
        require_acting(actor)
        self.require_team_lead_or_management(actor, "change the team")
        self.require_open("change the team")
        if user_id not in self.members:
            raise NotFound(f"{user_id} is not on the team of project {self.name}")
        require_text("responsibilities", responsibilities)
        self._change_responsibilities(
            by=actor.user_id, member=user_id, responsibilities=responsibilities
        )

    @event(ResponsibilitiesChanged)
    def _change_responsibilities(self, by: str, member: str, responsibilities: str) -> None:
        self.members[member] = responsibilities

    class MemberRemoved(Aggregate.Event):
        by: str
        member: str

    def remove_member(self, actor: Actor, user_id: str) -> None:
        require_acting(actor)
        self.require_team_lead_or_management(actor, "change the team")
        self.require_open("change the team")
        if user_id not in self.members:
            raise NotFound(f"{user_id} is not on the team of project {self.name}")
        if user_id == self.team_lead:
            raise InvalidTransition("the team lead leaves only when another is appointed")
        self._remove_member(by=actor.user_id, member=user_id)

    @event(MemberRemoved)
    def _remove_member(self, by: str, member: str) -> None:
        del self.members[member]

    # --- execution (REGULATIONS 3.3) ------------------------------------------------------

    class MilestonesScheduled(Aggregate.Event):
        by: str
        plan_id: UUID
        revision: int
        project_name: str
        department: str
        milestones: list[dict[str, Any]]

    def schedule_milestones(self, plan: BusinessPlan) -> None:
        """Execution follows the approved plan: its milestones become the project's. A later
        approved revision (re-planning) replaces them: a milestone it keeps (same id, see
        PlanContent) keeps its progress, and is reported overdue again against a new date."""
        approver = plan.approved_by
        if plan.state != PlanState.APPROVED or approver is None or plan.project_id != self.id:
            raise InvalidTransition("only this project's approved plan schedules its milestones")
        self.require_open("schedule milestones")
        if self.scheduled_revision is not None and plan.revision <= self.scheduled_revision:
            raise InvalidTransition(
                f"project {self.name}'s milestones already follow revision "
                f"{self.scheduled_revision}"
            )
        self._schedule_milestones(
            by=approver,
            plan_id=plan.id,
            revision=plan.revision,
            project_name=self.name,
            department=self.department,
            milestones=[dict(m) for m in plan.milestones],
        )

    @event(MilestonesScheduled)
    def _schedule_milestones(
        self,
        by: str,
        plan_id: UUID,
        revision: int,
        project_name: str,
        department: str,
        milestones: list[dict[str, Any]],
    ) -> None:
        scheduled: dict[UUID, Milestone] = {}
        for m in milestones:
            kept = self.milestones.get(m["id"])
            milestone = Milestone(m["id"], m["name"], m["due_date"], m["owner"])
            if kept is not None:
                milestone.percent = kept.percent
                milestone.completed_on = kept.completed_on
                if kept.due_date == milestone.due_date:
                    milestone.overdue_since = kept.overdue_since
            scheduled[milestone.id] = milestone
        self.milestones = scheduled
        self.scheduled_revision = revision

    class ProgressRecorded(Aggregate.Event):
        by: str
        milestone_id: UUID
        percent: int
        note: str

    class MilestoneCompleted(Aggregate.Event):
        by: str
        milestone_id: UUID
        milestone_name: str
        owner: str
        due_date: date
        completed_on: date
        late: bool
        note: str
        project_name: str
        department: str

    def record_progress(
        self,
        actor: Actor,
        milestone_id: UUID,
        *,
        percent: int,
        completed_on: date | None,
        note: str = "",
    ) -> None:
        """Progress in percent; 100 completes the milestone and needs its completion date."""
        require_acting(actor)
        self.require_team_lead(actor, "record progress")
        self.require_open("record progress")
        milestone = self.milestone(milestone_id)
        if milestone.done:
            raise InvalidTransition(f"milestone {milestone.name} is already completed")
        if not 0 <= percent <= 100:
            raise RuleViolation("percent", "percent must be between 0 and 100")
        if percent < 100:
            if completed_on is not None:
                raise RuleViolation(
                    "completed_on", "only a milestone at 100% has a completion date"
                )
            self._record_progress(
                by=actor.user_id, milestone_id=milestone_id, percent=percent, note=note
            )
            return
        if completed_on is None:
            raise RuleViolation("completed_on", "a completed milestone needs its completion date")
        self._complete_milestone(
            by=actor.user_id,
            milestone_id=milestone_id,
            milestone_name=milestone.name,
            owner=milestone.owner,
            due_date=milestone.due_date,
            completed_on=completed_on,
            late=completed_on > milestone.due_date,
            note=note,
            project_name=self.name,
            department=self.department,
        )

    @event(ProgressRecorded)
    def _record_progress(self, by: str, milestone_id: UUID, percent: int, note: str) -> None:
        self.milestones[milestone_id].percent = percent

    @event(MilestoneCompleted)
    def _complete_milestone(
        self,
        by: str,
        milestone_id: UUID,
        milestone_name: str,
        owner: str,
        due_date: date,
        completed_on: date,
        late: bool,
        note: str,
        project_name: str,
        department: str,
    ) -> None:
        done = self.milestones[milestone_id]
        done.percent = 100
        done.completed_on = completed_on

    class MilestoneOverdue(Aggregate.Event):
        class_version = 2
        by: str | None
        milestone_id: UUID
        milestone_name: str
        owner: str
        due_date: date
        percent: int
        detected_at: datetime
        project_name: str
        department: str
        time_zone: str

        upcast_v1_v2 = staticmethod(decided_in_utc)

    def mark_milestone_overdue(self, milestone_id: UUID, now: datetime) -> None:
        """The periodic check found the milestone's due date passed. Reported once: asked again
        (a restarted or repeated check) it refuses, so the event is emitted exactly once."""
        self.require_open("report an overdue milestone")
        milestone = self.milestone(milestone_id)
        if milestone.done:
            raise InvalidTransition(f"milestone {milestone.name} is completed")
        if milestone.overdue_since is not None:
            raise InvalidTransition(f"milestone {milestone.name} was already reported overdue")
        if now < milestone_due_at(milestone.due_date):
            raise InvalidTransition(f"milestone {milestone.name} is not due yet")
        self._mark_milestone_overdue(
            by=None,
            milestone_id=milestone_id,
            milestone_name=milestone.name,
            owner=milestone.owner,
            due_date=milestone.due_date,
            percent=milestone.percent,
            detected_at=now,
            project_name=self.name,
            department=self.department,
            time_zone=zone_name(),
        )

    @event(MilestoneOverdue)
    def _mark_milestone_overdue(
        self,
        by: str | None,
        milestone_id: UUID,
        milestone_name: str,
        owner: str,
        due_date: date,
        percent: int,
        detected_at: datetime,
        project_name: str,
        department: str,
        time_zone: str,
    ) -> None:
        self.milestones[milestone_id].overdue_since = detected_at

    class HealthChanged(Aggregate.Event):
        by: str
        health: str
        previous_health: str
        note: str
        project_name: str
        department: str

    def change_health(self, actor: Actor, status: str, note: str) -> None:
        require_acting(actor)
        self.require_team_lead_or_management(actor, "change the project's health")
        self.require_open("change the health")
        health = HealthStatus(choice(HealthStatus, "status", status))
        if health == self.health:
            raise InvalidTransition(f"project {self.name} is already {health}")
        if health == HealthStatus.DONE and (
            not self.milestones or not all(m.done for m in self.milestones.values())
        ):
            raise InvalidTransition("a project is done only when every milestone is completed")
        require_text("note", note)
        self._change_health(
            by=actor.user_id,
            health=health.value,
            previous_health=self.health.value,
            note=note,
            project_name=self.name,
            department=self.department,
        )

    @event(HealthChanged)
    def _change_health(
        self,
        by: str,
        health: str,
        previous_health: str,
        note: str,
        project_name: str,
        department: str,
    ) -> None:
        self.health = HealthStatus(health)
        self.health_note = note

    class Closed(Aggregate.Event):
        by: str
        outcome: str
        summary: str
        project_name: str
        department: str
        milestones_total: int
        milestones_completed: int

    def close(self, actor: Actor, outcome: str, summary: str) -> None:
        """Management closes the project with its outcome; nothing changes it afterwards."""
        require_acting(actor)
        require_role(actor, Role.MANAGEMENT)
        self.require_open("close it again")
        chosen = choice(ProjectOutcome, "outcome", outcome)
        require_text("summary", summary)
        self._close(
            by=actor.user_id,
            outcome=chosen,
            summary=summary,
            project_name=self.name,
            department=self.department,
            milestones_total=len(self.milestones),
            milestones_completed=sum(m.done for m in self.milestones.values()),
        )

    @event(Closed)
    def _close(
        self,
        by: str,
        outcome: str,
        summary: str,
        project_name: str,
        department: str,
        milestones_total: int,
        milestones_completed: int,
    ) -> None:
        self.state = ProjectState.CLOSED
        self.outcome = ProjectOutcome(outcome)
