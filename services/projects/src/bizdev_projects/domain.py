"""Project initiation (REGULATIONS §2): market insights, leads, initiation applications and
the projects their approval opens; planning and execution (§3): the business plan and its
reviews, the team, milestones, health, deviation reports and closing; communication (§6):
meetings with their action items, and contacts with outside parties.

Every rule is checked in a public command method before its event is triggered; the private
methods decorated with `@event` only apply an event, because they run again whenever an
aggregate is rebuilt from its history, and a rule changed later must not rewrite the past.
Checks run in the order the API reports them: who may act (403), then whether the record's
state allows it (409), then what the command says (422). Every command first requires an
acting role (`require_acting`), so that a relation to a record (applicant, author, owner)
never lets an auditor write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4, uuid5

from bizdev_common.domain import (
    Actor,
    Forbidden,
    InvalidTransition,
    Money,
    NotFound,
    Role,
    RuleViolation,
    require_acting,
    require_not_self,
    require_role,
    require_text,
)
from eventsourcing.domain import Aggregate, event

MARKET_DEPARTMENT = "market"


def _require_not_negative(field_name: str, value: Money) -> None:
    if value.is_negative():
        raise RuleViolation(field_name, f"{field_name} must not be negative")


def _choice(enum: type[StrEnum], field_name: str, value: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        allowed = ", ".join(enum)
        raise RuleViolation(field_name, f"{field_name} must be one of {allowed}") from None


def _require_names(field_name: str, names: Sequence[str]) -> list[str]:
    """A non-empty list of distinct user ids or department names."""
    if not names:
        raise RuleViolation(field_name, f"{field_name} must name at least one")
    for name in names:
        require_text(field_name, name)
    if len(set(names)) != len(names):
        raise RuleViolation(field_name, f"{field_name} must not repeat a name")
    return list(names)


class InsightKind(StrEnum):
    INDUSTRY_TREND = "industry_trend"
    COMPETITOR = "competitor"
    CUSTOMER_NEED = "customer_need"


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


class Lead(Aggregate):
    """A business opportunity any employee may submit; its finder is rewarded if it
    becomes an approved project (REGULATIONS 2.1)."""

    class Submitted(Aggregate.Created):
        by: str
        department: str
        customer: str
        need: str
        source: str
        estimated_value: Money

    @event(Submitted)
    def __init__(
        self,
        by: str,
        department: str,
        customer: str,
        need: str,
        source: str,
        estimated_value: Money,
    ) -> None:
        self.finder = by
        self.department = department
        self.customer = customer
        self.need = need
        self.source = source
        self.estimated_value = estimated_value
        self.converted_to: UUID | None = None

    @classmethod
    def submit(
        cls, actor: Actor, customer: str, need: str, source: str, estimated_value: Money
    ) -> Lead:
        require_acting(actor)
        require_role(actor, Role.EMPLOYEE)
        require_text("customer", customer)
        require_text("need", need)
        require_text("source", source)
        _require_not_negative("estimated_value", estimated_value)
        return cls(
            by=actor.user_id,
            department=actor.department,
            customer=customer,
            need=need,
            source=source,
            estimated_value=estimated_value,
        )

    class Converted(Aggregate.Event):
        by: str
        finder: str
        department: str
        customer: str
        application_id: UUID
        project_id: UUID

    def convert(self, application: ProjectApplication) -> None:
        """The lead became an approved project: its finder earns the reward (REGULATIONS 2.1).

        Only the first project a lead becomes earns it; a later one changes nothing."""
        approver, project_id = application.approved_by, application.project_id
        if (
            application.state != ApplicationState.APPROVED
            or approver is None
            or project_id is None
            or application.lead_id != self.id
        ):
            raise InvalidTransition("only an approved application from this lead converts it")
        if self.converted_to is not None:
            return
        self._convert(
            by=approver,
            finder=self.finder,
            department=self.department,
            customer=self.customer,
            application_id=application.id,
            project_id=project_id,
        )

    @event(Converted)
    def _convert(
        self,
        by: str,
        finder: str,
        department: str,
        customer: str,
        application_id: UUID,
        project_id: UUID,
    ) -> None:
        self.converted_to = project_id


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    DEPARTMENT_REVIEWED = "department_reviewed"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProjectApplication(Aggregate):
    """The initiation application form (《業務立項申請表》, REGULATIONS 2.2)."""

    class Drafted(Aggregate.Created):
        by: str
        department: str
        title: str
        background: str
        target_customers: str
        expected_revenue: Money
        preliminary_plan: str
        lead_id: UUID | None
        customer_id: UUID | None

    @event(Drafted)
    def __init__(
        self,
        by: str,
        department: str,
        title: str,
        background: str,
        target_customers: str,
        expected_revenue: Money,
        preliminary_plan: str,
        lead_id: UUID | None,
        customer_id: UUID | None,
    ) -> None:
        self.applicant = by
        self.department = department
        self.title = title
        self.background = background
        self.target_customers = target_customers
        self.expected_revenue = expected_revenue
        self.preliminary_plan = preliminary_plan
        self.lead_id = lead_id
        self.customer_id = customer_id
        self.state = ApplicationState.DRAFT
        self.opinion: dict[str, str | bool] | None = None
        self.decision_reasons: str | None = None
        self.approved_by: str | None = None
        self.project_id: UUID | None = None

    @classmethod
    def draft(
        cls,
        actor: Actor,
        title: str,
        background: str,
        target_customers: str,
        expected_revenue: Money,
        preliminary_plan: str,
        lead_id: UUID | None = None,
        customer_id: UUID | None = None,
    ) -> ProjectApplication:
        require_acting(actor)
        require_role(actor, Role.EMPLOYEE)
        require_text("title", title)
        require_text("background", background)
        require_text("target_customers", target_customers)
        require_text("preliminary_plan", preliminary_plan)
        _require_not_negative("expected_revenue", expected_revenue)
        return cls(
            by=actor.user_id,
            department=actor.department,
            title=title,
            background=background,
            target_customers=target_customers,
            expected_revenue=expected_revenue,
            preliminary_plan=preliminary_plan,
            lead_id=lead_id,
            customer_id=customer_id,
        )

    def _require_applicant(self, actor: Actor, what: str) -> None:
        if actor.user_id != self.applicant:
            raise Forbidden(f"only the applicant may {what} this application")

    def _require_state(self, what: str, *allowed: ApplicationState) -> None:
        if self.state not in allowed:
            raise InvalidTransition(f"cannot {what} an application that is {self.state}")

    def _require_management_not_applicant(self, actor: Actor, what: str) -> None:
        require_role(actor, Role.MANAGEMENT)
        require_not_self(actor, self.applicant, what)

    class Revised(Aggregate.Event):
        by: str
        title: str
        background: str
        target_customers: str
        expected_revenue: Money
        preliminary_plan: str

    def revise(
        self,
        actor: Actor,
        *,
        title: str | None = None,
        background: str | None = None,
        target_customers: str | None = None,
        expected_revenue: Money | None = None,
        preliminary_plan: str | None = None,
    ) -> None:
        require_acting(actor)
        self._require_applicant(actor, "revise")
        self._require_state("revise", ApplicationState.DRAFT, ApplicationState.REJECTED)
        texts = {
            "title": title,
            "background": background,
            "target_customers": target_customers,
            "preliminary_plan": preliminary_plan,
        }
        if expected_revenue is None and all(v is None for v in texts.values()):
            raise RuleViolation("body", "a revision must change at least one field")
        for name, value in texts.items():
            if value is not None:
                require_text(name, value)
        if expected_revenue is not None:
            _require_not_negative("expected_revenue", expected_revenue)
        # The event carries the whole revised form, so that a reader of the history sees
        # what was resubmitted without folding earlier revisions.
        self._revise(
            by=actor.user_id,
            title=self.title if title is None else title,
            background=self.background if background is None else background,
            target_customers=(
                self.target_customers if target_customers is None else target_customers
            ),
            expected_revenue=(
                self.expected_revenue if expected_revenue is None else expected_revenue
            ),
            preliminary_plan=(
                self.preliminary_plan if preliminary_plan is None else preliminary_plan
            ),
        )

    @event(Revised)
    def _revise(
        self,
        by: str,
        title: str,
        background: str,
        target_customers: str,
        expected_revenue: Money,
        preliminary_plan: str,
    ) -> None:
        self.title = title
        self.background = background
        self.target_customers = target_customers
        self.expected_revenue = expected_revenue
        self.preliminary_plan = preliminary_plan
        # A revised rejection starts over: the old opinion and reasons judged another text.
        self.state = ApplicationState.DRAFT
        self.opinion = None
        self.decision_reasons = None

    class Submitted(Aggregate.Event):
        by: str
        department: str
        title: str
        applicant: str

    def submit(self, actor: Actor) -> None:
        require_acting(actor)
        self._require_applicant(actor, "submit")
        # A rejected application goes through revise() first, so that what is resubmitted
        # is on record as changed.
        self._require_state("submit", ApplicationState.DRAFT)
        self._submit(
            by=actor.user_id, department=self.department, title=self.title, applicant=self.applicant
        )

    @event(Submitted)
    def _submit(self, by: str, department: str, title: str, applicant: str) -> None:
        self.state = ApplicationState.SUBMITTED

    class DepartmentReviewed(Aggregate.Event):
        by: str
        recommend: bool
        feasibility: str
        market_outlook: str
        resource_needs: str

    def review(
        self,
        actor: Actor,
        *,
        recommend: bool,
        feasibility: str,
        market_outlook: str,
        resource_needs: str,
    ) -> None:
        require_acting(actor)
        if not actor.is_head_of(self.department):
            raise Forbidden(
                f"only the head of department {self.department} may review this application"
            )
        require_not_self(actor, self.applicant, "review")
        self._require_state("review", ApplicationState.SUBMITTED)
        require_text("feasibility", feasibility)
        require_text("market_outlook", market_outlook)
        require_text("resource_needs", resource_needs)
        self._review(
            by=actor.user_id,
            recommend=recommend,
            feasibility=feasibility,
            market_outlook=market_outlook,
            resource_needs=resource_needs,
        )

    @event(DepartmentReviewed)
    def _review(
        self,
        by: str,
        recommend: bool,
        feasibility: str,
        market_outlook: str,
        resource_needs: str,
    ) -> None:
        self.state = ApplicationState.DEPARTMENT_REVIEWED
        self.opinion = {
            "reviewer": by,
            "recommend": recommend,
            "feasibility": feasibility,
            "market_outlook": market_outlook,
            "resource_needs": resource_needs,
        }

    class Approved(Aggregate.Event):
        by: str
        comments: str
        department: str
        title: str
        applicant: str
        expected_revenue: Money
        lead_id: UUID | None
        customer_id: UUID | None
        project_id: UUID

    def approve(self, actor: Actor, *, comments: str = "") -> None:
        require_acting(actor)
        self._require_management_not_applicant(actor, "approve")
        self._require_state("approve", ApplicationState.DEPARTMENT_REVIEWED)
        self._approve(
            by=actor.user_id,
            comments=comments,
            department=self.department,
            title=self.title,
            applicant=self.applicant,
            expected_revenue=self.expected_revenue,
            lead_id=self.lead_id,
            customer_id=self.customer_id,
            # Named in the approval itself, so a reader of this application's events alone
            # knows its project, whatever order it sees other aggregates' events in.
            project_id=Project.project_id_for(self.id),
        )

    @event(Approved)
    def _approve(
        self,
        by: str,
        comments: str,
        department: str,
        title: str,
        applicant: str,
        expected_revenue: Money,
        lead_id: UUID | None,
        customer_id: UUID | None,
        project_id: UUID,
    ) -> None:
        self.state = ApplicationState.APPROVED
        self.approved_by = by
        self.project_id = project_id

    class Rejected(Aggregate.Event):
        by: str
        reasons: str
        department: str
        title: str
        applicant: str

    def reject(self, actor: Actor, *, reasons: str) -> None:
        require_acting(actor)
        self._require_management_not_applicant(actor, "reject")
        self._require_state("reject", ApplicationState.DEPARTMENT_REVIEWED)
        require_text("reasons", reasons)
        self._reject(
            by=actor.user_id,
            reasons=reasons,
            department=self.department,
            title=self.title,
            applicant=self.applicant,
        )

    @event(Rejected)
    def _reject(self, by: str, reasons: str, department: str, title: str, applicant: str) -> None:
        self.state = ApplicationState.REJECTED
        self.decision_reasons = reasons


class ProjectState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class HealthStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    ON_HOLD = "on_hold"
    DONE = "done"


class ProjectOutcome(StrEnum):
    ACHIEVED = "achieved"
    PARTIALLY_ACHIEVED = "partially_achieved"
    NOT_ACHIEVED = "not_achieved"
    CANCELLED = "cancelled"


MILESTONE_OVERDUE = "milestone_overdue"
"""The kind of deadline a milestone's due date arms (see application.MilestoneOverdueCheck)."""


def milestone_due_at(due_date: date) -> datetime:
    """A milestone is due by the end of its due date in UTC: overdue only once that has passed,
    whatever the time zone of whoever set the date."""
    return datetime.combine(due_date + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass
class Milestone:
    """A milestone of the approved plan and how far the team has got with it."""

    id: UUID
    name: str
    due_date: date
    owner: str
    percent: int = 0
    completed_on: date | None = None
    overdue_since: datetime | None = None

    @property
    def done(self) -> bool:
        return self.completed_on is not None


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
        """Execution follows the approved plan: its milestones become the project's."""
        approver = plan.approved_by
        if plan.state != PlanState.APPROVED or approver is None or plan.project_id != self.id:
            raise InvalidTransition("only this project's approved plan schedules its milestones")
        self.require_open("schedule milestones")
        if self.milestones:
            raise InvalidTransition(f"project {self.name}'s milestones are already scheduled")
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
        self.milestones = {
            m["id"]: Milestone(m["id"], m["name"], m["due_date"], m["owner"]) for m in milestones
        }

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
        by: str | None
        milestone_id: UUID
        milestone_name: str
        owner: str
        due_date: date
        percent: int
        detected_at: datetime
        project_name: str
        department: str

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
        health = HealthStatus(_choice(HealthStatus, "status", status))
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
        chosen = _choice(ProjectOutcome, "outcome", outcome)
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


# --- the business plan (REGULATIONS 3.1) ------------------------------------------------------


class PlanState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


class Verdict(StrEnum):
    PASSED = "passed"
    CHANGES_REQUESTED = "changes_requested"


class BudgetCategory(StrEnum):
    """The categories finance budgets by (REGULATIONS 7.1)."""

    MARKETING = "marketing"
    PERSONNEL = "personnel"
    OPERATIONS = "operations"
    PROCUREMENT = "procurement"


@dataclass(frozen=True)
class PlannedMilestone:
    name: str
    due_date: date
    owner: str


@dataclass(frozen=True)
class BudgetLine:
    category: str
    amount: Money
    description: str = ""


def budget_totals(amounts: Iterable[Money]) -> list[Money]:
    """The total per currency, by currency: amounts in different currencies never add up."""
    totals: dict[str, Money] = {}
    for amount in amounts:
        totals[amount.currency] = (
            totals.get(amount.currency, Money(Decimal(0), amount.currency)) + amount
        )
    return [totals[c] for c in sorted(totals)]


@dataclass(frozen=True)
class PlanContent:
    """What the author writes: a revision replaces all of it."""

    goals: str
    marketing_strategy: str
    product_plan: str
    milestones: Sequence[PlannedMilestone]
    budget_lines: Sequence[BudgetLine]
    review_departments: Sequence[str]

    def as_event_data(self) -> dict[str, Any]:
        """The plan as its events carry it. Each milestone gets its id here, once, so that a
        replay gives it the same one."""
        require_text("goals", self.goals)
        require_text("marketing_strategy", self.marketing_strategy)
        require_text("product_plan", self.product_plan)
        if not self.milestones:
            raise RuleViolation("milestones", "the schedule needs at least one milestone")
        for m in self.milestones:
            require_text("milestones.name", m.name)
            require_text("milestones.owner", m.owner)
        if len({m.name for m in self.milestones}) != len(self.milestones):
            raise RuleViolation("milestones", "milestone names must differ")
        if not self.budget_lines:
            raise RuleViolation("budget_lines", "the plan needs at least one budget line")
        for line in self.budget_lines:
            _choice(BudgetCategory, "budget_lines.category", line.category)
            if line.amount.amount <= 0:
                raise RuleViolation(
                    "budget_lines.amount", "a budget line's amount must be positive"
                )
        return {
            "goals": self.goals,
            "marketing_strategy": self.marketing_strategy,
            "product_plan": self.product_plan,
            "milestones": [
                {"id": uuid4(), "name": m.name, "due_date": m.due_date, "owner": m.owner}
                for m in sorted(self.milestones, key=lambda m: (m.due_date, m.name))
            ],
            "budget_lines": [
                {"category": b.category, "amount": b.amount, "description": b.description}
                for b in self.budget_lines
            ],
            "review_departments": _require_names("review_departments", self.review_departments),
        }


class BusinessPlan(Aggregate):
    """The business plan of a project (業務策劃方案, REGULATIONS 3.1): one per project, in
    revisions. Each department it names reviews the current revision; it is approved, and so
    becomes the basis of execution, when every one of them passed that revision."""

    @staticmethod
    def plan_id_for(project_id: UUID) -> UUID:
        return uuid5(project_id, "business-plan")

    @staticmethod
    def create_id(project_id: UUID) -> UUID:
        return BusinessPlan.plan_id_for(project_id)

    class Drafted(Aggregate.Created):
        by: str
        project_id: UUID
        project_name: str
        department: str
        goals: str
        marketing_strategy: str
        product_plan: str
        milestones: list[dict[str, Any]]
        budget_lines: list[dict[str, Any]]
        review_departments: list[str]

    @event(Drafted)
    def __init__(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        goals: str,
        marketing_strategy: str,
        product_plan: str,
        milestones: list[dict[str, Any]],
        budget_lines: list[dict[str, Any]],
        review_departments: list[str],
    ) -> None:
        self.author = by
        self.project_id = project_id
        self.project_name = project_name
        self.department = department
        self.revision = 1
        self._set_content(
            goals, marketing_strategy, product_plan, milestones, budget_lines, review_departments
        )
        self.approved_by: str | None = None

    def _set_content(
        self,
        goals: str,
        marketing_strategy: str,
        product_plan: str,
        milestones: list[dict[str, Any]],
        budget_lines: list[dict[str, Any]],
        review_departments: list[str],
    ) -> None:
        self.goals = goals
        self.marketing_strategy = marketing_strategy
        self.product_plan = product_plan
        self.milestones = [dict(m) for m in milestones]
        self.budget_lines = [dict(b) for b in budget_lines]
        self.review_departments = list(review_departments)
        self.state = PlanState.DRAFT
        self.submitted_by: str | None = None
        self.reviews: dict[str, dict[str, str]] = {}
        """Department → its review (by, verdict, comments) of the current revision."""

    @classmethod
    def draft(
        cls,
        actor: Actor,
        project: Project,
        *,
        existing: BusinessPlan | None,
        content: PlanContent,
    ) -> BusinessPlan:
        require_acting(actor)
        project.require_planner(actor)
        project.require_open("draft a plan")
        if existing is not None:
            raise InvalidTransition(f"project {project.name} already has a plan: revise it")
        return cls(
            by=actor.user_id,
            project_id=project.id,
            project_name=project.name,
            department=project.department,
            **content.as_event_data(),
        )

    def _require_writer(self, actor: Actor, project: Project, what: str) -> None:
        if actor.user_id != self.author and not project.is_team_lead(actor):
            raise Forbidden(f"only the plan's author or the project's team lead may {what} it")

    def _require_state(self, what: str, *allowed: PlanState) -> None:
        if self.state not in allowed:
            raise InvalidTransition(f"cannot {what} a plan that is {self.state}")

    class Revised(Aggregate.Event):
        by: str
        revision: int
        goals: str
        marketing_strategy: str
        product_plan: str
        milestones: list[dict[str, Any]]
        budget_lines: list[dict[str, Any]]
        review_departments: list[str]

    def revise(self, actor: Actor, project: Project, content: PlanContent) -> None:
        """A changed plan is a new revision: the reviews of the last one judged another text."""
        require_acting(actor)
        self._require_writer(actor, project, "revise")
        project.require_open("revise its plan")
        self._require_state("revise", PlanState.DRAFT, PlanState.CHANGES_REQUESTED)
        self._revise(by=actor.user_id, revision=self.revision + 1, **content.as_event_data())

    @event(Revised)
    def _revise(
        self,
        by: str,
        revision: int,
        goals: str,
        marketing_strategy: str,
        product_plan: str,
        milestones: list[dict[str, Any]],
        budget_lines: list[dict[str, Any]],
        review_departments: list[str],
    ) -> None:
        self.revision = revision
        self._set_content(
            goals, marketing_strategy, product_plan, milestones, budget_lines, review_departments
        )

    class Submitted(Aggregate.Event):
        by: str
        project_id: UUID
        project_name: str
        department: str
        revision: int
        review_departments: list[str]

    def submit(self, actor: Actor, project: Project) -> None:
        require_acting(actor)
        self._require_writer(actor, project, "submit")
        project.require_open("submit its plan")
        # A plan sent back goes through revise() first, so that what goes round again is on
        # record as a new revision.
        self._require_state("submit", PlanState.DRAFT)
        self._submit(
            by=actor.user_id,
            project_id=self.project_id,
            project_name=self.project_name,
            department=self.department,
            revision=self.revision,
            review_departments=list(self.review_departments),
        )

    @event(Submitted)
    def _submit(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        revision: int,
        review_departments: list[str],
    ) -> None:
        self.state = PlanState.IN_REVIEW
        self.submitted_by = by

    class Reviewed(Aggregate.Event):
        by: str
        project_id: UUID
        revision: int
        reviewing_department: str
        verdict: str
        comments: str

    class Approved(Aggregate.Event):
        by: str
        project_id: UUID
        project_name: str
        department: str
        revision: int
        goals: str
        milestones: list[dict[str, Any]]
        budget_lines: list[dict[str, Any]]
        budget_totals: list[Money]
        review_departments: list[str]

    def review(self, actor: Actor, project: Project, *, verdict: str, comments: str) -> None:
        """The head of a named department passes the current revision or asks for changes
        (with comments). The pass that completes every requested review approves the plan."""
        require_acting(actor)
        department = next((d for d in self.review_departments if actor.is_head_of(d)), None)
        if department is None:
            heads = ", ".join(self.review_departments)
            raise Forbidden(f"only the heads of the departments it names ({heads}) review it")
        require_not_self(actor, self.author, "review")
        if self.submitted_by is not None:
            require_not_self(actor, self.submitted_by, "review")
        project.require_open("review its plan")
        # A plan sent back waits for its next revision: a review now would judge a text the
        # author is already changing, and could not count towards approving the next one.
        self._require_state("review", PlanState.IN_REVIEW)
        if department in self.reviews:
            raise InvalidTransition(f"{department} already reviewed revision {self.revision}")
        chosen = _choice(Verdict, "verdict", verdict)
        if chosen == Verdict.CHANGES_REQUESTED:
            require_text("comments", comments)
        self._review(
            by=actor.user_id,
            project_id=self.project_id,
            revision=self.revision,
            reviewing_department=department,
            verdict=chosen,
            comments=comments,
        )
        if self._every_review_passed():
            self._approve(
                by=actor.user_id,
                project_id=self.project_id,
                project_name=self.project_name,
                department=self.department,
                revision=self.revision,
                goals=self.goals,
                milestones=[dict(m) for m in self.milestones],
                budget_lines=[dict(b) for b in self.budget_lines],
                budget_totals=budget_totals(b["amount"] for b in self.budget_lines),
                review_departments=list(self.review_departments),
            )

    def _every_review_passed(self) -> bool:
        return all(
            self.reviews.get(d, {}).get("verdict") == Verdict.PASSED
            for d in self.review_departments
        )

    @event(Reviewed)
    def _review(
        self,
        by: str,
        project_id: UUID,
        revision: int,
        reviewing_department: str,
        verdict: str,
        comments: str,
    ) -> None:
        self.reviews[reviewing_department] = {"by": by, "verdict": verdict, "comments": comments}
        if verdict == Verdict.CHANGES_REQUESTED:
            self.state = PlanState.CHANGES_REQUESTED

    @event(Approved)
    def _approve(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        revision: int,
        goals: str,
        milestones: list[dict[str, Any]],
        budget_lines: list[dict[str, Any]],
        budget_totals: list[Money],
        review_departments: list[str],
    ) -> None:
        self.state = PlanState.APPROVED
        self.approved_by = by


# --- deviations (REGULATIONS 3.3) -------------------------------------------------------------


class DeviationState(StrEnum):
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"


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
        by: str
        project_id: UUID
        reporter: str
        decision: str

    def acknowledge(self, actor: Actor, project: Project, decision: str) -> None:
        require_acting(actor)
        require_role(actor, Role.MANAGEMENT)
        require_not_self(actor, self.reporter, "acknowledge")
        project.require_open("acknowledge a deviation")
        if self.state != DeviationState.ESCALATED:
            raise InvalidTransition(f"the deviation report is already {self.state}")
        require_text("decision", decision)
        self._acknowledge(
            by=actor.user_id, project_id=self.project_id, reporter=self.reporter, decision=decision
        )

    @event(Acknowledged)
    def _acknowledge(self, by: str, project_id: UUID, reporter: str, decision: str) -> None:
        self.state = DeviationState.ACKNOWLEDGED
        self.decision = decision
        self.acknowledged_by = by


# --- communication (REGULATIONS §6) -----------------------------------------------------------


class MeetingKind(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    PROGRESS = "progress"
    OTHER = "other"


class MeetingState(StrEnum):
    SCHEDULED = "scheduled"
    MINUTED = "minuted"


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
        chosen = _choice(MeetingKind, "kind", kind)
        require_text("title", title)
        return cls(
            by=actor.user_id,
            project_id=project.id,
            project_name=project.name,
            department=project.department,
            kind=chosen,
            title=title,
            meeting_date=meeting_date,
            attendees=_require_names("attendees", attendees),
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
        present = _require_names("attendees", attendees)
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

    def complete_action_item(self, actor: Actor, project: Project, item_id: UUID) -> None:
        require_acting(actor)
        try:
            item = self.action_items[item_id]
        except KeyError:
            raise NotFound(f"meeting {self.title} has no action item {item_id}") from None
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


class PartyKind(StrEnum):
    CUSTOMER = "customer"
    PARTNER = "partner"
    SUPPLIER = "supplier"


class ExternalContact(Aggregate):
    """A contact with a customer, partner or supplier, logged against the project (§6)."""

    class Logged(Aggregate.Created):
        by: str
        project_id: UUID
        project_name: str
        department: str
        party_kind: str
        party: str
        contact_date: date
        summary: str
        customer_id: UUID | None

    @event(Logged)
    def __init__(
        self,
        by: str,
        project_id: UUID,
        project_name: str,
        department: str,
        party_kind: str,
        party: str,
        contact_date: date,
        summary: str,
        customer_id: UUID | None,
    ) -> None:
        self.logged_by = by
        self.project_id = project_id
        self.project_name = project_name
        self.department = department
        self.party_kind = PartyKind(party_kind)
        self.party = party
        self.contact_date = contact_date
        self.summary = summary
        self.customer_id = customer_id

    @classmethod
    def log(
        cls,
        actor: Actor,
        project: Project,
        *,
        party_kind: str,
        party: str,
        contact_date: date,
        summary: str,
        customer_id: UUID | None = None,
    ) -> ExternalContact:
        require_acting(actor)
        project.require_member_or_management(actor, "log a contact")
        project.require_open("log a contact")
        chosen = _choice(PartyKind, "party_kind", party_kind)
        require_text("party", party)
        require_text("summary", summary)
        return cls(
            by=actor.user_id,
            project_id=project.id,
            project_name=project.name,
            department=project.department,
            party_kind=chosen,
            party=party,
            contact_date=contact_date,
            summary=summary,
            customer_id=customer_id,
        )
